/** The attack classes Moat names. `benign` is class 0 of every classifier. */
export const ATTACK_CLASSES = [
  "sqli", "xss", "traversal", "cmdi", "ssti", "xxe", "nosqli", "ldapi", "open-redirect", "log4shell", "ssrf", "crlf", "scanner",
  // Code in the application's own language (PHP, Node.js, Java), remote file inclusion, serialized objects,
  // XPath injection, a session id forced on a victim, and a request that tries to get past access control
  // (a token with its signature switched off, a header that reroutes the path, a client claiming to be the server).
  "code-injection", "rfi", "deserialization", "xpath", "session-fixation", "auth-bypass",
] as const;
export type AttackClass = (typeof ATTACK_CLASSES)[number];
export const CLASSES = ["benign", ...ATTACK_CLASSES] as const;
export type ClassLabel = (typeof CLASSES)[number];

/** Payload list file (../shared/datasets/payloads/<name>.txt) → class. */
export const PAYLOAD_LISTS: Record<string, AttackClass> = {
  sqli: "sqli", xss: "xss", traversal: "traversal", lfi: "traversal", cmdi: "cmdi", ssti: "ssti", xxe: "xxe",
  nosqli: "nosqli", ldapi: "ldapi", "open-redirect": "open-redirect",
};
