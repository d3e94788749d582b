/**
 * Access-control bypass: a request that tries to get past the application's access control instead of
 * injecting code into it.
 * - A JSON Web Token whose header switches the signature off (`"alg": "none"`, in any case): a library
 *   that honours it accepts whatever claims the token makes (CVE-2015-9235 and its kin). The decompose
 *   stage decodes a token's parts wherever it travels (a cookie, a parameter, a body, a header), so the
 *   header's `alg` is a leaf of its own, under a base64 reading.
 * - `X-Original-URL` or `X-Rewrite-URL` naming another path than the request's: frameworks that honour
 *   them (Symfony, Zend, IIS URL Rewrite) route to that path after the front end allowed the request's
 *   own. A proxy that sets one for the path it forwards sets the same path: that is nothing.
 * - A client-address header (`X-Forwarded-For`, `X-Real-IP`, `Forwarded`, ...) whose client is the
 *   server itself (loopback) while the connection did not come from it: an allowlist by address believes
 *   the header. A local client through local proxies has a loopback peer too: that is nothing.
 * The last two need the request around the header (its path, its peer): `accessOverrides` judges them
 * after the analyzers, as `sessionIdFromElsewhere` does.
 */
import type { HttpRequest } from "../../core/http-request.ts";
import type { Leaf } from "../../decompose/leaf.ts";
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { judgeHost } from "./ssrf.ts";
import { finding } from "./text.ts";

const find = (rule: string, strength: number, start: number, end: number): Finding => finding("auth-bypass", `auth.${rule}`, strength, start, end);

/** A token header's `alg`, as decompose reads a base64 part as JSON: `cookie.jwt~base64~json.alg`, `~base64#2~json.alg`. */
const TOKEN_ALG_PATH = /~base64(?:#\d+)?~json\.alg$/;
const NO_ALGORITHM = /^\s*none\s*$/i;

/** Headers that make some frameworks route to another path than the request line's. */
const PATH_OVERRIDE_HEADERS = new Set(["x-original-url", "x-rewrite-url", "x-override-url"]);
/** Headers an application or an allowlist reads the client's address from (the first entry is the client). */
const CLIENT_ADDRESS_HEADERS = new Set([
  "x-forwarded-for", "x-real-ip", "x-client-ip", "client-ip", "x-originating-ip", "x-remote-ip", "x-remote-addr",
  "x-cluster-client-ip", "true-client-ip", "cf-connecting-ip", "fastly-client-ip", "x-custom-ip-authorization", "forwarded",
]);

/** The path an override header names: its own path part, a full URL's path, without query or fragment. */
function overridePath(value: string): string {
  let path = value.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    try {
      path = new URL(path).pathname;
    } catch {
      return path;
    }
  }
  const end = path.search(/[?#]/);
  return end === -1 ? path : path.slice(0, end);
}

/** The host of a client-address entry: `127.0.0.1:8080` → `127.0.0.1`, `"[::1]:80"` and `::1` → `[::1]`, `for=...` read. */
function claimedHost(entry: string): string {
  let s = entry.trim();
  if (/^for=/i.test(s)) s = s.slice(4);
  s = s.replace(/^"|"$/g, "");
  if (s.startsWith("[")) return s.slice(0, s.indexOf("]") + 1);
  if (s.indexOf(":") !== s.lastIndexOf(":")) return `[${s}]`;
  return s.replace(/:\d+$/, "");
}

function isLoopback(host: string): boolean {
  return host !== "" && judgeHost(host)?.target === "loopback";
}

/** The client a client-address header claims: its first entry (`Forwarded`: the first element's `for=`). */
function claimedClient(name: string, value: string): string {
  const first = value.split(",")[0]!;
  if (name !== "forwarded") return claimedHost(first);
  const forParameter = first.split(";").find((p) => /^\s*for=/i.test(p));
  return forParameter ? claimedHost(forParameter) : "";
}

/**
 * The request-scope findings: a path override that names another path than the request's, and a
 * loopback client claimed by a request whose peer is known and is not loopback. Each goes on its
 * header's leaf, the whole value its evidence.
 */
export function accessOverrides(req: Pick<HttpRequest, "path" | "clientIp">, leaves: readonly Leaf[]): { at: number; finding: Finding }[] {
  const out: { at: number; finding: Finding }[] = [];
  for (let at = 0; at < leaves.length; at++) {
    const leaf = leaves[at]!;
    if (leaf.location !== "header" || leaf.kind !== "value" || leaf.path !== `header.${leaf.name}`) continue;
    if (PATH_OVERRIDE_HEADERS.has(leaf.name)) {
      const named = overridePath(leaf.text);
      if (named !== "" && named !== overridePath(req.path)) out.push({ at, finding: find("path-override", 0.8, 0, leaf.text.length) });
    } else if (CLIENT_ADDRESS_HEADERS.has(leaf.name) && req.clientIp && !isLoopback(claimedHost(req.clientIp))) {
      if (isLoopback(claimedClient(leaf.name, leaf.text))) out.push({ at, finding: find("loopback-claim", 0.7, 0, leaf.text.length) });
    }
  }
  return out;
}

export const authBypassAnalyzer: Analyzer = {
  name: "auth",
  analyze(input: AnalyzerInput): Finding[] {
    // Only a token header's `alg`: every other leaf is one comparison.
    if (input.name !== "alg" || !TOKEN_ALG_PATH.test(input.path) || !NO_ALGORITHM.test(input.text)) return [];
    const start = input.text.search(/\S/);
    return [find("unsigned-token", 0.9, start, start + 4)];
  },
};
