/**
 * The deny list's ban decisions from the dashboard (the Bans page) and scripts, like `cscli decisions`:
 * list them, ban an address by hand, lift one now. Through the same DenyList as `moat serve` and
 * `moat decisions`, so the file and the reload follow every change.
 */
import { JSON_BODY } from "../../json-body.ts";
import { Elysia, t } from "elysia";
import { Decision, DecisionCreateBody, toDecision } from "../../console-contract.ts";
import { ApiError, envelope, ErrorEnvelope, ok } from "../../envelope.ts";
import type { ApiServices } from "../../services.ts";
import { BanError, parseDuration } from "../../../services/deny-list/rules.ts";
import type { DenyList } from "../../../services/deny-list/service.ts";

/** The running deny list, or a 409 that says how to turn it on. */
function denyListOf(s: ApiServices): DenyList {
  if (!s.denyList) throw new ApiError(409, "passive blocking is off (ban.enabled = false): there is no deny list to change");
  return s.denyList;
}

/** Runs a change of the deny list: a BanError (not an address, protected, the list full) is the caller's 400; the rest is ours. */
function orBadRequest<T>(change: () => T): T {
  try {
    return change();
  } catch (e) {
    if (e instanceof BanError) throw new ApiError(400, e.message);
    throw e;
  }
}

/** Writes the deny file (and reloads); the answer's message says whether the change is applied. */
async function applied(denyList: DenyList, done: string, stored: string): Promise<string> {
  const result = await denyList.sync();
  return result.error ? `${stored}, but the deny list is not applied: ${result.error}` : done;
}

export function decisionRoutes(s: ApiServices) {
  const tags = ["bans"];
  return new Elysia({ name: "console-decisions", prefix: "/api" })
    .get("/decisions", () => ok((s.denyList?.list() ?? []).map(toDecision)), {
      response: envelope(t.Array(Decision)),
      detail: { tags, summary: "Active ban decisions, newest first: who, why, until when, automatic or by hand, simulated or enforced" },
    })
    .post(
      "/decisions",
      async ({ body }) => {
        const denyList = denyListOf(s);
        const row = orBadRequest(() => denyList.ban(body.ip, { source: "manual", reason: body.reason ?? "banned by hand from the console", durationMs: parseDuration(body.duration ?? "0") }));
        return ok(toDecision(row), await applied(denyList, "banned", "stored"));
      },
      { parse: JSON_BODY, body: DecisionCreateBody, response: { 200: envelope(Decision), 400: ErrorEnvelope, 409: ErrorEnvelope }, detail: { tags, summary: "Ban an address now (written to the deny file, then ban.reload_command)" } },
    )
    .delete(
      "/decisions/:ip",
      async ({ params }) => {
        const denyList = denyListOf(s);
        const row = orBadRequest(() => denyList.unban(params.ip)); // Elysia has decoded it (203.0.113.0%2F24 → 203.0.113.0/24)
        if (!row) throw new ApiError(404, `${params.ip} is not banned`);
        return ok(toDecision(row), await applied(denyList, "lifted", "lifted"));
      },
      {
        params: t.Object({ ip: t.String({ minLength: 1, maxLength: 64, description: "the address, or the prefix with its slash encoded (203.0.113.0%2F24)" }) }),
        response: { 200: envelope(Decision), 400: ErrorEnvelope, 404: ErrorEnvelope, 409: ErrorEnvelope },
        detail: { tags, summary: "Lift a ban now (the deny file is rewritten, then ban.reload_command)" },
      },
    );
}
