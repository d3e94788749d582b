/** Operations: liveness, readiness and Prometheus metrics. */
import { Elysia, t } from "elysia";
import { counterValue, dbBytes } from "../../store/stats.ts";
import type { ApiServices } from "../services.ts";
import type { DurationSamples } from "../../services/metrics.ts";

const Readiness = t.Object({ ready: t.Boolean(), model: t.String({ description: "the model version judging requests" }), problems: t.Array(t.String()) });

function readiness(s: ApiServices) {
  const problems: string[] = [];
  try {
    s.ctx.store.sqlite.exec("begin immediate; rollback");
  } catch (e) {
    problems.push(`database not writable: ${(e as Error).message}`);
  }
  const damaged = s.integrity.problem();
  if (damaged) problems.push(damaged);
  return { ready: problems.length === 0, model: s.ctx.detector.modelVersion, problems };
}

const Health = t.Object({
  status: t.String(),
  uptime: t.Number(),
  mirror: t.Optional(
    t.Object(
      { received: t.Number(), dropped: t.Number(), last_copy_at: t.Union([t.Number(), t.Null()], { description: "epoch ms" }) },
      { description: "nginx's mirrored copies since start-up (absent when mirror.enabled is false): moat doctor reads it" },
    ),
  ),
});

function mirrorHealth(s: ApiServices) {
  const m = s.mirror?.status();
  return m ? { mirror: { received: m.received, dropped: m.dropped, last_copy_at: m.lastCopyAt } } : {};
}

/** A metric family: its HELP and TYPE lines, then one line per sample (`suffix`: labels, or `_sum` and the like). */
function family(name: string, type: "counter" | "gauge" | "histogram", help: string, samples: [suffix: string, value: number][]): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples.map(([suffix, value]) => `${name}${suffix} ${value}`)];
}

/** A label value in the text exposition format: backslash, double quote and newline escaped. */
function labelValue(text: string): string {
  return text.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/** A duration as a Prometheus histogram in seconds. */
function histogram(name: string, help: string, samples: DurationSamples): string[] {
  const h = samples.histogram();
  return family(name, "histogram", help, [
    ...h.buckets.map(([le, n]): [string, number] => [`_bucket{le="${le === Number.POSITIVE_INFINITY ? "+Inf" : le / 1000}"}`, n]),
    ["_sum", h.sumMs / 1000],
    ["_count", h.count],
  ]);
}

/** Active ban decisions, enforced (in the deny file) or simulated (ban.simulate); none when ban.enabled is false. */
function banMetrics(s: ApiServices): string[] {
  const active = s.denyList?.list();
  if (!active) return [];
  const simulated = active.filter((b) => b.simulated).length;
  return family("moat_bans_active", "gauge", "Active ban decisions (addresses and prefixes) by whether they are written to the deny file.", [
    ['{simulated="false"}', active.length - simulated],
    ['{simulated="true"}', simulated],
  ]);
}

/** The mirror source's counters (none when mirror.enabled is false). */
function mirrorMetrics(s: ApiServices): string[] {
  const m = s.mirror?.status();
  if (!m) return [];
  const outcomes: [string, number][] = [["received", m.received], ["dropped", m.dropped], ["oversize", m.oversize], ["judged", m.judged], ["failed", m.failures], ["joined", m.joined], ["stored_alone", m.storedAlone]];
  return [
    ...family("moat_mirror_copies_total", "counter", "nginx's mirrored copies since start-up, by what became of them (dropped: the queue was full; joined: stored with their log line).", outcomes.map(([o, n]) => [`{outcome="${o}"}`, n])),
    ...family("moat_mirror_queued", "gauge", "Mirrored copies waiting to be judged.", [["", m.queued]]),
  ];
}

/** Prometheus text exposition of the service's counters, gauges and latency histograms. */
function prometheus(s: ApiServices): string {
  const { store } = s.ctx;
  const snap = s.metrics.snapshot();
  const byType = store.sqlite.query("select attack_type as type, count(*) as n from threats group by attack_type").all() as { type: string; n: number }[];
  const lines = [
    ...family("moat_requests_total", "counter", "Requests ingested (all time).", [["", counterValue(store, "requests")]]),
    ...family("moat_rejected_lines_total", "counter", "Log lines that did not parse (all time).", [["", counterValue(store, "rejected")]]),
    ...family("moat_threats_stored", "gauge", "Flagged requests kept, by attack type.", byType.map((r) => [`{type="${r.type.replace(/[^\w-]/g, "_")}"}`, r.n])),
    ...family("moat_log_source_up", "gauge", "1 while a followed log's lines are being stored; 0 while they are not (see problem in /api/sources).", s.sources().map((x) => [`{path="${labelValue(x.path)}"}`, x.alive ? 1 : 0])),
    ...family("moat_db_bytes", "gauge", "Database file plus WAL.", [["", dbBytes(store)]]),
    ...family("moat_inline_write_failures_total", "counter", "Checked or mirrored requests answered but not stored (e.g. a full disk); see Moat's log.", [["", s.writeBehind.failures]]),
    ...mirrorMetrics(s),
    ...banMetrics(s),
    ...family("moat_bus_errors_total", "counter", "Live-bus subscribers that threw (a bug; see Moat's log).", [["", s.ctx.bus.errors]]),
    ...family("moat_ws_clients", "gauge", "Connected WebSocket clients.", [["", s.wsClients()]]),
    ...family("moat_window_requests", "gauge", "Requests in the last 60 s.", [["", snap.requests]]),
    ...family("moat_process_resident_bytes", "gauge", "Resident memory.", [["", snap.rssBytes]]),
    ...histogram("moat_check_duration_seconds", "Inline checks (/check, /check/batch, auth_request), from arrival to answer.", s.metrics.timings.checkLatencyMs),
    ...histogram("moat_ingest_lag_seconds", "Tailed log lines, from the time the log gives them to their commit.", s.metrics.timings.ingestLagMs),
    ...histogram("moat_model_duration_seconds", "Model time per judged batch.", s.metrics.timings.modelTimeMs),
  ];
  return `${lines.join("\n")}\n`;
}

export function opsRoutes(s: ApiServices) {
  return new Elysia({ name: "ops" })
    .get("/health", () => ({ status: "ok", uptime: s.metrics.uptimeSeconds(), ...mirrorHealth(s) }), { response: Health, detail: { tags: ["ops"] } })
    .get(
      "/ready",
      ({ set }) => {
        const r = readiness(s);
        if (!r.ready) set.status = 503;
        return r;
      },
      { response: { 200: Readiness, 503: Readiness }, detail: { tags: ["ops"] } },
    )
    .get("/metrics", ({ set }) => {
      set.headers["content-type"] = "text/plain; version=0.0.4";
      return prometheus(s);
    }, { detail: { tags: ["ops"] } });
}
