/** Operations: liveness, readiness and Prometheus metrics. */
import { Elysia, t } from "elysia";
import { dbStats } from "../../store/stats.ts";
import type { ApiServices } from "../services.ts";

function readiness(s: ApiServices) {
  const problems: string[] = [];
  try {
    s.ctx.store.sqlite.exec("begin immediate; rollback");
  } catch (e) {
    problems.push(`database not writable: ${(e as Error).message}`);
  }
  return { ready: problems.length === 0, model: s.ctx.detector.modelVersion, problems };
}

/** Prometheus text exposition of the service's counters and gauges. */
function prometheus(s: ApiServices): string {
  const stats = dbStats(s.ctx.store);
  const snap = s.metrics.snapshot();
  const byType = s.ctx.store.sqlite.query("select attack_type as type, count(*) as n from threats group by attack_type").all() as { type: string; n: number }[];
  const lines = [
    "# HELP moat_requests_total Requests ingested (all time).",
    "# TYPE moat_requests_total counter",
    `moat_requests_total ${stats.requests}`,
    "# HELP moat_rejected_lines_total Log lines that did not parse (all time).",
    "# TYPE moat_rejected_lines_total counter",
    `moat_rejected_lines_total ${stats.rejectedLines}`,
    "# HELP moat_threats_stored Flagged requests kept, by attack type.",
    "# TYPE moat_threats_stored gauge",
    ...byType.map((r) => `moat_threats_stored{type="${r.type.replace(/[^\w-]/g, "_")}"} ${r.n}`),
    "# HELP moat_db_bytes Database file plus WAL.",
    "# TYPE moat_db_bytes gauge",
    `moat_db_bytes ${stats.dbBytes}`,
    "# HELP moat_ws_clients Connected WebSocket clients.",
    "# TYPE moat_ws_clients gauge",
    `moat_ws_clients ${s.wsClients()}`,
    "# HELP moat_window_requests Requests in the last 60 s.",
    "# TYPE moat_window_requests gauge",
    `moat_window_requests ${snap.requests}`,
    "# HELP moat_process_resident_bytes Resident memory.",
    "# TYPE moat_process_resident_bytes gauge",
    `moat_process_resident_bytes ${snap.rssBytes}`,
  ];
  return `${lines.join("\n")}\n`;
}

export function opsRoutes(s: ApiServices) {
  return new Elysia({ name: "ops" })
    .get("/health", () => ({ status: "ok", uptime: Math.round((s.ctx.now() - s.ctx.startedAt) / 1000) }), { response: t.Object({ status: t.String(), uptime: t.Number() }), detail: { tags: ["ops"] } })
    .get(
      "/ready",
      ({ set }) => {
        const r = readiness(s);
        if (!r.ready) set.status = 503;
        return r;
      },
      { detail: { tags: ["ops"] } },
    )
    .get("/metrics", ({ set }) => {
      set.headers["content-type"] = "text/plain; version=0.0.4";
      return prometheus(s);
    }, { detail: { tags: ["ops"] } });
}
