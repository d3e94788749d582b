/**
 * The client's request as nginx describes it to Moat in a subrequest — auth_request's
 * (assets/deploy/nginx/auth-request.conf) and mirror's (mirror.conf): X-Original-Method,
 * X-Original-URI, X-Original-Remote-Addr, X-Original-Host, and the client's own headers, which nginx
 * passes on.
 */
import { t } from "elysia";
import { ApiError } from "./envelope.ts";
import type { CheckRequestT } from "./check-input.ts";

/**
 * An HTTP method token (RFC 9110). Any method nginx accepted must be judged, never refused: a 400
 * would hand the request to the fail mode, and with fail-open let it through unjudged.
 */
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Headers that belong to the subrequest, not to the client's request: the snippet's own, Moat's
 * credentials, and hop-by-hop ones (nginx's connection to Moat). The client's Host arrives as
 * X-Original-Host (the subrequest's Host names Moat's upstream), its Authorization as
 * X-Original-Authorization (the subrequest's Authorization is Moat's credential, blanked by the snippet).
 */
const SUBREQUEST_HEADERS = new Set([
  "x-moat-request-id",
  "x-original-method",
  "x-original-uri",
  "x-original-remote-addr",
  "x-original-host",
  "x-original-authorization",
  "x-api-key",
  "authorization",
  "host",
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "content-length",
]);

export const SubrequestHeaders = t.Object(
  {
    "x-original-method": t.String({ pattern: METHOD.source, description: "the client's method: `proxy_set_header X-Original-Method $request_method;`" }),
    "x-original-uri": t.String({ minLength: 1, description: "the client's request target with its query: `proxy_set_header X-Original-URI $request_uri;`" }),
    "x-original-remote-addr": t.Optional(t.String({ description: "the client's address: `proxy_set_header X-Original-Remote-Addr $remote_addr;` (else X-Real-IP or X-Forwarded-For)" })),
    "x-original-host": t.Optional(t.String({ description: "the client's Host header: `proxy_set_header X-Original-Host $http_host;`" })),
    "x-original-authorization": t.Optional(t.String({ description: "the client's Authorization header, judged with the request (a forged token, an injection in Basic credentials) and stored redacted: `proxy_set_header X-Original-Authorization $moat_inline_authorization;` (`$moat_mirror_authorization` for the mirror: the snippet's map passes Basic and Bearer values up to 4 KB; the subrequest's own Authorization is blanked, so that a client's never authenticates to Moat)" })),
    "x-moat-request-id": t.Optional(t.String({ description: "mirror only: nginx's request id, which joins the copy to its access-log line: `proxy_set_header X-Moat-Request-Id $request_id;`" })),
  },
  { additionalProperties: true, description: "the snippet's headers; every other header is the client's own and is judged with the request" },
);

/** The same rules as SubrequestHeaders, with a 400 that says which header is wrong and where it comes from. */
export function requireSnippetHeaders(headers: Headers, snippetFile: string): void {
  const method = headers.get("x-original-method");
  const uri = headers.get("x-original-uri");
  const snippet = `see assets/deploy/nginx/${snippetFile}`;
  if (!method) throw new ApiError(400, `X-Original-Method is missing: set it in Moat's location (proxy_set_header X-Original-Method $request_method;), ${snippet}`);
  if (!METHOD.test(method)) throw new ApiError(400, "X-Original-Method must be an HTTP method token such as GET");
  if (!uri) throw new ApiError(400, `X-Original-URI is missing: set it in Moat's location (proxy_set_header X-Original-URI $request_uri;), ${snippet}`);
}

/**
 * The client's request, rebuilt from a subrequest that passed requireSnippetHeaders. nginx's
 * $request_uri is the target as sent, which for an absolute-form request without a path
 * (`GET http://host?q=...`) is only the query: nginx serves it as `/`, and so is it judged.
 */
export function originalRequest(headers: Headers): CheckRequestT {
  const uri = headers.get("x-original-uri")!;
  const clientHeaders: Record<string, string> = {};
  for (const [name, value] of headers) if (!SUBREQUEST_HEADERS.has(name)) clientHeaders[name] = value;
  const host = headers.get("x-original-host");
  if (host) clientHeaders.host = host;
  // The client's Authorization comes renamed: under its own name it would be a credential for Moat.
  const authorization = headers.get("x-original-authorization");
  if (authorization) clientHeaders.authorization = authorization;
  // Without X-Original-Remote-Addr, the client's X-Real-IP or X-Forwarded-For, as for POST /check.
  const remoteAddr = headers.get("x-original-remote-addr")?.trim();
  return { method: headers.get("x-original-method")!, path: uri.startsWith("/") ? uri : `/${uri}`, headers: clientHeaders, ...(remoteAddr ? { client_ip: remoteAddr } : {}) };
}

