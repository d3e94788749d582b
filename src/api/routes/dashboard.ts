/**
 * The dashboard's REST endpoints, exactly as shared/API-CONTRACT.md lists them: every response in the
 * envelope, every list bounded (`limit` up to 1000, newest first), `range` validated.
 */
import { Elysia, t, type Static } from "elysia";
import { ActivityData, AlertData, ChartDataPoint, ComplianceScore, iso, RealTimeMetrics, SecurityCheck, shownBlocked, ThreatData, TrafficData, threatColumns, toAlertData, toRealTimeMetrics, toSecurityCheck, toThreatData, toTrafficData, WholeNumber } from "../contract.ts";
import { ApiError, envelope, ok } from "../envelope.ts";
import type { ApiServices } from "../services.ts";
import { parseRange } from "../../services/range.ts";
import { rollupBuckets } from "../../services/metrics.ts";
import { listTraffic } from "../../services/traffic.ts";
import { activityFeed } from "../feed.ts";
import { AgentFilter, IdParam, ThreatFilters, TrafficFilters, threatFilterOptions, trafficFilterOptions } from "../console-contract.ts";
import { checkById, complianceScore, listSecurityChecks, runSecurityChecks } from "../../services/security/checks.ts";

const RangeQuery = t.Object({ range: t.Optional(t.String({ description: "1h, 6h, 24h, 7d, 30d, <N>h or <N>d (default 24h)" })) });
/** The figures of a range, of every agent or of one (on a hub). */
const RangeAgentQuery = t.Object({ ...RangeQuery.properties, ...AgentFilter.properties });
const limitQuery = (fallback: number) => t.Object({ limit: t.Optional(WholeNumber({ minimum: 1, maximum: 1000, description: `a whole number of rows from 1 to 1000 (default ${fallback})` })) });
const RangeLimitQuery = t.Object({
  ...RangeQuery.properties,
  ...limitQuery(1000).properties,
  before: t.Optional(WholeNumber({ minimum: 1, description: "a positive whole number: the id of the last row of the previous page (a cursor)" })),
});
const TrafficListQuery = t.Object({ ...RangeLimitQuery.properties, ...TrafficFilters.properties });
const ThreatListQuery = t.Object({ ...RangeLimitQuery.properties, ...ThreatFilters.properties });

/** The wildcard's endpoint, decoded here (Elysia leaves a wildcard as sent): bad encoding is the caller's error, not a 500. */
function decodedEndpoint(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new ApiError(400, "the endpoint is not valid URL encoding");
  }
}

/** Chart labels: the time of day for a day or less, the date and time beyond. */
const label = (ms: number, rangeMs: number) => (rangeMs <= 86_400_000 ? iso(ms).slice(11, 16) : iso(ms).slice(5, 16).replace("T", " "));

export function dashboardRoutes(s: ApiServices) {
  const now = () => s.ctx.now();
  const since = (range: string | undefined) => now() - parseRange(range).ms;
  const alertAction = (action: "acknowledge" | "dismiss") => ({ params }: { params: { id: number } }) => {
    const row = s.alerts[action](params.id);
    if (!row) throw new ApiError(404, `no alert ${params.id}`);
    return ok(null, `alert ${params.id} ${row.status}`);
  };
  const trafficAt = (endpoint: string, query: Static<typeof RangeLimitQuery>) =>
    ok(listTraffic(s.ctx.store, { since: since(query.range), endpoint: endpoint.startsWith("/") ? endpoint : `/${endpoint}`, limit: query.limit ?? 1000, beforeId: query.before }).map((r) => toTrafficData(r, now())));
  return new Elysia({ name: "dashboard", prefix: "/api" })
    .get("/metrics/realtime", ({ query }) => ok(toRealTimeMetrics(s.metrics.snapshot(query.agent), s.wsClients())), { query: AgentFilter, response: envelope(RealTimeMetrics), detail: { tags: ["metrics"] } })
    .get(
      "/metrics/historical",
      ({ query }) => {
        const range = parseRange(query.range);
        const { uptimeSeconds } = s.metrics.snapshot();
        const clients = s.wsClients();
        return ok(s.metrics.historical(range.ms, query.agent).map((p) => toRealTimeMetrics({ ...p, uptimeSeconds }, clients)));
      },
      { query: RangeAgentQuery, response: envelope(t.Array(RealTimeMetrics)), detail: { tags: ["metrics"] } },
    )
    .get("/alerts/active", ({ query }) => ok(s.alerts.active(query.limit ?? 1000).map((a) => toAlertData(a, now()))), { query: limitQuery(1000), response: envelope(t.Array(AlertData)), detail: { tags: ["alerts"] } })
    .get("/alerts/history", ({ query }) => ok(s.alerts.history({ since: since(query.range), limit: query.limit ?? 1000 }).map((a) => toAlertData(a, now()))), { query: RangeLimitQuery, response: envelope(t.Array(AlertData)), detail: { tags: ["alerts"] } })
    .post("/alerts/:id/dismiss", alertAction("dismiss"), { params: IdParam, response: envelope(t.Null()), detail: { tags: ["alerts"] } })
    .post("/alerts/:id/acknowledge", alertAction("acknowledge"), { params: IdParam, response: envelope(t.Null()), detail: { tags: ["alerts"] } })
    .get("/activities/recent", ({ query }) => ok(activityFeed(s, { limit: query.limit ?? 10 })), { query: limitQuery(10), response: envelope(t.Array(ActivityData)), detail: { tags: ["activities"] } })
    .get("/activities", ({ query }) => ok(activityFeed(s, { since: since(query.range), limit: query.limit ?? 1000 })), { query: RangeLimitQuery, response: envelope(t.Array(ActivityData)), detail: { tags: ["activities"] } })
    .get(
      "/charts/requests",
      ({ query }) => {
        const range = parseRange(query.range);
        return ok(s.analytics.overview(range.ms, query.agent).map((p) => ({ time: label(p.time, range.ms), date: iso(p.time), requests: p.requests, blocked: shownBlocked(p) })));
      },
      { query: RangeAgentQuery, response: envelope(t.Array(ChartDataPoint)), detail: { tags: ["charts"] } },
    )
    .get(
      "/charts/threats",
      ({ query }) => {
        const range = parseRange(query.range);
        return ok(rollupBuckets(s.ctx.store, range.ms, now(), query.agent).buckets.map((b) => ({ time: label(b.time, range.ms), date: iso(b.time), ...threatColumns(b.byType) })));
      },
      { query: RangeAgentQuery, response: envelope(t.Array(ChartDataPoint)), detail: { tags: ["charts"] } },
    )
    .get(
      "/charts/performance",
      ({ query }) => {
        const range = parseRange(query.range);
        // CPU and memory history is kept in memory since start-up: earlier buckets read 0.
        return ok(s.metrics.performance(range.ms, query.agent).map((p) => ({ time: label(p.time, range.ms), date: iso(p.time), latency: p.latencyMs, cpu: p.cpuPercent ?? 0, memory: p.memoryPercent ?? 0 })));
      },
      { query: RangeAgentQuery, response: envelope(t.Array(ChartDataPoint)), detail: { tags: ["charts"] } },
    )
    .get("/traffic/recent", ({ query }) => ok(listTraffic(s.ctx.store, { limit: query.limit ?? 50 }).map((r) => toTrafficData(r, now()))), { query: limitQuery(50), response: envelope(t.Array(TrafficData)), detail: { tags: ["traffic"] } })
    .get("/traffic", ({ query }) => ok(listTraffic(s.ctx.store, { since: since(query.range), limit: query.limit ?? 1000, beforeId: query.before, ...trafficFilterOptions(query) }).map((r) => toTrafficData(r, now()))), { query: TrafficListQuery, response: envelope(t.Array(TrafficData)), detail: { tags: ["traffic"] } })
    .get("/traffic/endpoint/:endpoint", ({ params, query }) => trafficAt(params.endpoint, query), {
      params: t.Object({ endpoint: t.String({ description: "the endpoint, URL-encoded: /api/traffic/endpoint/%2Fsearch" }) }),
      query: RangeLimitQuery,
      response: envelope(t.Array(TrafficData)),
      detail: { tags: ["traffic"] },
    })
    // The same with the endpoint's slashes left unencoded (/api/traffic/endpoint/search/x), as it
    // has always been taken; hidden: a wildcard is no OpenAPI path. Elysia decodes named
    // parameters, not the wildcard.
    .get("/traffic/endpoint/*", ({ params, query }) => trafficAt(decodedEndpoint(params["*"]), query), { query: RangeLimitQuery, response: envelope(t.Array(TrafficData)), detail: { hide: true } })
    .get("/threats/recent", ({ query }) => ok(s.threats.recent(query.limit ?? 20).map((r) => toThreatData(r, now()))), { query: limitQuery(20), response: envelope(t.Array(ThreatData)), detail: { tags: ["threats"] } })
    .get("/threats/stats", ({ query }) => ok(s.threats.stats(since(query.range), query.agent)), { query: RangeAgentQuery, response: envelope(t.Record(t.String(), t.Number())), detail: { tags: ["threats"] } })
    .get(
      "/threats/type/:type",
      ({ params, query }) => ok(s.threats.list({ since: since(query.range), type: params.type, limit: query.limit ?? 1000, beforeId: query.before }).map((r) => toThreatData(r, now()))),
      { params: t.Object({ type: t.String({ maxLength: 64 }) }), query: RangeLimitQuery, response: envelope(t.Array(ThreatData)), detail: { tags: ["threats"] } },
    )
    .get("/threats", ({ query }) => ok(s.threats.list({ since: since(query.range), limit: query.limit ?? 1000, beforeId: query.before, ...threatFilterOptions(query) }).map((r) => toThreatData(r, now()))), { query: ThreatListQuery, response: envelope(t.Array(ThreatData)), detail: { tags: ["threats"] } })
    .get("/security/checks", () => ok(listSecurityChecks(s.ctx).map(toSecurityCheck)), { response: envelope(t.Array(SecurityCheck)), detail: { tags: ["security"] } })
    .post(
      "/security/checks/:id/run",
      async ({ params }) => {
        const check = checkById(s.ctx, params.id);
        if (!check) throw new ApiError(404, `no security check ${params.id}`);
        const [row] = await runSecurityChecks(s.ctx, check.key);
        if (!row) throw new ApiError(404, `security check ${check.key} no longer applies`);
        return ok(toSecurityCheck(row));
      },
      { params: IdParam, response: envelope(SecurityCheck), detail: { tags: ["security"] } },
    )
    .get("/security/compliance-score", () => ok(complianceScore(listSecurityChecks(s.ctx))), {
      response: envelope(ComplianceScore),
      detail: { tags: ["security"] },
    })
    .get(
      "/analytics/overview",
      ({ query }) => {
        const range = parseRange(query.range);
        return ok(s.analytics.overview(range.ms, query.agent).map((p) => ({ time: label(p.time, range.ms), date: iso(p.time), requests: p.requests, blocked: shownBlocked(p), allowed: p.requests - shownBlocked(p) })));
      },
      { query: RangeAgentQuery, response: envelope(t.Array(ChartDataPoint)), detail: { tags: ["analytics"] } },
    )
    .get(
      "/analytics/trends/:metric",
      ({ params, query }) => {
        const range = parseRange(query.range);
        return ok(s.analytics.trends(params.metric, range.ms, query.agent).map((p) => ({ time: label(p.time, range.ms), date: iso(p.time), value: p.value })));
      },
      { params: t.Object({ metric: t.String({ maxLength: 64 }) }), query: RangeAgentQuery, response: envelope(t.Array(ChartDataPoint)), detail: { tags: ["analytics"] } },
    )
    .get("/analytics/summary", ({ query }) => ok(s.analytics.summary(parseRange(query.range).ms, query.agent)), { query: RangeAgentQuery, detail: { tags: ["analytics"] } });
}
