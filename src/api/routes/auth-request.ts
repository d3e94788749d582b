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
import { toHttpRequest } from "../check-input.ts";
import { originalRequest, requireSnippetHeaders, SubrequestHeaders } from "../original-request.ts";
import { CheckAnswer, checkInline, type CheckAnswerT } from "../inline-check.ts";

const AUTH_REQUEST_PATH = "/check/auth-request";

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
  return new Elysia({ name: "auth-request" })
    .onError(answerApiError)
    .get(
      AUTH_REQUEST_PATH,
      async ({ request, set }) => {
        const input = originalRequest(request.headers);
        const [answer] = await checkInline(s, (now) => [toHttpRequest(input, now)]);
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
        transform: (c: { request: Request }) => requireSnippetHeaders(c.request.headers, "auth-request.conf"),
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
