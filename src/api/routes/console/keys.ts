/** API keys from the dashboard (notes/console-api.md, item 7), through the same functions as `moat apikey`. */
import { JSON_BODY } from "../../json-body.ts";
import { Elysia, t } from "elysia";
import { createKey, DEFAULT_KEY_ACCESS, keyNameProblem, listKeys, revokeKey } from "../../auth/keys.ts";
import { ApiKey, CreatedApiKey, IdParam, KeyCreateBody, toApiKey } from "../../console-contract.ts";
import { ApiError, envelope, ErrorEnvelope, ok } from "../../envelope.ts";
import type { ApiServices } from "../../services.ts";

/** Keys are few (people and machines make them by hand); the list is capped all the same. */
const MAX_KEYS_LISTED = 1000;

export function keyRoutes(s: ApiServices) {
  const { store } = s.ctx;
  const tags = ["auth"];
  return new Elysia({ name: "console-keys", prefix: "/api" })
    .get("/keys", () => ok(listKeys(store).slice(-MAX_KEYS_LISTED).map(toApiKey)), { response: envelope(t.Array(ApiKey)), detail: { tags, summary: "Every API key, revoked ones included (never the key itself)" } })
    .post(
      "/keys",
      ({ body }) => {
        const problem = keyNameProblem(body.name.trim(), body.scope ?? DEFAULT_KEY_ACCESS.scope);
        if (problem) throw new ApiError(400, problem);
        const created = createKey(store, body.name.trim(), { scope: body.scope, rateLimit: body.rateLimit }, s.ctx.now());
        return ok({ ...toApiKey(created), key: created.key }, "store the key now: it cannot be shown again");
      },
      { parse: JSON_BODY, body: KeyCreateBody, response: { 200: envelope(CreatedApiKey), 400: ErrorEnvelope }, detail: { tags, summary: "Create a key; the answer holds the whole key, shown this once" } },
    )
    .delete(
      "/keys/:id",
      ({ params }) => {
        const revoked = revokeKey(store, params.id, s.ctx.now());
        if (!revoked) throw new ApiError(404, `no API key ${params.id}`);
        return ok(toApiKey(revoked.key), revoked.alreadyRevoked ? "the key was already revoked" : "key revoked; its dashboard sessions are ended");
      },
      { params: IdParam, response: { 200: envelope(ApiKey), 404: ErrorEnvelope }, detail: { tags, summary: "Revoke a key (and end its dashboard sessions)" } },
    );
}
