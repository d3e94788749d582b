/**
 * Browser-origin defenses: a web page open in the operator's browser must not be able to drive Moat,
 * which listens on the same machine and may hold a logged-in session. Three checks, in an app-wide
 * `onRequest` hook that runs before the auth guard and before any body is read:
 *
 * - `Host` must be one of Moat's names: loopback names, IP literals (an address cannot be DNS-rebound),
 *   server.host and server.allowed_hosts. A page on attacker.example whose name was rebound to 127.0.0.1
 *   reaches Moat with `Host: attacker.example` and is refused (421): DNS rebinding gives nothing.
 * - A request that can change state (any method but GET, HEAD and OPTIONS, and the WebSocket upgrade)
 *   must come from an allowed origin: Moat's own, a loopback one on any port (a dashboard beside Moat,
 *   such as the contract's client on http://127.0.0.1:3000), or one in server.allowed_origins. Browsers
 *   send `Origin` on every cross-origin POST and on every WebSocket handshake; without it the `Referer`'s
 *   origin stands in. Without either the caller is not a browser (curl, nginx, a script) and may go on.
 * - Such a request's body must be JSON (`Content-Type: application/json`), which a form cannot send and a
 *   script can send cross-origin only after a CORS preflight, which foreign origins fail. The inline check
 *   routes are the exception: they take a raw HTTP request as text by design, for scripts and proxies; they
 *   only judge, and the origin rule keeps browsers off them.
 *
 * A refused request gets no CORS headers, so a page elsewhere cannot even read why.
 */
import { Elysia } from "elysia";
import type { Config } from "../../config/schema.ts";
import { parseIp } from "../../core/ip.ts";
import { failure } from "../envelope.ts";
import { isInlineCheckPath } from "../inline-check.ts";
import { isLoopbackHost } from "../../config/exposure.ts";

/** What the server answers to, besides loopback names and IP literals, which it always does. */
export interface BrowserPolicy {
  /** Host names (no port), lower case. */
  hosts: Set<string>;
  /** Serialized origins (`scheme://host[:port]`, default port left out). */
  origins: Set<string>;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const JSON_MEDIA_TYPE = /^application\/json\s*(;|$)/i;

export const FOREIGN_HOST =
  "this Host is not one of Moat's names (loopback names, IP addresses, names without a dot, server.host, server.allowed_hosts): add the name to server.allowed_hosts to reach Moat by it. Unknown names are refused so that DNS rebinding cannot reach Moat";
const FOREIGN_ORIGIN =
  "cross-origin request refused: its Origin (or Referer) is not Moat's own, a loopback origin or one in server.allowed_origins. A web page elsewhere may not drive Moat; if that dashboard is yours, add its origin to server.allowed_origins";
const NOT_JSON = "send the body as JSON with `Content-Type: application/json`: Moat accepts no forms, as any web page could submit one to it";

/** The host name of an authority (`host[:port]`), lower case; null when it is not just that. */
function hostnameOf(authority: string): string | null {
  try {
    const url = new URL(`http://${authority}`);
    if (url.username || url.password || url.pathname !== "/" || url.search || url.hash) return null;
    return url.hostname;
  } catch {
    return null;
  }
}

function isIpLiteral(hostname: string): boolean {
  return parseIp(hostname.replace(/^\[(.*)\]$/, "$1")) !== null;
}

export function browserPolicy(server: Config["server"]): BrowserPolicy {
  const hosts = [server.host, ...server.allowed_hosts].map((h) => hostnameOf(h.includes(":") && !h.startsWith("[") ? `[${h}]` : h));
  return {
    hosts: new Set(hosts.filter((h): h is string => h !== null)),
    origins: new Set(server.allowed_origins.map((o) => new URL(o).origin)),
  };
}

/** The authority the client asked for: the Host header (in-process requests have only their URL). */
function requestedAuthority(request: Request): string {
  return request.headers.get("host") ?? new URL(request.url).host;
}

export function isAllowedHost(request: Request, policy: BrowserPolicy): boolean {
  const name = hostnameOf(requestedAuthority(request));
  return name !== null && (isLoopbackHost(name) || isIpLiteral(name) || isSingleLabel(name) || policy.hosts.has(name));
}

/**
 * A name without a dot (`moat`, the upstream name nginx sends unless told otherwise) cannot come from
 * public DNS, which is what DNS rebinding needs: an attacker's page can only make the browser send a
 * name the attacker registered. Allowing them keeps nginx set-ups from before the Host check working.
 */
function isSingleLabel(name: string): boolean {
  return !name.includes(".");
}

/** Whether a browser origin may call Moat: its own origin, a loopback one, or a configured one. */
function isAllowedOrigin(origin: string, request: Request, policy: BrowserPolicy): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, file: pages) included
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  if (isLoopbackHost(url.hostname) || policy.origins.has(url.origin)) return true;
  try {
    return new URL(`${url.protocol}//${requestedAuthority(request)}`).host === url.host;
  } catch {
    return false;
  }
}

/** The browser's origin for a request: `Origin`, else the `Referer`'s; undefined when neither came (not a browser). */
function browserOrigin(request: Request): string | undefined {
  const origin = request.headers.get("origin");
  if (origin !== null) return origin;
  const referer = request.headers.get("referer");
  if (referer === null) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return "null";
  }
}

function isWebSocketUpgrade(request: Request): boolean {
  return request.headers.get("upgrade")?.trim().toLowerCase() === "websocket";
}

function hasBody(request: Request): boolean {
  if (request.headers.has("transfer-encoding")) return true;
  const length = request.headers.get("content-length");
  return length !== null ? length.trim() !== "0" : request.body !== null;
}

/** The origin function of the CORS plugin: the same rule, so a refused origin never gets CORS headers. */
export function corsOriginCheck(policy: BrowserPolicy) {
  return (request: Request) => {
    const origin = request.headers.get("origin");
    return origin !== null && isAllowedOrigin(origin, request, policy);
  };
}

/** Why a request is refused, as [status, message], or null when it may go on. */
function refusal(request: Request, policy: BrowserPolicy): [number, string] | null {
  if (!isAllowedHost(request, policy)) return [421, FOREIGN_HOST];
  const safe = SAFE_METHODS.has(request.method);
  if (safe && !isWebSocketUpgrade(request)) return null;
  const origin = browserOrigin(request);
  if (origin !== undefined && !isAllowedOrigin(origin, request, policy)) return [403, FOREIGN_ORIGIN];
  if (safe || isInlineCheckPath(new URL(request.url).pathname)) return null;
  const type = request.headers.get("content-type");
  if (type === null ? hasBody(request) : !JSON_MEDIA_TYPE.test(type)) return [415, NOT_JSON];
  return null;
}

/** The app-wide hook; `policy` is the one the CORS plugin's origin check (corsOriginCheck) was given. */
export function browserGuard(policy: BrowserPolicy) {
  return new Elysia().onRequest(({ request, set }) => {
    const refused = refusal(request, policy);
    if (!refused) return;
    // The CORS plugin's defaults (allow-credentials) are already set: a refusal carries none of them.
    for (const name of Object.keys(set.headers)) if (name.startsWith("access-control-")) delete set.headers[name];
    set.status = refused[0];
    return failure(refused[1]);
  });
}
