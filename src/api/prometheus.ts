/**
 * What GET /metrics exposes, on prom-client: the counters and histograms the services keep as they
 * work, figures read at each scrape (collect callbacks: the store, the sources, the mirror, the deny
 * list), the build, and the process.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import { depth } from "../store/outbox.ts";
import { isReporting, listAgents } from "../services/agents.ts";
import { counterValue, storeBytes } from "../store/stats.ts";
import { COMMIT, VERSION } from "../version.ts";
import type { ApiServices } from "./services.ts";

let processRegistry: Registry | undefined;

/**
 * The standard process_* figures, set up once per process (each collectDefaultMetrics call starts its
 * own monitors). Under Bun they read real values (/proc/self, process.cpuUsage), except
 * process_heap_bytes: it is VmData, gigabytes of JavaScriptCore's reservations. The nodejs_* figures
 * are dropped: Bun reports zeros or nothing for heap spaces, handles, resources and GC, its Node.js
 * compatibility version as nodejs_version_info, and the event-loop lag reads NaN between samples.
 */
function processMetrics(): Registry {
  if (processRegistry) return processRegistry;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const { name } of registry.getMetricsAsArray()) if (!name.startsWith("process_") || name === "process_heap_bytes") registry.removeSingleMetric(name);
  return (processRegistry = registry);
}

type Labels = Record<string, string>;

/** A counter kept elsewhere (the store, a source), read at each scrape: one sample per label set. */
function readCounter(registry: Registry, name: string, help: string, read: () => [Labels, number][], labelNames: string[] = []): void {
  new Counter({
    name, help, labelNames, registers: [registry],
    collect() {
      this.reset();
      for (const [labels, n] of read()) this.inc(labels, n);
    },
  });
}

/** A gauge read at each scrape; label sets that are gone (a source no longer followed) go with it. */
function readGauge(registry: Registry, name: string, help: string, read: () => [Labels, number][], labelNames: string[] = []): void {
  new Gauge({
    name, help, labelNames, registers: [registry],
    collect() {
      this.reset();
      for (const [labels, n] of read()) this.set(labels, n);
    },
  });
}

const one = (n: number): [Labels, number][] => [[{}, n]];

function storeMetrics(registry: Registry, s: ApiServices): void {
  const { store } = s.ctx;
  readCounter(registry, "moat_rejected_lines_total", "Log lines that did not parse (all time).", () => one(counterValue(store, "rejected")));
  readGauge(registry, "moat_threats_stored", "Flagged requests kept, by attack type.", () => {
    const rows = store.sql.query("select attack_type as type, count(*) as n from threats group by attack_type").all() as { type: string; n: number }[];
    return rows.map((r) => [{ type: r.type.replace(/[^\w-]/g, "_") }, r.n]);
  }, ["type"]);
  readGauge(registry, "moat_db_bytes", "Database file plus WAL (PostgreSQL: the database's size).", () => one(storeBytes(store)));
  // An agent's outbox (moat serve --hub): what waits for the hub, and what never reaches it.
  readGauge(registry, "moat_outbox_requests", "Requests waiting in the outbox for the hub (an agent: moat serve --hub).", () => one(depth(store).requests));
  readCounter(registry, "moat_outbox_dropped_total", "Requests that never reach the hub: the outbox was full (hub.outbox_max_requests), or the hub refused their batch.", () => one(depth(store).dropped));
  readGauge(registry, "moat_agents", "Agents that reported to this hub, by whether they still report (heard from within the last minute).", () => {
    const agents = listAgents(store);
    const up = agents.filter((a) => isReporting(a, s.ctx.now())).length;
    return [[{ reporting: "true" }, up], [{ reporting: "false" }, agents.length - up]];
  }, ["reporting"]);
}

function serviceMetrics(registry: Registry, s: ApiServices): void {
  readGauge(registry, "moat_log_source_up", "1 while a followed log's lines are being stored; 0 while they are not (see problem in /api/sources).", () => s.sources().map((x) => [{ path: x.path }, x.alive ? 1 : 0]), ["path"]);
  readCounter(registry, "moat_inline_write_failures_total", "Checked or mirrored requests answered but not stored (e.g. a full disk); see Moat's log.", () => one(s.writeBehind.failures));
  readCounter(registry, "moat_bus_errors_total", "Live-bus subscribers that threw (a bug; see Moat's log).", () => one(s.ctx.bus.errors));
  readGauge(registry, "moat_ws_clients", "Connected WebSocket clients.", () => one(s.wsClients()));
  readGauge(registry, "moat_window_requests", "Requests in the last 60 s.", () => one(s.metrics.snapshot().requests));
  readGauge(registry, "moat_process_resident_bytes", "Resident memory (as process_resident_memory_bytes).", () => one(process.memoryUsage.rss()));
}

/** The mirror source's counters (none when mirror.enabled is false). */
function mirrorMetrics(registry: Registry, mirror: NonNullable<ApiServices["mirror"]>): void {
  readCounter(registry, "moat_mirror_copies_total", "nginx's mirrored copies since start-up, by what became of them (dropped: the queue was full; joined: stored with their log line).", () => {
    const m = mirror.status();
    const outcomes: [string, number][] = [["received", m.received], ["dropped", m.dropped], ["oversize", m.oversize], ["judged", m.judged], ["failed", m.failures], ["joined", m.joined], ["stored_alone", m.storedAlone]];
    return outcomes.map(([outcome, n]) => [{ outcome }, n]);
  }, ["outcome"]);
  readGauge(registry, "moat_mirror_queued", "Mirrored copies waiting to be judged.", () => one(mirror.status().queued));
}

/** Active ban decisions, enforced (in the deny file) or simulated (ban.simulate); none when ban.enabled is false. */
function banMetrics(registry: Registry, denyList: NonNullable<ApiServices["denyList"]>): void {
  readGauge(registry, "moat_bans_active", "Active ban decisions (addresses and prefixes) by whether they are written to the deny file.", () => {
    const active = denyList.list();
    const simulated = active.filter((b) => b.simulated).length;
    return [[{ simulated: "false" }, active.length - simulated], [{ simulated: "true" }, simulated]];
  }, ["simulated"]);
}

function buildInfo(registry: Registry, s: ApiServices): void {
  const info = new Gauge({ name: "moat_build_info", help: "1, labelled with Moat's version and commit, the generic model it ships and the Bun that runs it.", labelNames: ["version", "commit", "generic_model", "bun"], registers: [registry] });
  info.set({ version: VERSION, commit: COMMIT, generic_model: s.ctx.detector.generic.meta.version, bun: Bun.version }, 1);
}

/** The registry /metrics renders; one per API, over the services it is given. */
export function prometheusRegistry(s: ApiServices): Registry {
  const registry = new Registry();
  buildInfo(registry, s);
  registry.registerMetric(s.metrics.stored.requests);
  registry.registerMetric(s.metrics.stored.threats);
  storeMetrics(registry, s);
  serviceMetrics(registry, s);
  if (s.mirror) mirrorMetrics(registry, s.mirror);
  if (s.denyList) banMetrics(registry, s.denyList);
  const { timings } = s.metrics;
  for (const samples of [timings.checkLatencyMs, timings.ingestLagMs, timings.modelTimeMs]) registry.registerMetric(samples.histogram);
  return Registry.merge([registry, processMetrics()]);
}
