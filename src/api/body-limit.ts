/**
 * How large a request body Moat takes. The server as a whole must let nginx's mirrored copies in —
 * their bodies are read up to mirror.max_body_bytes and the rest discarded, so a copy is never refused
 * for its size — while every other route keeps server.max_body_bytes: a larger declared body is a
 * 413 before any of it is read, and a body of undeclared length (chunked) a 411.
 */
import { Elysia } from "elysia";
import type { Config } from "../config/schema.ts";
import { failure } from "./envelope.ts";
import { MIRROR_PATH } from "./routes/mirror.ts";

/** Mirrored bodies are accepted up to this size at the socket (nginx's own client_max_body_size applies first). */
export const MIRROR_ACCEPT_BYTES = 1024 * 1_048_576;

/** The socket's limit: Bun refuses larger bodies before any route sees them. */
export function serverBodyLimit(config: Config): number {
  return config.mirror.enabled ? Math.max(config.server.max_body_bytes, MIRROR_ACCEPT_BYTES) : config.server.max_body_bytes;
}

export function bodyLimitGuard(config: Config) {
  const limit = config.server.max_body_bytes;
  return new Elysia({ name: "body-limit" }).onRequest(({ request, set }) => {
    if (!config.mirror.enabled || URL.parse(request.url)?.pathname === MIRROR_PATH) return;
    const declared = request.headers.get("content-length");
    if (declared !== null) {
      if (Number(declared) <= limit) return;
      set.status = 413;
      return failure(`the body is larger than ${limit} bytes`);
    }
    if (request.headers.get("transfer-encoding")?.toLowerCase().includes("chunked")) {
      set.status = 411;
      return failure("send the body with a Content-Length");
    }
  });
}
