/** The agents that report to this Moat as their hub (the Agents page): empty on a Moat that is no hub. */
import { Elysia, t } from "elysia";
import { Agent, toAgent } from "../../console-contract.ts";
import { envelope, ok } from "../../envelope.ts";
import type { ApiServices } from "../../services.ts";
import { listAgents } from "../../../services/agents.ts";

export function agentListRoutes(s: ApiServices) {
  return new Elysia({ name: "console-agents", prefix: "/api" }).get("/agents", () => ok(listAgents(s.ctx.store).map((row) => toAgent(row, s.ctx.now()))), {
    response: envelope(t.Array(Agent)),
    detail: { tags: ["agents"], summary: "The agents reporting to this hub: health, lag, outbox, version, last batch" },
  });
}
