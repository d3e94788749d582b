/**
 * The service's figures. Live: a rolling 60 s window fed with every stored batch, plus the process's
 * CPU and memory. Historical: the per-minute rollups the writer keeps and the per-hour rollups made
 * from them here (`rollupHours`). CPU and memory are not in the rollups: their history is kept in
 * memory only (one averaged point per minute, at most 30 days, lost on restart).
 */
import os from "node:os";
import { Histogram } from "prom-client";
import { and, asc, eq, gte, lt, notExists, or, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import type { ServiceContext } from "./context.ts";
import type { Db, Store } from "../store/db.ts";
import { metricRollups } from "../store/schema.ts";
import type { RollupRow } from "./alert-rules.ts";
import type { MetricsSnapshot } from "../pipeline/bus.ts";
import type { TrafficRow } from "../store/rows.ts";
import { bucketFor, bucketStarts, HOUR_MS, MINUTE_MS } from "./range.ts";
import { StoredCounters } from "./stored-counters.ts";
import { LOCAL_AGENT } from "../core/enums.ts";

export const WINDOW_SECONDS = 60;
/** One point per minute for 30 days: about 43k small objects (a few MB). */
export const PERFORMANCE_HISTORY_MINUTES = 30 * 24 * 60;
/**
 * Hours this recent are recomputed on every `rollupHours` run, so that minutes written late (a log
 * backlog carries old times) still reach their hour. Minute rollups must be kept longer than this.
 */
export const HOUR_ROLLUP_LOOKBACK_MS = 48 * HOUR_MS;
/** Live windows kept per agent (a hub's agents are a few keys). */
const MAX_AGENT_WINDOWS = 1000;
/** Shorter CPU samples are mostly scheduling noise: the previous figure is kept instead. */
const MIN_CPU_SAMPLE_MS = 250;

export interface RollupTotals {
  requests: number;
  flagged: number;
  blocked: number;
  errors5xx: number;
  responseTimeSum: number;
  responseTimeCount: number;
  /** Flagged requests per attack type. */
  byType: Record<string, number>;
}

export interface RollupBucket extends RollupTotals {
  /** Bucket start, epoch ms. */
  time: number;
}

/** One point of `historical`: the live snapshot's traffic figures, per bucket. */
export interface HistoricalPoint {
  time: number;
  requests: number;
  flagged: number;
  blocked: number;
  errors5xx: number;
  /** Percent of requests flagged. */
  attackRate: number;
  responseTimeMs: number;
  threatsPerMinute: number;
}

export interface PerformancePoint {
  time: number;
  latencyMs: number;
  /** Null where the process kept no sample (it was not running, or restarted since). */
  cpuPercent: number | null;
  memoryPercent: number | null;
}

export function emptyTotals(): RollupTotals {
  return { requests: 0, flagged: 0, blocked: 0, errors5xx: 0, responseTimeSum: 0, responseTimeCount: 0, byType: {} };
}

export function addTotals(into: RollupTotals, add: RollupTotals): void {
  into.requests += add.requests;
  into.flagged += add.flagged;
  into.blocked += add.blocked;
  into.errors5xx += add.errors5xx;
  into.responseTimeSum += add.responseTimeSum;
  into.responseTimeCount += add.responseTimeCount;
  for (const [type, n] of Object.entries(add.byType)) into.byType[type] = (into.byType[type] ?? 0) + n;
}

function totalsOf(row: RollupRow): RollupTotals {
  const { requests, flagged, blocked, errors5xx, responseTimeSum, responseTimeCount } = row;
  return { requests, flagged, blocked, errors5xx, responseTimeSum, responseTimeCount, byType: JSON.parse(row.byType) as Record<string, number> };
}

/** Sorted keys, so that equal counts are equal text (what `rollupHours` compares). */
function byTypeJson(byType: Record<string, number>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(byType).sort(([a], [b]) => a.localeCompare(b))));
}

export function percent(part: number, whole: number): number {
  return whole > 0 ? (part / whole) * 100 : 0;
}

export function meanResponseTimeMs(t: Pick<RollupTotals, "responseTimeSum" | "responseTimeCount">): number {
  return t.responseTimeCount > 0 ? t.responseTimeSum / t.responseTimeCount : 0;
}

function floorTo(time: number, step: number): number {
  return Math.floor(time / step) * step;
}

/** Minute rows whose hour has no hour row yet for their agent (a correlated subquery on the outer row). */
function hourNotRolledUp(db: Pick<Db, "select">) {
  const hourRow = alias(metricRollups, "hour_row");
  const hourOfMinute = sql`${metricRollups.bucket} - ${metricRollups.bucket} % ${HOUR_MS}`;
  return notExists(db.select({ one: sql`1` }).from(hourRow).where(and(eq(hourRow.resolution, "hour"), eq(hourRow.bucket, hourOfMinute), eq(hourRow.agent, metricRollups.agent))));
}

/**
 * Whose figures: every agent's and this Moat's own summed (undefined), this Moat's own sources
 * (LOCAL_AGENT), or one agent's (its name).
 */
export type AgentFilter = string | undefined;

/** An agent as the rollups name it: "" for this Moat's own sources (a key column cannot be null). */
export function rollupAgent(agent: string): string {
  return agent === LOCAL_AGENT ? "" : agent;
}

function ofAgent(agent: AgentFilter) {
  return agent === undefined ? undefined : eq(metricRollups.agent, rollupAgent(agent));
}

/**
 * Rollup rows in [from, until). For hours, the minute rows of any hour not rolled up yet stand in for
 * it (always the current hour, and every hour when the roll-up job has not run), so charts are
 * complete whenever the job last ran.
 */
function rollupRows(store: Store, resolution: "minute" | "hour", from: number, until: number, agent: AgentFilter): RollupRow[] {
  const { db } = store;
  const inRange = and(gte(metricRollups.bucket, from), lt(metricRollups.bucket, until), ofAgent(agent));
  const minutes = and(eq(metricRollups.resolution, "minute"), inRange);
  if (resolution === "minute") return db.select().from(metricRollups).where(minutes).all();
  return db
    .select()
    .from(metricRollups)
    .where(or(and(eq(metricRollups.resolution, "hour"), inRange), and(minutes, hourNotRolledUp(db))))
    .all();
}

/**
 * The rollups of the last `rangeMs`, summed per chart bucket (see range.ts), oldest first; buckets
 * without rollups are there as zeros so that a chart's time axis is continuous.
 */
export function rollupBuckets(store: Store, rangeMs: number, now: number, agent?: AgentFilter): { bucketMs: number; buckets: RollupBucket[] } {
  const { resolution, bucketMs } = bucketFor(rangeMs);
  const starts = bucketStarts(rangeMs, bucketMs, now);
  const buckets = new Map(starts.map((time) => [time, { time, ...emptyTotals() }]));
  const from = starts[0] ?? floorTo(now, bucketMs);
  for (const row of rollupRows(store, resolution, from, from + starts.length * bucketMs, agent)) {
    const bucket = buckets.get(floorTo(row.bucket, bucketMs));
    if (bucket) addTotals(bucket, totalsOf(row));
  }
  return { bucketMs, buckets: [...buckets.values()] };
}

/** One value per second over the last WINDOW_SECONDS, in a ring of slots: constant memory whatever the traffic. */
class SecondRing<T> {
  private readonly slots: { second: number; value: T }[];

  constructor(private readonly empty: () => T) {
    this.slots = Array.from({ length: WINDOW_SECONDS }, () => ({ second: -1, value: empty() }));
  }

  /** The value of `now`'s second; a slot left from an earlier lap of the ring starts again from empty. */
  current(now: number): T {
    const second = Math.floor(now / 1000);
    const slot = this.slots[second % WINDOW_SECONDS]!;
    if (slot.second !== second) {
      slot.second = second;
      slot.value = this.empty();
    }
    return slot.value;
  }

  /** The values of the last WINDOW_SECONDS seconds up to `now` (older slots are stale and skipped). */
  window(now: number): T[] {
    const second = Math.floor(now / 1000);
    return this.slots.filter((slot) => slot.second > second - WINDOW_SECONDS && slot.second <= second).map((slot) => slot.value);
  }
}

interface SecondCounts {
  requests: number;
  flagged: number;
  blocked: number;
  responseTimeSum: number;
  responseTimeCount: number;
}

function emptyCounts(): SecondCounts {
  return { requests: 0, flagged: 0, blocked: 0, responseTimeSum: 0, responseTimeCount: 0 };
}

/** Stored traffic counted per second over the live window. */
class RollingWindow {
  private readonly ring = new SecondRing(emptyCounts);

  add(now: number, rows: TrafficRow[]): void {
    const slot = this.ring.current(now);
    for (const row of rows) {
      slot.requests++;
      if (row.isAnomaly) slot.flagged++;
      if (row.blocked) slot.blocked++;
      if (row.requestTime !== null) {
        slot.responseTimeSum += row.requestTime * 1000;
        slot.responseTimeCount++;
      }
    }
  }

  /** The counts of the last WINDOW_SECONDS seconds, summed. */
  totals(now: number): SecondCounts {
    const sum = emptyCounts();
    for (const slot of this.ring.window(now)) {
      sum.requests += slot.requests;
      sum.flagged += slot.flagged;
      sum.blocked += slot.blocked;
      sum.responseTimeSum += slot.responseTimeSum;
      sum.responseTimeCount += slot.responseTimeCount;
    }
    return sum;
  }
}

/**
 * The process's share of the machine's CPU since the previous reading. CPU time is real time, so the
 * elapsed time is measured with the real clock, not the service's (injectable) one.
 */
class CpuMeter {
  private readonly cores = Math.max(1, os.availableParallelism());
  private lastUsage = process.cpuUsage();
  private lastWall = performance.now();
  private lastPercent = 0;

  percent(): number {
    const wall = performance.now();
    const elapsedMs = wall - this.lastWall;
    if (elapsedMs < MIN_CPU_SAMPLE_MS) return this.lastPercent;
    const usage = process.cpuUsage();
    const cpuMs = (usage.user - this.lastUsage.user + usage.system - this.lastUsage.system) / 1000;
    this.lastPercent = Math.min(100, Math.max(0, (cpuMs / elapsedMs / this.cores) * 100));
    this.lastUsage = usage;
    this.lastWall = wall;
    return this.lastPercent;
  }
}

interface MinuteSample {
  minute: number;
  cpuSum: number;
  memorySum: number;
  samples: number;
}

/** CPU and memory per minute (the mean of that minute's snapshots), the oldest dropped past the cap. */
class PerformanceHistory {
  private readonly minutes: MinuteSample[] = [];

  constructor(private readonly capacity: number) {}

  record(time: number, cpuPercent: number, memoryPercent: number): void {
    const minute = floorTo(time, MINUTE_MS);
    const last = this.minutes.at(-1);
    if (last && minute < last.minute) return; // the clock went back: keep the series ordered
    if (last?.minute === minute) {
      last.cpuSum += cpuPercent;
      last.memorySum += memoryPercent;
      last.samples++;
      return;
    }
    this.minutes.push({ minute, cpuSum: cpuPercent, memorySum: memoryPercent, samples: 1 });
    if (this.minutes.length > this.capacity) this.minutes.shift();
  }

  /** Mean CPU and memory per bucket of `bucketMs` starting at each of `starts` (null when no sample). */
  perBucket(starts: number[], bucketMs: number): ({ cpuPercent: number; memoryPercent: number } | null)[] {
    const sums = new Map(starts.map((time) => [time, { cpu: 0, memory: 0, samples: 0 }]));
    for (const m of this.minutes) {
      const sum = sums.get(floorTo(m.minute, bucketMs));
      if (!sum) continue;
      sum.cpu += m.cpuSum;
      sum.memory += m.memorySum;
      sum.samples += m.samples;
    }
    return [...sums.values()].map((s) => (s.samples ? { cpuPercent: s.cpu / s.samples, memoryPercent: s.memory / s.samples } : null));
  }
}

/** Measurements kept for quantiles: the most recent ones, so the figures follow what happens now. */
export const DURATION_SAMPLES = 4096;

/** Upper bounds (seconds) of the Prometheus histogram buckets, from sub-millisecond checks to slow ingestion. */
const HISTOGRAM_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * One duration, measured: the last DURATION_SAMPLES measurements (a ring: constant memory) for p50
 * and p99 now, and an all-time Prometheus histogram of the name given (registered by the API's /metrics).
 */
export class DurationSamples {
  private readonly ring = new Float64Array(DURATION_SAMPLES);
  private count = 0;
  readonly histogram: Histogram;

  constructor(prometheus: { name: string; help: string }) {
    this.histogram = new Histogram({ ...prometheus, buckets: HISTOGRAM_BUCKETS_S, registers: [] });
  }

  add(ms: number): void {
    if (!Number.isFinite(ms)) return;
    const value = Math.max(0, ms);
    this.ring[this.count % DURATION_SAMPLES] = value;
    this.count++;
    this.histogram.observe(value / 1000);
  }

  /** Nearest-rank quantiles of the kept measurements; zeros (and `samples: 0`) before the first one. */
  quantiles(): { p50: number; p99: number; samples: number } {
    const n = Math.min(this.count, DURATION_SAMPLES);
    if (!n) return { p50: 0, p99: 0, samples: 0 };
    const sorted = this.ring.slice(0, n).sort();
    const at = (q: number) => sorted[Math.min(n - 1, Math.ceil(q * n) - 1)]!;
    return { p50: at(0.5), p99: at(0.99), samples: n };
  }
}

/** Events per second over the last WINDOW_SECONDS (or since start, when that is shorter), on a monotonic clock. */
export class RateMeter {
  private readonly ring = new SecondRing(() => ({ n: 0 }));

  constructor(private readonly monotonic: () => number, private readonly startedAt = monotonic()) {}

  add(n: number): void {
    this.ring.current(this.monotonic()).n += n;
  }

  perSecond(): number {
    const now = this.monotonic();
    const sum = this.ring.window(now).reduce((total, slot) => total + slot.n, 0);
    const span = Math.min(WINDOW_SECONDS, Math.max(1, (now - this.startedAt) / 1000));
    return sum / span;
  }
}

/** `$time_local`, the usual log time, has whole seconds: a line of the second the service started in may read up to this much earlier. */
const LOG_TIME_RESOLUTION_MS = 1000;

/** What the service measures as it works, for GET /api/performance and /metrics. */
export class LiveTimings {
  /** Log lines read from the followed logs (parsed or not). */
  readonly lines: RateMeter;
  /** Per stored log line dated from the process's start on: from the time the log gives it to its commit (see `ingestLag`). */
  readonly ingestLagMs = new DurationSamples({ name: "moat_ingest_lag_seconds", help: "Tailed log lines dated from the process's start on (older ones are a backlog), from the time the log gives them to their commit." });
  /** Per inline check request: from its arrival to its answer. */
  readonly checkLatencyMs = new DurationSamples({ name: "moat_check_duration_seconds", help: "Inline checks (/check, /check/batch, auth_request), from arrival to answer." });
  /** Per judged batch (a tail slice of up to 512 requests, or one inline check or batch): the models' time. */
  readonly modelTimeMs = new DurationSamples({ name: "moat_model_duration_seconds", help: "Model time per judged batch." });

  /** `wallStartedAt`: when the service's process started, epoch ms. */
  constructor(monotonic: () => number, startedAt: number, private readonly wallStartedAt: number) {
    this.lines = new RateMeter(monotonic, startedAt);
  }

  /**
   * Measures a stored line's lag, unless the log dates it before the service's process started: such
   * a line is a backlog being read (a log replayed from its start, the lines written while Moat was
   * stopped), and its age says how old the log is, not how far behind Moat is. Lines written since
   * the start are measured, during start-up and while the backlog is read too: their lag is Moat's delay.
   */
  ingestLag(now: number, logTime: number): void {
    if (logTime >= this.wallStartedAt - LOG_TIME_RESOLUTION_MS) this.ingestLagMs.add(now - logTime);
  }
}

export interface MetricsOptions {
  /** Minutes of CPU and memory history kept in memory (default 30 days). */
  historyMinutes?: number;
}

export class MetricsService {
  readonly timings: LiveTimings;
  /** Stored requests and threats, counted for Prometheus. */
  readonly stored: StoredCounters;
  private readonly window = new RollingWindow();
  /** On a hub: each agent's live window (LOCAL_AGENT: this Moat's own sources), for the figures of one. */
  private readonly agentWindows = new Map<string, RollingWindow>();
  private readonly cpu = new CpuMeter();
  private readonly history: PerformanceHistory;

  constructor(private readonly ctx: Pick<ServiceContext, "store" | "bus" | "now" | "monotonic" | "monotonicStart">, options: MetricsOptions = {}) {
    this.history = new PerformanceHistory(options.historyMinutes ?? PERFORMANCE_HISTORY_MINUTES);
    // The process's start, on the real clock the tailed lines are timed with (process_start_time_seconds).
    this.timings = new LiveTimings(() => ctx.monotonic(), ctx.monotonicStart, performance.timeOrigin);
    this.stored = new StoredCounters(ctx.bus);
  }

  /**
   * Counts stored traffic in the live window by when it was judged, not by its log time: a backlog
   * being replayed is what the service is doing now, and its old times would fall outside any window.
   * The window runs on the monotonic clock: setting the wall clock neither empties nor doubles it.
   */
  observe(traffic: TrafficRow[]): void {
    if (!traffic.length) return;
    const now = this.ctx.monotonic();
    this.window.add(now, traffic);
    for (const [agent, rows] of Map.groupBy(traffic, (r) => r.agent ?? LOCAL_AGENT)) {
      let window = this.agentWindows.get(agent);
      // Agents are the hub's keys: a handful. The bound keeps a bug elsewhere from growing this.
      if (!window && this.agentWindows.size < MAX_AGENT_WINDOWS) this.agentWindows.set(agent, (window = new RollingWindow()));
      window?.add(now, rows);
    }
  }

  /** Whole seconds since the service started, on the monotonic clock (so never negative). */
  uptimeSeconds(): number {
    return Math.max(0, Math.floor((this.ctx.monotonic() - this.ctx.monotonicStart) / 1000));
  }

  /** The live figures (of one agent's traffic, when given; the process's CPU and memory whatever it is); each call also feeds the CPU and memory history. */
  snapshot(agent?: AgentFilter): MetricsSnapshot {
    const now = this.ctx.now();
    const window = agent === undefined ? this.window : this.agentWindows.get(agent);
    const w = window ? window.totals(this.ctx.monotonic()) : emptyCounts();
    const rssBytes = process.memoryUsage.rss();
    const cpuPercent = this.cpu.percent();
    const memoryPercent = Math.min(100, percent(rssBytes, os.totalmem()));
    this.history.record(now, cpuPercent, memoryPercent);
    return {
      time: now,
      requests: w.requests,
      flagged: w.flagged,
      blocked: w.blocked,
      attackRate: percent(w.flagged, w.requests),
      responseTimeMs: meanResponseTimeMs(w),
      threatsPerMinute: (w.flagged * 60) / WINDOW_SECONDS,
      uptimeSeconds: this.uptimeSeconds(),
      cpuPercent,
      memoryPercent,
      rssBytes,
    };
  }

  /** Publishes a snapshot on the bus (a job calls this every few seconds) and returns it. */
  publish(): MetricsSnapshot {
    const data = this.snapshot();
    this.ctx.bus.publish({ type: "metrics", data });
    return data;
  }

  /** Traffic figures per bucket of the last `rangeMs`, from the rollups, oldest first, empty buckets as zeros. */
  historical(rangeMs: number, agent?: AgentFilter): HistoricalPoint[] {
    const { bucketMs, buckets } = rollupBuckets(this.ctx.store, rangeMs, this.ctx.now(), agent);
    return buckets.map((b) => ({
      time: b.time,
      requests: b.requests,
      flagged: b.flagged,
      blocked: b.blocked,
      errors5xx: b.errors5xx,
      attackRate: percent(b.flagged, b.requests),
      responseTimeMs: meanResponseTimeMs(b),
      threatsPerMinute: b.flagged / (bucketMs / MINUTE_MS),
    }));
  }

  /** Latency from the rollups (of one agent's traffic, when given); CPU and memory (this process's) from the in-memory history since it started. */
  performance(rangeMs: number, agent?: AgentFilter): PerformancePoint[] {
    const { bucketMs, buckets } = rollupBuckets(this.ctx.store, rangeMs, this.ctx.now(), agent);
    const usage = this.history.perBucket(buckets.map((b) => b.time), bucketMs);
    return buckets.map((b, i) => ({
      time: b.time,
      latencyMs: meanResponseTimeMs(b),
      cpuPercent: usage[i]?.cpuPercent ?? null,
      memoryPercent: usage[i]?.memoryPercent ?? null,
    }));
  }

  /**
   * Makes the hour rollups of complete hours from their minute rollups: the last `lookbackMs` of
   * hours are recomputed (late minutes), older ones only if they have no hour row yet. An hour is
   * recomputed whole from its minutes and written only when it differs, so a second run changes
   * nothing. Returns how many hour rows were written.
   */
  rollupHours(now: number, lookbackMs = HOUR_ROLLUP_LOOKBACK_MS): number {
    const currentHour = floorTo(now, HOUR_MS);
    const recomputeFrom = floorTo(currentHour - lookbackMs, HOUR_MS);
    return this.ctx.store.db.transaction((tx) => {
      const minutes = tx
        .select()
        .from(metricRollups)
        .where(and(eq(metricRollups.resolution, "minute"), lt(metricRollups.bucket, currentHour), or(gte(metricRollups.bucket, recomputeFrom), hourNotRolledUp(tx))))
        .orderBy(asc(metricRollups.bucket))
        .all();
      let written = 0;
      for (const { hour, agent, totals } of totalsPerHour(minutes)) {
        const row = { resolution: "hour" as const, bucket: hour, agent, ...totals, byType: byTypeJson(totals.byType) };
        const existing = tx.select().from(metricRollups).where(and(eq(metricRollups.resolution, "hour"), eq(metricRollups.bucket, hour), eq(metricRollups.agent, agent))).get();
        if (existing && sameRow(existing, row)) continue;
        tx.insert(metricRollups).values(row).onConflictDoUpdate({ target: [metricRollups.resolution, metricRollups.bucket, metricRollups.agent], set: row }).run();
        written++;
      }
      return written;
    });
  }
}

/** The minutes summed per hour and agent. */
function totalsPerHour(minutes: RollupRow[]): { hour: number; agent: string; totals: RollupTotals }[] {
  const hours = new Map<string, { hour: number; agent: string; totals: RollupTotals }>();
  for (const minute of minutes) {
    const hour = floorTo(minute.bucket, HOUR_MS);
    const key = `${hour}\0${minute.agent}`;
    let entry = hours.get(key);
    if (!entry) hours.set(key, (entry = { hour, agent: minute.agent, totals: emptyTotals() }));
    addTotals(entry.totals, totalsOf(minute));
  }
  return [...hours.values()];
}

function sameRow(a: RollupRow, b: RollupRow): boolean {
  return (
    a.requests === b.requests &&
    a.flagged === b.flagged &&
    a.blocked === b.blocked &&
    a.errors5xx === b.errors5xx &&
    a.responseTimeSum === b.responseTimeSum &&
    a.responseTimeCount === b.responseTimeCount &&
    a.byType === b.byType
  );
}
