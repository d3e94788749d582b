/**
 * Access-control bypass as whole requests: the forms that are a property of the request, not of one
 * value, which the value generators cannot teach. A path override header naming another path than the
 * request's, and a client-address header claiming loopback over a connection from elsewhere; a
 * JSON Web Token with its signature switched off, in the places tokens travel, or bringing its own key,
 * as a credential. Their benign twins are
 * the same requests as honest deployments send them: the override naming the request's own path (a
 * proxy's), the loopback claim from a peer on the server's own networks (local proxies), the token signed.
 */
import type { HttpRequest } from "../../core/http-request.ts";
import { rng } from "../../core/random.ts";
import { base64url, grammarPayload, keyBringingToken } from "./grammar.ts";
import { written } from "./placement.ts";
import { pick } from "./sample.ts";

const SITES = ["shop.example.com", "portal.example.org", "api.example.net", "intranet.example.io"];
const PUBLIC_PATHS = ["/", "/index.php", "/login", "/products/42", "/api/v1/status", "/static/app.js", "/home"];
const GUARDED_PATHS = ["/admin", "/admin/users", "/admin/config.php", "/console", "/api/internal/users", "/manage/delete?id=7", "/actuator/env", "/server-status"];
const OVERRIDE_HEADERS = ["x-original-url", "x-rewrite-url", "x-override-url"];
const ADDRESS_HEADERS = ["x-forwarded-for", "x-real-ip", "x-client-ip", "x-originating-ip", "x-remote-addr", "true-client-ip", "forwarded"];
const LOOPBACK = ["127.0.0.1", "localhost", "::1", "127.0.0.2", "0.0.0.0", "[::1]:8080", "::ffff:127.0.0.1"];
const TOKEN_NAMES = ["token", "access_token", "jwt", "id_token", "auth"];
const SIGNED_ALGORITHMS = ["HS256", "RS256", "ES256", "PS256", "EdDSA"];

export interface AccessRequests {
  attacks: HttpRequest[];
  benign: HttpRequest[];
}

function peerAddress(r: () => number): string {
  return `${pick(r, [198, 203, 185, 91])}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`;
}

/** A client-address header's value claiming `client` (`Forwarded` spells it as a parameter). */
function claim(header: string, client: string, r: () => number): string {
  if (header === "forwarded") return `for=${client.includes(":") && !client.startsWith("[") ? `"[${client}]"` : client};proto=https`;
  return header === "x-forwarded-for" && r() < 0.4 ? `${client}, ${peerAddress(r)}` : client;
}

/** The share of tokens sent in the Authorization header (40%) or a cookie (the next 25%). */
const IN_HEADER_OR_COOKIE = 0.65;

/**
 * The token in one of the places a client sends it: the Authorization header, a cookie, a parameter, a
 * JSON body; `credential`: only where it is the bearer's credential (the header or a cookie).
 */
function withToken(r: () => number, site: string, token: string, credential = false): HttpRequest | null {
  const path = pick(r, ["/api/v1/me", "/api/orders", "/account", "/admin"]);
  const name = pick(r, TOKEN_NAMES);
  const place = credential ? r() * IN_HEADER_OR_COOKIE : r();
  if (place < 0.4) return written("GET", path, site, [["authorization", `Bearer ${token}`]], null, "auth-bypass");
  if (place < IN_HEADER_OR_COOKIE) return written("GET", path, site, [["cookie", `${name}=${token}; theme=dark`]], null, "auth-bypass");
  if (place < 0.85) return written("GET", `${path}?${name}=${token}`, site, [], null, "auth-bypass");
  return written("POST", path, site, [], { type: "application/json", text: JSON.stringify({ [name]: token }) }, "auth-bypass");
}

/** The same token signed: its header names an algorithm, its signature is there. */
function signed(token: string, r: () => number): string {
  const [, claims] = token.split(".");
  const header = base64url(JSON.stringify({ alg: pick(r, SIGNED_ALGORITHMS), typ: "JWT" }));
  return `${header}.${claims}.${Buffer.from(Array.from({ length: 32 }, () => Math.floor(r() * 256))).toString("base64url")}`;
}

function fromPeer(req: HttpRequest | null, peer: string): HttpRequest | null {
  if (req) req.clientIp = peer;
  return req;
}

export function accessRequests(count: number, seed: number): AccessRequests {
  const r = rng(seed);
  const out: AccessRequests = { attacks: [], benign: [] };
  const keep = (attack: HttpRequest | null, twin: HttpRequest | null) => {
    if (attack) out.attacks.push(attack);
    if (twin) out.benign.push(twin);
  };
  for (let i = 0; i < count; i++) {
    const site = pick(r, SITES);
    const form = i % 3;
    if (form === 0) {
      // A token with its signature switched off, anywhere; or one that brings its own key, as a credential.
      const brings = r() < 0.4;
      const token = brings ? keyBringingToken(r) : grammarPayload(r, "auth-bypass");
      keep(withToken(r, site, token, brings), withToken(r, site, signed(token, r), brings));
    } else if (form === 1) {
      const header = pick(r, OVERRIDE_HEADERS);
      const path = pick(r, PUBLIC_PATHS);
      keep(written("GET", path, site, [[header, pick(r, GUARDED_PATHS)]], null, "auth-bypass"), written("GET", path, site, [[header, path]], null, "auth-bypass"));
    } else {
      const header = pick(r, ADDRESS_HEADERS);
      const path = pick(r, [...PUBLIC_PATHS, ...GUARDED_PATHS]);
      const claimed = [[header, claim(header, pick(r, LOOPBACK), r)]] as [string, string][];
      keep(fromPeer(written("GET", path, site, claimed, null, "auth-bypass"), peerAddress(r)), fromPeer(written("GET", path, site, claimed, null, "auth-bypass"), pick(r, ["127.0.0.1", "172.17.0.1", "10.0.0.2"])));
    }
  }
  return out;
}
