/**
 * How large a request body the API takes: server.max_body_bytes. Bun refuses a larger body at the
 * socket (a chunked one as it grows); this guard answers a larger declared body in Moat's envelope, a 413
 * before any route or parser reads it.
 * (nginx's mirrored copies, whose bodies may be larger, go to a listener of their own: src/api/mirror/.)
 */
import { Elysia } from "elysia";
import type { Config } from "../config/schema.ts";
import { failure } from "./envelope.ts";

export function bodyLimitGuard(config: Config) {
  const limit = config.server.max_body_bytes;
  return new Elysia({ name: "body-limit" }).onRequest(({ request, set }) => {
    const declared = request.headers.get("content-length");
    if (declared === null || Number(declared) <= limit) return;
    set.status = 413;
    return failure(`the body is larger than ${limit} bytes`);
  });
}
