/** Operations: liveness, readiness and Prometheus metrics. */
import { Elysia, t } from "elysia";
import { dbStats } from "../../store/stats.ts";
import type { ApiServices } from "../services.ts";
import type { DurationSamples } from "../../services/metrics.ts";

function readiness(s: ApiServices) {
  const problems: string[] = [];
  try {
    s.ctx.store.sqlite.exec("begin immediate; rollback");
  } catch (e) {
    problems.push(`database not writable: ${(e as Error).message}`);
  }
  return { ready: problems.length === 0, model: s.ctx.detector.modelVersion, problems };
}

/** A duration as a Prometheus histogram in seconds. */
function histogram(name: string, help: string, samples: DurationSamples): string[] {
  const h = samples.histogram();
  return [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} histogram`,
    ...h.buckets.map(([le, n]) => `${name}_bucket{le="${le === Number.POSITIVE_INFINITY ? "+Inf" : le / 1000}"} ${n}`),
    `${name}_sum ${h.sumMs / 1000}`,
    `${name}_count ${h.count}`,
  ];
}

/** Prometheus text exposition of the service's counters, gauges and latency histograms. */
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
    ...histogram("moat_check_duration_seconds", "Inline checks (/check, /check/batch, auth_request), from arrival to answer.", s.metrics.timings.checkLatencyMs),
    ...histogram("moat_ingest_lag_seconds", "Tailed log lines, from the time the log gives them to their commit.", s.metrics.timings.ingestLagMs),
    ...histogram("moat_model_duration_seconds", "Model time per judged batch.", s.metrics.timings.modelTimeMs),
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
