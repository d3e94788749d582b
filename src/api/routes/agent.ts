/**
 * A hub's routes for its agents (`moat serve --hub URL`), served by `moat hub` only: an agent posts
 * its judged batches and its heartbeat, and gets back the hub's bans, settings and site model. Only a
 * key of the agent scope may call them (the auth guard checks it before the body is read), and the
 * agent is the key's name: one agent cannot write as another.
 */
import { JSON_BODY } from "../json-body.ts";
import { Elysia } from "elysia";
import { AGENT_ROUTE_PREFIX, SITE_MODEL_ROUTE, SITE_MODEL_VERSION_HEADER, WIRE_REASON_CHARS, WireBatches, WireBatchesStored, WireHeartbeat, WireHubState } from "../../core/agent-wire.ts";
import { ApiError, envelope, ErrorEnvelope, ok } from "../envelope.ts";
import type { ApiServices } from "../services.ts";
import { agentOf } from "../auth/guard.ts";
import { AgentBatchError, recordAgentReport, storeAgentBatches } from "../../services/agents.ts";
import { StoreWriter } from "../../store/writer.ts";
import { liveSiteModel } from "../../detect/site/model-dir.ts";
import { siteModelDir, siteOfAgent } from "../../services/site-models.ts";
import { statSync } from "node:fs";
import { join } from "node:path";

export function agentRoutes(s: ApiServices) {
  const { store, bus, activities, log } = s.ctx;
  if (!s.acceptsAgents) return new Elysia({ name: "agents" });
  const writer = new StoreWriter(store);
  const tags = ["agents"];
  /**
   * The version of a site's live model, for the heartbeat's answer: the default site's is the model
   * the hub judges with; a named site's is read from its directory when that file changes.
   */
  const versions = new Map<string, { mtimeMs: number; version: string | null }>();
  const siteModelVersion = (site: string): { version: string } | null => {
    if (!site) return s.ctx.detector.site ? { version: s.ctx.detector.site.meta.version } : null;
    const dir = siteModelDir(s.ctx.config.detect.model_dir, site);
    const mtimeMs = statSync(join(dir, "site.onnx"), { throwIfNoEntry: false })?.mtimeMs ?? 0;
    let known = versions.get(site);
    if (known?.mtimeMs !== mtimeMs) versions.set(site, (known = { mtimeMs, version: mtimeMs ? (liveSiteModel(dir)?.version ?? null) : null }));
    return known.version ? { version: known.version } : null;
  };
  const refusals = { 401: ErrorEnvelope, 403: ErrorEnvelope };
  return new Elysia({ name: "agents" })
    .post(
      `${AGENT_ROUTE_PREFIX}batches`,
      ({ body, request }) => {
        const agent = agentOf(request);
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
        const agent = agentOf(request);
        recordAgentReport(store, activities, agent, body, s.ctx.now());
        // Reasons are cut to the wire's bound: one long reason given by hand must not break every agent's heartbeat.
        const bans = (s.denyList?.list() ?? []).filter((b) => !b.simulated).map((b) => ({ ip: b.ip, reason: b.reason.slice(0, WIRE_REASON_CHARS), source: b.source, expiresAt: b.expiresAt }));
        return ok({ bans, settings: { mode: s.settings.mode, threshold: s.settings.thresholdSet }, siteModel: siteModelVersion(body.site ?? "") });
      },
      { parse: JSON_BODY, body: WireHeartbeat, response: { 200: envelope(WireHubState), 400: ErrorEnvelope, ...refusals }, detail: { tags, summary: "An agent's heartbeat (host, version, sources, outbox); answered with the bans every agent enforces, the detection settings and the live site model's version" } },
    )
    .get(
      SITE_MODEL_ROUTE,
      ({ request, set }) => {
        const site = siteOfAgent(store, agentOf(request));
        const live = liveSiteModel(siteModelDir(s.ctx.config.detect.model_dir, site));
        if (!live) throw new ApiError(404, `the hub has no site model ${site ? `for site ${site} ` : ""}yet: it trains one once it has seen enough of ${site ? "that site's" : "its"} traffic (jobs.auto_train_min_requests, jobs.retrain_cron)`);
        set.headers["content-type"] = "application/octet-stream";
        set.headers[SITE_MODEL_VERSION_HEADER] = live.version;
        return live.bytes;
      },
      { detail: { tags, summary: "The live site model (ONNX) of the calling agent's site (hub.site), for agents that judge with it (hub.pull_site_model); its version in the x-moat-model-version header" } },
    );
}
