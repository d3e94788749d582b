/**
 * Access-control bypass: a request that tries to get past the application's access control instead of
 * injecting code into it.
 * - A JSON Web Token whose header switches the signature off (`"alg": "none"`, in any case): a library
 *   that honours it accepts whatever claims the token makes (CVE-2015-9235 and its kin). The decompose
 *   stage decodes a token's parts wherever it travels (a cookie, a parameter, a body, a header), so the
 *   header's `alg` is a leaf of its own, under a base64 reading.
 * - A token sent as the bearer's credential (the `Authorization` header, a header named for a token,
 *   a cookie) whose header brings the key to check it with: a key of its own (`jwk`, CVE-2018-0114, or
 *   a certificate chain, `x5c`, which a library that builds no path to a trusted root takes as is) or a
 *   URL to fetch one from (`jku`, `x5u`). A library that trusts it verifies the attacker's
 *   signature with the attacker's key. Issuers name the keys of the tokens they hand out by `kid`.
 *   Protocols that carry a key in a JWS header do so elsewhere, and are nothing: a DPoP proof in its
 *   `DPoP` header, ACME's requests and OpenID4VCI's proofs in JSON bodies, client assertions in forms,
 *   STIR/SHAKEN's `Identity` header; so is a key in the claims (the token's second part).
 * - A token whose signature was cut off (`eyJ….eyJ….`, nothing after the second dot) while its header
 *   names an algorithm: a library that skips the check for an empty signature takes the claims as
 *   they are. Every issued token is signed; an unsigned one says so by `alg` (above).
 * - An ECDSA-signed token whose signature's numbers are zero (CVE-2022-21449, below).
 * - A token header's `kid` that is a file's path (`/dev/null`, `../../public/css/main.css`): libraries
 *   that read the key from the file the token names sign with a file's known content (an empty one, a
 *   public stylesheet). Issuers name keys by opaque ids, thumbprints or URLs.
 * - `X-Original-URL`, `X-Rewrite-URL` or `X-Override-URL` naming another path than the request's:
 *   frameworks that honour them (Symfony, Zend, IIS URL Rewrite) route to that path after the front end
 *   allowed the request's own. A proxy that sets one for the path it forwards sets the same path: that
 *   is nothing.
 * - A client-address header (`X-Forwarded-For`, `X-Real-IP`, `Forwarded`, ...) whose client is the
 *   server itself (a loopback address or `localhost`) on a connection from beyond the server's own
 *   networks: an allowlist by address believes the header. A local client through local proxies (a
 *   loopback, private or socket peer) is nothing, and so is a request whose peer is not known apart
 *   from those headers (a raw check takes its client from them).
 * The last two need the request around the header (its path, its peer): `accessOverrides` judges them
 * after the analyzers, as `sessionIdFromElsewhere` does.
 * - A header a framework sets only on its own internal requests (`x-middleware-subrequest`), sent by a
 *   client: the framework takes the request for its own and skips its checks.
 * - A comment inside a SAML NameID (below).
 */
import ipaddr from "ipaddr.js";
import type { HttpRequest } from "../../core/http-request.ts";
import { parseIp } from "../../core/ip.ts";
import { isHeaderOwnLeaf, type Leaf } from "../../decompose/leaf.ts";
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { finding } from "./text.ts";

const find = (rule: string, strength: number, start: number, end: number): Finding => finding("auth-bypass", `auth.${rule}`, strength, start, end);

/** A token header's `alg`, as decompose reads a base64 part as JSON: `cookie.jwt~base64~json.alg`, `~base64#2~json.alg`. */
const TOKEN_ALG_PATH = /~base64(?:#\d+)?~json\.alg$/;
const NO_ALGORITHM = /^\s*none\s*$/i;
/**
 * A credential token's header (its first part) holding its own key (`~json.jwk.kty`: every JWK names
 * its type) or where to fetch one (`~json.jku`, `~json.x5u`), in the `Authorization` header, a header
 * named for a token or for authentication, or a cookie; and a URL to fetch the key from in a parameter or
 * JSON member named for a token (`token`, `id_token`, `jwt`: how an API takes one in its body). A key
 * carried along in a body is how proofs of possession work (OpenID4VCI's `proof.jwt`, DPoP), and a
 * client assertion names its own key set by design: neither is this.
 */
const TOKEN_KEY_PATH = /^(?:header\.(?:authorization|[\w-]*(?:token|auth)[\w-]*)|cookie\.[^~]*)~base64~json\.(?:jwk\.kty|jku|x5u|x5c\[0\])$/;
const BODY_TOKEN_KEY_URL_PATH = /^(?:query|body)\.(?:.*[.~])?[\w-]*(?:token|jwt)(?:\[\d+\])?~base64~json\.(?:jku|x5u)$/i;
const FETCHED_KEY = /^\s*https?:\/\//i;

/**
 * A token as a value or after a scheme word (`Bearer`) or a name (`jwt=`): its header (group 1) and its
 * signature (group 2, empty when it was cut off; a long RSA one is no ECDSA signature to look at).
 */
const TOKEN = /(?:^|[\s=:])(eyJ[\w-]{8,})\.eyJ[\w-]{2,}\.([\w-]{0,200})(?=$|[\s;,&])/;

/** The algorithm a token's header (its base64url first part) names, or null. */
function headerAlgorithm(header: string): string | null {
  try {
    const alg = (JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as { alg?: unknown }).alg;
    return typeof alg === "string" ? alg : null;
  } catch {
    return null;
  }
}

/**
 * An ECDSA signature whose two numbers are zero (`MAYCAQACAQA`, DER of r = s = 0, or as many zero bytes as
 * the curve's raw signature has): Java 15 to 18 verified it for any message and any key (CVE-2022-21449,
 * "psychic signatures"). No signer makes one.
 */
function zeroSignature(signature: string): boolean {
  const b = Buffer.from(signature, "base64url");
  if (b.length >= 8 && b[0] === 0x30 && b[2] === 0x02) {
    const r = b.subarray(4, 4 + b[3]!);
    const at = 4 + b[3]!;
    const s = b[at] === 0x02 ? b.subarray(at + 2, at + 2 + b[at + 1]!) : null;
    return s !== null && r.every((x) => x === 0) && s.every((x) => x === 0);
  }
  return b.length >= 32 && b.every((x) => x === 0);
}

/** A token whose signature was cut off under a named algorithm, or whose ECDSA signature is zero. */
function forgedSignature(text: string): Finding | null {
  const m = TOKEN.exec(text);
  const alg = m ? headerAlgorithm(m[1]!) : null;
  if (!m || alg === null) return null;
  const [start, end] = [m.index, m.index + m[0].length];
  // `alg: none` is the unsigned token's own rule.
  if (m[2] === "") return NO_ALGORITHM.test(alg) ? null : find("stripped-signature", 0.85, start, end);
  return /^ES\d{3}K?$/.test(alg) && m[2]!.length >= 8 && zeroSignature(m[2]!) ? find("zero-signature", 0.9, start, end) : null;
}

/** A token header's `kid` (its first part), as decompose reads it. */
const TOKEN_KID_PATH = /~base64~json\.kid$/;
/** A key id that is a file's path: absolute, a Windows drive's, or climbing. */
const KEY_FILE_PATH = /^\s*(?:\/|\\|[a-z]:[\\/])|(?:^|[\\/])\.\.(?:[\\/]|$)/i;

/** Headers that make some frameworks route to another path than the request line's. */
const PATH_OVERRIDE_HEADERS = new Set(["x-original-url", "x-rewrite-url", "x-override-url"]);
/** Headers an application or an allowlist reads the client's address from (the first entry is the client). */
const CLIENT_ADDRESS_HEADERS = new Set([
  "x-forwarded-for", "x-real-ip", "x-client-ip", "client-ip", "x-originating-ip", "x-remote-ip", "x-remote-addr",
  "x-cluster-client-ip", "true-client-ip", "cf-connecting-ip", "fastly-client-ip", "x-custom-ip-authorization", "forwarded",
]);
/** Where a peer is one of the server's own networks: a proxy in front of nginx (a container bridge, a VPN's shared range) sits there. */
const LOCAL_RANGES = new Set(["loopback", "unspecified", "private", "linkLocal", "uniqueLocal", "carrierGradeNat"]);
/** An address entry longer than this is none (the longest IPv6 form with brackets, a port and quotes is 55). */
const MAX_ENTRY = 64;

/**
 * The path a request line or an override header names, as a router reads it: dot segments resolved,
 * without query or fragment. Only `scheme://` opens an authority: `//admin/users` is a path.
 */
function routedPath(target: string): string | null {
  const text = target.trim();
  try {
    return (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? new URL(text) : new URL(`http://moat.invalid${text.startsWith("/") ? "" : "/"}${text}`)).pathname;
  } catch {
    return null;
  }
}

/** The range ipaddr.js names for an address (`loopback`, `private`, `unicast`, ...); null for no address (parsed strictly first). */
function addressRange(text: string): string | null {
  return parseIp(text) ? ipaddr.process(text).range() : null;
}

/** The client a client-address header claims: its first entry (`Forwarded`: the first element's `for=`), without quotes, brackets or port. */
function claimedClient(name: string, value: string): string {
  const comma = value.indexOf(",");
  let entry = (comma === -1 ? value : value.slice(0, comma)).trim();
  if (name === "forwarded") entry = /(?:^|;)\s*for=([^;]*)/i.exec(entry)?.[1]?.trim() ?? "";
  if (entry.length > MAX_ENTRY) return "";
  entry = entry.replace(/^"|"$/g, "");
  if (entry.startsWith("[")) return entry.slice(1, entry.indexOf("]"));
  // One colon is a port after an IPv4 address or a name; more are an IPv6 address.
  return entry.indexOf(":") === entry.lastIndexOf(":") ? entry.replace(/:\d*$/, "") : entry;
}

function claimsLoopback(client: string): boolean {
  if (client.toLowerCase() === "localhost") return true;
  const range = addressRange(client);
  return range === "loopback" || range === "unspecified";
}

/**
 * The request-scope findings: a path override that names another path than the request's, and a
 * loopback client claimed on a connection from beyond the server's own networks. Each goes on its header's leaf, the
 * whole value its evidence.
 */
export function accessOverrides(req: Pick<HttpRequest, "path" | "clientIp">, leaves: readonly Leaf[]): { at: number; finding: Finding }[] {
  const out: { at: number; finding: Finding }[] = [];
  let publicPeer: boolean | undefined;
  for (let at = 0; at < leaves.length; at++) {
    const leaf = leaves[at]!;
    // The header's own leaf, not a reading of it; the names first, a cheap test on every leaf.
    if (leaf.location !== "header" || leaf.kind !== "value") continue;
    const override = PATH_OVERRIDE_HEADERS.has(leaf.name);
    if ((!override && !CLIENT_ADDRESS_HEADERS.has(leaf.name)) || !isHeaderOwnLeaf(leaf)) continue;
    if (override) {
      const named = routedPath(leaf.text);
      if (named !== null && named !== routedPath(req.path)) out.push({ at, finding: find("path-override", 0.8, 0, leaf.text.length) });
    } else if (claimsLoopback(claimedClient(leaf.name, leaf.text))) {
      if (publicPeer === undefined) {
        const range = addressRange(req.clientIp.trim());
        publicPeer = range !== null && !LOCAL_RANGES.has(range);
      }
      if (publicPeer) out.push({ at, finding: find("loopback-claim", 0.7, 0, leaf.text.length) });
    }
  }
  return out;
}

/**
 * Headers a framework sets on its own internal requests and trusts when it sees them again, with the
 * value that makes it skip its checks from a client: Next.js's middleware recursion guard
 * (CVE-2025-29927) naming the middleware five times (its recursion limit), or its older
 * `pages/_middleware` once. The framework's own fetches name a route, or the middleware once.
 */
const INTERNAL_HEADERS = new Map([["x-middleware-subrequest", /(?:^|:)(?:(?:src\/)?middleware(?::(?:src\/)?middleware){4}|pages\/(?:[\w-]+\/)*_middleware)(?=:|$)/]]);

/**
 * A comment inside a SAML assertion's NameID (`admin@corp.example<!---->.evil.example`): the signature
 * covers the text around it, and libraries that read only the first text node (python-saml, ruby-saml,
 * OneLogin's, CVE-2017-11427 and its kin) take the user to be `admin@corp.example`. No identity
 * provider writes one there.
 */
const SAML_NAMEID_COMMENT = /<(?:[\w-]{1,32}:)?NameID\b[^<>]{0,512}>[^<]{0,512}<!--/;

export const authBypassAnalyzer: Analyzer = {
  name: "auth",
  analyze(input: AnalyzerInput): Finding[] {
    if (input.text.indexOf("<!--") !== -1 && input.text.indexOf("NameID") !== -1) {
      const comment = SAML_NAMEID_COMMENT.exec(input.text);
      if (comment) return [find("saml-nameid-comment", 0.85, comment.index, comment.index + comment[0].length)];
    }
    const internal = INTERNAL_HEADERS.get(input.name);
    if (internal && isHeaderOwnLeaf(input)) {
      const abuse = internal.exec(input.text);
      if (abuse) return [find("internal-header", 0.85, abuse.index, abuse.index + abuse[0].length)];
    }
    // Only a token, or its header's `alg`, `kid`, `kty`, `jku` or `x5u`: every other leaf is a comparison or two.
    const name = input.name;
    const forged = input.text.indexOf("eyJ") === -1 ? null : forgedSignature(input.text);
    if (forged) return [forged];
    if (name === "kid") return TOKEN_KID_PATH.test(input.path) && KEY_FILE_PATH.test(input.text) ? [find("key-id-path", 0.85, 0, input.text.length)] : [];
    if (name === "alg") {
      if (!TOKEN_ALG_PATH.test(input.path) || !NO_ALGORITHM.test(input.text)) return [];
      const start = input.text.search(/\S/);
      return [find("unsigned-token", 0.9, start, start + 4)];
    }
    if (name !== "kty" && name !== "jku" && name !== "x5u" && name !== "x5c") return [];
    const fetched = name === "jku" || name === "x5u";
    if (!(TOKEN_KEY_PATH.test(input.path) || BODY_TOKEN_KEY_URL_PATH.test(input.path)) || (fetched && !FETCHED_KEY.test(input.text))) return [];
    return [find("token-brings-key", 0.85, 0, input.text.length)];
  },
};
