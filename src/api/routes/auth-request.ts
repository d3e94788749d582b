/**
 * Inline blocking through nginx's `auth_request` (assets/deploy/nginx/auth-request.conf).
 *
 * For every client request, nginx sends Moat a GET subrequest with no body (auth_request subrequests
 * never carry one) that holds the client's own headers plus what the snippet sets: X-Original-Method,
 * X-Original-URI (`$request_uri`, query included), X-Original-Remote-Addr and X-Original-Host. Moat
 * rebuilds the original request from them, judges it on the same path as POST /check (stored,
 * published, counted), and answers 204 to let it through or, in block mode when it is flagged, 403,
 * which nginx passes on to the client. In detect mode every request is let through and flagged ones
 * are recorded. Headers give nginx the verdict for its logs (`auth_request_set $x
 * $upstream_http_x_moat_score`). Anything else — a 400 for a subrequest without the snippet's
 * headers, a 401 for a bad key, a 429 over the rate limit, Moat down or slow — is what the snippet's
 * fail mode decides on (open: let through; closed: 500).
 */
import { Elysia, t } from "elysia";
import { answerApiError, ApiError, ErrorEnvelope } from "../envelope.ts";
import type { ApiServices } from "../services.ts";
import { toHttpRequest, type CheckRequestT } from "../check-input.ts";
import { CheckAnswer, inlineChecker, type CheckAnswerT } from "../inline-check.ts";

const AUTH_REQUEST_PATH = "/check/auth-request";

/**
 * An HTTP method token (RFC 9110). Any method nginx accepted must be judged, never refused: a 400
 * would hand the request to the fail mode, and with fail-open let it through unjudged.
 */
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Headers that belong to the subrequest, not to the client's request: the snippet's own, Moat's
 * credentials, and hop-by-hop ones (nginx's connection to Moat). The client's Host arrives as
 * X-Original-Host (the subrequest's Host names Moat's upstream).
 */
const SUBREQUEST_HEADERS = new Set([
  "x-original-method",
  "x-original-uri",
  "x-original-remote-addr",
  "x-original-host",
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

const SubrequestHeaders = t.Object(
  {
    "x-original-method": t.String({ pattern: METHOD.source, description: "the client's method: `proxy_set_header X-Original-Method $request_method;`" }),
    "x-original-uri": t.String({ minLength: 1, description: "the client's request target with its query: `proxy_set_header X-Original-URI $request_uri;`" }),
    "x-original-remote-addr": t.Optional(t.String({ description: "the client's address: `proxy_set_header X-Original-Remote-Addr $remote_addr;` (else X-Real-IP or X-Forwarded-For)" })),
    "x-original-host": t.Optional(t.String({ description: "the client's Host header: `proxy_set_header X-Original-Host $http_host;`" })),
  },
  { additionalProperties: true, description: "the snippet's headers; every other header is the client's own and is judged with the request" },
);

/** The same rules as SubrequestHeaders, with a 400 that says which header is wrong and where it comes from. */
function requireSnippetHeaders(headers: Headers): void {
  const method = headers.get("x-original-method");
  const uri = headers.get("x-original-uri");
  const snippet = "see assets/deploy/nginx/auth-request.conf";
  if (!method) throw new ApiError(400, `X-Original-Method is missing: set it in the auth_request location (proxy_set_header X-Original-Method $request_method;), ${snippet}`);
  if (!METHOD.test(method)) throw new ApiError(400, "X-Original-Method must be an HTTP method token such as GET");
  if (!uri) throw new ApiError(400, `X-Original-URI is missing: set it in the auth_request location (proxy_set_header X-Original-URI $request_uri;), ${snippet}`);
}

/**
 * The client's request, rebuilt from a subrequest that passed requireSnippetHeaders. nginx's
 * $request_uri is the target as sent, which for an absolute-form request without a path
 * (`GET http://host?q=...`) is only the query: nginx serves it as `/`, and so is it judged.
 */
function originalRequest(headers: Headers): CheckRequestT {
  const uri = headers.get("x-original-uri")!;
  const clientHeaders: Record<string, string> = {};
  for (const [name, value] of headers) if (!SUBREQUEST_HEADERS.has(name)) clientHeaders[name] = value;
  const host = headers.get("x-original-host");
  if (host) clientHeaders.host = host;
  // Without X-Original-Remote-Addr, the client's X-Real-IP or X-Forwarded-For, as for POST /check.
  const remoteAddr = headers.get("x-original-remote-addr")?.trim();
  return { method: headers.get("x-original-method")!, path: uri.startsWith("/") ? uri : `/${uri}`, headers: clientHeaders, ...(remoteAddr ? { client_ip: remoteAddr } : {}) };
}

/** The verdict as headers nginx can log (`$upstream_http_x_moat_score`, ...). */
function verdictHeaders(answer: CheckAnswerT): Record<string, string> {
  return {
    "x-moat-verdict": answer.blocked ? "blocked" : answer.is_anomaly ? "flagged" : "clean",
    "x-moat-score": answer.anomaly_score.toFixed(6),
    "x-moat-attack-type": answer.attack_type ?? "",
    "x-moat-severity": answer.severity,
  };
}

export function authRequestRoutes(s: ApiServices) {
  const { check } = inlineChecker(s);
  return new Elysia({ name: "auth-request" })
    .onError(answerApiError)
    .get(
      AUTH_REQUEST_PATH,
      async ({ request, set }) => {
        const input = originalRequest(request.headers);
        const [answer] = await check((now) => [toHttpRequest(input, now)]);
        Object.assign(set.headers, verdictHeaders(answer!));
        if (answer!.blocked) {
          set.status = 403;
          return answer!;
        }
        set.status = 204;
        return undefined;
      },
      {
        // Checked before Elysia's own validation of `headers`, to say which header is wrong and how
        // the snippet sets it; the schema describes them in the OpenAPI document.
        transform: (c: { request: Request }) => requireSnippetHeaders(c.request.headers),
        headers: SubrequestHeaders,
        detail: {
          tags: ["detection"],
          summary: "nginx auth_request: judge the original request",
          description:
            "The target of nginx's `auth_request` (see assets/deploy/nginx/auth-request.conf). The original request is rebuilt from X-Original-Method, " +
            "X-Original-URI, X-Original-Remote-Addr (else X-Real-IP or X-Forwarded-For), X-Original-Host and the client's own headers, which nginx passes on; " +
            "auth_request subrequests carry no body, so request bodies are not judged. Answers 204 to allow, or 403 with the verdict in block " +
            "mode when the request is flagged. Every answer carries X-Moat-Verdict (clean, flagged or blocked), X-Moat-Score, " +
            "X-Moat-Attack-Type (empty when clean) and X-Moat-Severity. The request is stored and shown like any inline check.",
        },
        response: { 204: t.Void({ description: "allow" }), 403: CheckAnswer, 400: ErrorEnvelope },
      },
    );
}
