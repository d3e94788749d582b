/**
 * nginx set-ups from before the mirror's own listener send copies to the API's port. nginx ignores a
 * mirror's answers, so without this they would be lost without a word: each is answered 410, and the
 * log says where copies go now (at most once a minute: nginx sends one a request).
 */
import { Elysia } from "elysia";
import type { ServiceContext } from "../../services/context.ts";
import { failure } from "../envelope.ts";
import { MIRROR_PATH } from "./copy.ts";

const WARN_EVERY_MS = 60_000;

export function mirrorMoved(ctx: ServiceContext) {
  const { mirror } = ctx.config;
  const where = `${mirror.host}:${mirror.port}${MIRROR_PATH}`;
  let warnedAt = -Infinity;
  let since = 0;
  // Before the other request hooks: a copy carries the client's Origin and Referer, which the browser rules would refuse first.
  return new Elysia({ name: "mirror-moved" }).onRequest(({ request, set }) => {
    if (request.method !== "POST" || new URL(request.url).pathname !== MIRROR_PATH) return;
    since++;
    if (ctx.monotonic() - warnedAt >= WARN_EVERY_MS) {
      warnedAt = ctx.monotonic();
      ctx.log.warn("nginx sends mirrored copies to the API's port: they are refused and lost. Point mirror.conf's upstream at the mirror listener", { listener: mirror.enabled ? where : "off (mirror.enabled = false)", refused: since });
      since = 0;
    }
    set.status = 410;
    return failure(`nginx's copies go to the mirror listener now, ${where} (mirror.host, mirror.port): see assets/deploy/nginx/mirror.conf`);
  });
}
