/**
 * The target of nginx's `mirror` (assets/deploy/nginx/mirror.conf): a copy of each client request,
 * its body included. Moat reads the body (up to mirror.max_body_bytes; the rest is read and
 * discarded, and the copy is judged on its start and stored as partial), queues the copy, and
 * answers 204 at once: nginx ignores a mirror's answer, and judging happens after it (the mirror
 * source, src/pipeline/sources/mirror.ts). The copy is joined to its access-log line by
 * X-Moat-Request-Id (nginx's $request_id).
 */
import { Elysia, t } from "elysia";
import { answerApiError, ApiError, ErrorEnvelope } from "../envelope.ts";
import type { ApiServices } from "../services.ts";
import { toHttpRequest } from "../check-input.ts";
import { originalRequest, requireSnippetHeaders, SubrequestHeaders } from "../original-request.ts";
import type { HttpRequest } from "../../core/http-request.ts";

export const MIRROR_PATH = "/mirror";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Body bytes as text: UTF-8 when they are, else one character a byte (latin1), as the decoders expect of binary bodies. */
function bodyText(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  }
}

/** Reads at most `limit` bytes of the body and discards the rest; `total` is the body's real size. */
async function readBounded(body: ReadableStream<Uint8Array> | null, limit: number): Promise<{ kept: Uint8Array; total: number }> {
  const kept = new Uint8Array(limit);
  let used = 0;
  let total = 0;
  if (!body) return { kept: kept.subarray(0, 0), total };
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (used < limit) {
      const take = Math.min(limit - used, chunk.byteLength);
      kept.set(chunk.subarray(0, take), used);
      used += take;
    }
  }
  return { kept: kept.subarray(0, used), total };
}

/** The copy as a request: nginx's description of the original, its body, and its request id. */
export async function mirroredRequest(request: Request, maxBodyBytes: number, now: number): Promise<HttpRequest> {
  const { kept, total } = await readBounded(request.body, maxBodyBytes);
  const copy = toHttpRequest({ ...originalRequest(request.headers), ...(total ? { body: bodyText(kept) } : {}) }, now);
  if (total > kept.byteLength) copy.bodyBytes = total;
  const id = request.headers.get("x-moat-request-id");
  if (id) copy.extra.request_id = id;
  copy.origin = { source: "mirror" };
  return copy;
}

export function mirrorRoutes(s: ApiServices) {
  const { mirror: settings } = s.ctx.config;
  return new Elysia({ name: "mirror" }).onError(answerApiError).post(
    MIRROR_PATH,
    async ({ request, set }) => {
      if (!s.mirror) throw new ApiError(404, "the mirror source is off (mirror.enabled = false)");
      const copy = await mirroredRequest(request, settings.max_body_bytes, s.ctx.now());
      // Full: dropped and counted (its log line is still stored). nginx ignores the answer either way.
      set.status = s.mirror.accept(copy) ? 204 : 503;
      return undefined;
    },
    {
      // The body is read by the handler, bounded, as bytes: this parser claims it without reading it
      // (Elysia's "none" still falls back to its own parsers when the app has a global parse hook).
      parse: () => ({}),
      transform: (c: { request: Request }) => requireSnippetHeaders(c.request.headers, "mirror.conf"),
      headers: SubrequestHeaders,
      detail: {
        tags: ["detection"],
        summary: "nginx mirror: a copy of a client request, body included, judged out of band",
        description:
          "The target of nginx's `mirror` (see assets/deploy/nginx/mirror.conf), sent with `proxy_method POST`. The original request is rebuilt from " +
          "X-Original-Method, X-Original-URI, X-Original-Remote-Addr, X-Original-Host and the client's own headers; the body is the client's. " +
          "X-Moat-Request-Id ($request_id) joins the copy to its access-log line, and the two are stored as one request. Answers 204 before judging; " +
          "503 when the queue is full (the copy is dropped and counted). Bodies over mirror.max_body_bytes are judged on their start and stored as partial.",
      },
      response: { 204: t.Void({ description: "queued" }), 503: t.Void({ description: "the queue is full: dropped" }), 400: ErrorEnvelope, 404: ErrorEnvelope },
    },
  );
}
