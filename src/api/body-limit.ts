/**
 * How large a request body the API takes: server.max_body_bytes, and on a hub AGENT_BATCH_BYTES for an
 * agent's batches however low server.max_body_bytes is (an agent's outbox must always drain into its
 * hub). Bun refuses a larger body at the socket (a chunked one as it grows); this guard answers a larger
 * declared body in Moat's envelope, a 413 before any route or parser reads it.
 * (nginx's mirrored copies, whose bodies may be larger, go to a listener of their own: src/api/mirror/.)
 */
import { Elysia } from "elysia";
import type { Config } from "../config/schema.ts";
import { failure } from "./envelope.ts";
import { AGENT_ROUTE_PREFIX, WIRE_POST_BYTES } from "../core/agent-wire.ts";

/**
 * The most an agent's POST of batches may hold: its entries' payloads come to at most WIRE_POST_BYTES
 * (src/core/agent-wire.ts), and the room above it is for the envelope around them.
 */
const AGENT_BATCH_BYTES = WIRE_POST_BYTES + 64 * 1024;
const AGENT_BATCHES_PATH = `${AGENT_ROUTE_PREFIX}batches`;

/** The largest body any route takes: what Bun is told to read at most (more only on a hub). */
export function largestBody(config: Config, acceptsAgents: boolean): number {
  return acceptsAgents ? Math.max(config.server.max_body_bytes, AGENT_BATCH_BYTES) : config.server.max_body_bytes;
}

export function bodyLimitGuard(config: Config, acceptsAgents: boolean) {
  return new Elysia({ name: "body-limit" }).onRequest(({ request, set }) => {
    const declared = request.headers.get("content-length");
    if (declared === null || Number(declared) <= config.server.max_body_bytes) return;
    const limit = acceptsAgents && URL.parse(request.url)?.pathname === AGENT_BATCHES_PATH ? AGENT_BATCH_BYTES : config.server.max_body_bytes;
    if (Number(declared) <= limit) return;
    set.status = 413;
    return failure(`the body is larger than ${limit} bytes`);
  });
}
