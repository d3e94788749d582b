/**
 * Log4Shell: a `${jndi:<protocol>://...}` lookup, however it is hidden (and, at the end, Log4j's other
 * lookups that leak a secret or only hide letters). Log4j resolves nested lookups
 * before it reads the outer one, so `${${lower:j}${::-n}di:ldap://...}` and `${${env:X:-j}ndi:...}`
 * are `${jndi:ldap://...}`. This resolves the same lookups the same way, in one pass with a stack:
 * `lower`, `upper`, `::-x` and any `prefix:name:-default` (env, sys, java, ctx, ... whose value the
 * attacker cannot count on, so only the default is taken), `date:'j'` (a quoted literal in a date
 * pattern), `base64:` (decoded), and then looks for `jndi:` followed by a protocol.
 */

export interface JndiHit {
  strength: number;
  start: number;
  end: number;
}

/** Protocols a JNDI lookup reaches out with (DNS alone is the usual probe). */
const PROTOCOLS = ["ldap", "ldaps", "rmi", "dns", "iiop", "corba", "nds", "nis", "http", "https", "jms"];

/**
 * `jndi:ldap://host/x` written out, whatever surrounds it: no web client has a use for the `jndi:`
 * scheme, and a lookup hidden in a way not resolved here (a transformation, a new nesting) still spells
 * it once the filter's view is stripped of the rest.
 */
const JNDI_URL = new RegExp(`jndi\\s*:\\s*(?:${PROTOCOLS.join("|")}):\\/\\/[^\\s"'<>{}]*`, "i");

/** A JNDI URL outside any lookup, or null. */
export function jndiUrlHit(s: string): JndiHit | null {
  // `://` first: a plain search, where the case-blind pattern would be tried at every character.
  const m = s.length >= 12 && s.indexOf("://") !== -1 ? JNDI_URL.exec(s) : null;
  return m ? { strength: 0.85, start: m.index, end: m.index + m[0].length } : null;
}

/** Deeper nesting is left unresolved: it bounds the work on hostile input (Log4j itself recursed). */
const MAX_DEPTH = 32;

/** A lookup's prefix (lower-cased) and the text after its colon; null when it has no colon. */
function lookupParts(inner: string): { prefix: string; rest: string } | null {
  const colon = inner.indexOf(":");
  return colon === -1 ? null : { prefix: inner.slice(0, colon).toLowerCase().trim(), rest: inner.slice(colon + 1) };
}

/** What Log4j makes of one lookup's inside (its nested lookups already resolved). */
function resolve(inner: string): string {
  const parts = lookupParts(inner);
  if (!parts) return "";
  const { prefix, rest } = parts;
  if (prefix === "lower") return rest.toLowerCase();
  if (prefix === "upper") return rest.toUpperCase();
  if (prefix === "date") {
    // Quoted text in a SimpleDateFormat pattern is printed as is: `${date:'j'}` is "j".
    let out = "";
    for (const m of rest.matchAll(/'([^']*)'/g)) out += m[1];
    return out;
  }
  if (prefix === "jndi") return `\${jndi:${rest}}`;
  // `${base64:JHtqbmRp...}`: Log4j decodes the text, and reads what it gives again. Whatever its length:
  // padding in front (`AAAA...` decodes to NULs) must not hide the lookup, and decoding is linear.
  if (prefix === "base64") return Buffer.from(rest.trim(), "base64").toString("latin1");
  // `${::-j}`, `${env:NOPE:-j}`, `${sys:x:-j}`: the default after `:-`.
  const dflt = inner.indexOf(":-");
  return dflt === -1 ? "" : inner.slice(dflt + 2);
}

function isJndiCall(resolved: string): number {
  const at = resolved.toLowerCase().indexOf("jndi:");
  if (at === -1) return 0;
  const after = resolved.slice(at + 5).toLowerCase().trimStart();
  const colon = after.indexOf(":");
  return colon > 0 && PROTOCOLS.includes(after.slice(0, colon)) ? 0.97 : 0.85;
}

/**
 * Log4j scans the text a lookup resolved to again: `${::-$}{jndi:ldap://...}` resolves its first
 * lookup to `$`, which with the text after it makes a new `${jndi:...}`. So a value whose lookups
 * resolve to text with a lookup in it is read again, this many times at most.
 */
const MAX_PASSES = 3;

/** Log4Shell lookups in s: each outermost `${...}` that resolves to a JNDI lookup. */
export function jndiHits(s: string, passes = MAX_PASSES): JndiHit[] {
  const first = s.indexOf("${");
  if (first === -1) return [];
  const out: JndiHit[] = [];
  // Each open lookup: where it starts and the text resolved so far.
  const stack: { start: number; text: string }[] = [];
  let text = "";
  // The whole value as Log4j leaves it after this pass: the text outside lookups, and what they resolved to.
  let flat = s.slice(0, first);
  // A lookup inside the outermost one that resolved to text with a lookup of its own (`${base64:...}`
  // decoded): Log4j substitutes that text again, so what it holds counts for the outermost.
  let nested = 0;
  const report = (start: number, end: number, resolved: string) => {
    const strength = Math.max(isJndiCall(resolved), nested);
    nested = 0;
    if (strength > 0) out.push({ strength, start, end });
  };
  let i = first;
  while (i < s.length) {
    if (stack.length === 0) {
      // Outside every lookup the text is not read: the scan jumps to the next `${`.
      const next = s.indexOf("${", i);
      flat += s.slice(i, next === -1 ? s.length : next);
      if (next === -1) break;
      i = next;
    }
    const c = s.charCodeAt(i);
    if (c === 36 /* $ */ && s.charCodeAt(i + 1) === 123 && stack.length < MAX_DEPTH) {
      stack.push({ start: i, text });
      text = "";
      i += 2;
    } else if (c === 125 /* } */ && stack.length > 0) {
      const open = stack.pop()!;
      const resolved = resolve(text);
      // Only a decoded lookup makes new text (linear: it is shorter than its base64); a default's `$`
      // joined with the text after it is read by the next pass over the whole value.
      if (passes > 1 && resolved.indexOf("${") !== -1 && lookupParts(text)?.prefix === "base64") for (const h of jndiHits(resolved, passes - 1)) nested = Math.max(nested, h.strength);
      text = open.text + resolved;
      if (stack.length === 0) {
        report(open.start, i + 1, resolved);
        flat += resolved;
      }
      i++;
    } else {
      // Plain text up to the next `$` or `}`, taken whole.
      let k = i + 1;
      while (k < s.length && s.charCodeAt(k) !== 36 && s.charCodeAt(k) !== 125) k++;
      text += s.slice(i, k);
      i = k;
    }
  }
  // Unclosed lookups: Log4j would not run them, but a cut-off payload is still the attack.
  if (stack.length > 0) {
    const start = stack[0]!.start;
    const strength = isJndiCall(text.replace(/^\s+/, ""));
    if (strength > 0 && /^\s*jndi:/i.test(text)) out.push({ strength: Math.min(strength, 0.85), start, end: s.length });
    // For the next pass the unclosed rest is plain text, as Log4j leaves it.
    flat += s.slice(start);
  }
  if (out.length || passes <= 1 || flat === s || !flat.includes("${")) return out;
  let strongest = 0;
  for (const h of jndiHits(flat, passes - 1)) strongest = Math.max(strongest, h.strength);
  return strongest > 0 ? [{ strength: strongest, start: first, end: s.length }] : [];
}

/**
 * Log4j's other lookups. `${java:version}`, `${ctx:loginId}`, `${jvmrunargs:...}` are written by no
 * other template language: in a request they are a probe for lookups (proof). `${env:...}` and
 * `${sys:...}` put a secret into a log line (and, inside a host name, out by DNS) too, but Commons
 * Configuration, PowerShell (`${env:PATH}`) and editors' settings write them as well: they count some.
 * A lookup with a default behind an empty name, `${::-j}` or `${:x:-j}`, exists only to hide letters
 * from filters; nested (`${${::-${::-$${::-j}}}}`) it made Log4j recurse until it died (CVE-2021-45105).
 */
const LOG4J_ONLY_LOOKUP = /\$\{\s*(?:java|ctx|main|k8s|docker|web|spring|bundle|jvmrunargs|sd|log4j|marker|event)\s*:(?![-=?+]|\d+:)[^}\s]{1,128}\}/iu;
const SECRET_LOOKUP = /\$\{\s*(?:env|sys)\s*:[^{}\s]{1,128}\}/i;
/**
 * `${::-`, `${:x:-`, `${x::-`: a default behind an empty prefix or an empty name; or a lookup whose
 * name a case or date lookup spells (`${${lower:j}ava:version}`), which no shell or template
 * language writes (bash calls `${${x}}` a bad substitution).
 */
const HIDING_LOOKUP = /\$\{(?::[^{}$:\s]{0,16}|[^{}$:\s]{0,16}:):-|\$\{\s*\$\{\s*(?:lower|upper|date)\s*:/iu;
/** `${base64:...}`: Log4j decodes it and reads what it gives again; decoded here up to this length. */
const BASE64_LOOKUP = /\$\{\s*base64\s*:([A-Za-z0-9+/=_-]{8,4096})\}/iu;

/** Log4j lookups that are no JNDI call: the strongest, or null. */
export function log4jLookupHit(s: string): (JndiHit & { rule: "log4j-hiding-lookup" | "log4j-only-lookup" | "log4j-secret-lookup" }) | null {
  if (s.indexOf("${") === -1) return null;
  const hiding = HIDING_LOOKUP.exec(s);
  if (hiding) return { rule: "log4j-hiding-lookup", strength: 0.85, start: hiding.index, end: hiding.index + hiding[0].length };
  const own = LOG4J_ONLY_LOOKUP.exec(s);
  if (own) return { rule: "log4j-only-lookup", strength: 0.85, start: own.index, end: own.index + own[0].length };
  const encoded = BASE64_LOOKUP.exec(s);
  if (encoded && LOG4J_ONLY_LOOKUP.test(Buffer.from(encoded[1]!, "base64").toString("latin1"))) {
    return { rule: "log4j-only-lookup", strength: 0.85, start: encoded.index, end: encoded.index + encoded[0].length };
  }
  const secret = SECRET_LOOKUP.exec(s);
  return secret ? { rule: "log4j-secret-lookup", strength: 0.7, start: secret.index, end: secret.index + secret[0].length } : null;
}
