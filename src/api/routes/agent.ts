/**
 * A hub's routes for its agents (`moat serve --hub URL --hub-key KEY`): an agent posts its judged
 * batches and its heartbeat, and gets back the hub's ban decisions for its own deny list. Only a key
 * of the agent scope may call them, and the agent is the key's name: one agent cannot write as another.
 * The console lists the agents at GET /api/agents.
 */
import { JSON_BODY } from "../json-body.ts";
import { Elysia, t } from "elysia";
import { AGENT_ROUTE_PREFIX, WireBatches, WireBatchesStored, WireDecisions, WireHeartbeat } from "../../agent/wire.ts";
import { ApiError, envelope, ErrorEnvelope, ok } from "../envelope.ts";
import type { ApiServices } from "../services.ts";
import { identify } from "../auth/guard.ts";
import { AgentBatchError, listAgents, recordAgentReport, storeAgentBatches } from "../../services/agents.ts";
import { StoreWriter } from "../../store/writer.ts";
import { Agent, toAgent } from "../console-contract.ts";

/** The calling agent's name; anything but a live agent key is refused. */
function agentOf(s: ApiServices, request: Request): string {
  const caller = identify(s.ctx.store, request, s.ctx.now());
  if (caller === null || caller === "invalid") throw new ApiError(401, "an agent key is required: moat apikey create NAME --scope agent on the hub, then moat serve --hub URL --hub-key KEY");
  if (caller.scope !== "agent") throw new ApiError(403, "only a key of the agent scope may send batches (moat apikey create NAME --scope agent)");
  return caller.keyName;
}

export function agentRoutes(s: ApiServices) {
  const { store, bus, activities, log } = s.ctx;
  const writer = new StoreWriter(store);
  const tags = ["agents"];
  const refusals = { 401: ErrorEnvelope, 403: ErrorEnvelope };
  return new Elysia({ name: "agents" })
    .post(
      `${AGENT_ROUTE_PREFIX}batches`,
      ({ body, request }) => {
        const agent = agentOf(s, request);
        let result;
        try {
          result = storeAgentBatches(store, writer, agent, body.entries, s.ctx.now());
        } catch (e) {
          if (e instanceof AgentBatchError) throw new ApiError(400, e.message);
          throw e;
        }
        for (const data of result.traffic) bus.publish({ type: "traffic", data });
        for (const data of result.threats) bus.publish({ type: "threat", data });
        if (result.duplicates) log.info("agent batches received again, stored before", { agent, duplicates: result.duplicates });
        return ok({ stored: result.stored, duplicates: result.duplicates });
      },
      { parse: JSON_BODY, body: WireBatches, response: { 200: envelope(WireBatchesStored), 400: ErrorEnvelope, ...refusals }, detail: { tags, summary: "An agent's judged batches, each stored exactly once (by agent and sequence)" } },
    )
    .post(
      `${AGENT_ROUTE_PREFIX}heartbeat`,
      ({ body, request }) => {
        const agent = agentOf(s, request);
        recordAgentReport(store, activities, agent, body, s.ctx.now());
        const bans = (s.denyList?.list() ?? []).filter((b) => !b.simulated).map((b) => ({ ip: b.ip, reason: b.reason, source: b.source, expiresAt: b.expiresAt }));
        return ok({ bans });
      },
      { parse: JSON_BODY, body: WireHeartbeat, response: { 200: envelope(WireDecisions), 400: ErrorEnvelope, ...refusals }, detail: { tags, summary: "An agent's heartbeat (host, version, sources, outbox); answered with the bans every agent enforces" } },
    )
    .get("/api/agents", () => ok(listAgents(store).map((row) => toAgent(row, s.ctx.now()))), {
      response: envelope(t.Array(Agent)),
      detail: { tags, summary: "The agents reporting to this hub: health, lag, outbox, version, last batch" },
    });
}
