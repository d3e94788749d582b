/**
 * Analytics over a time range: charts and totals from the rollups (complete: they outlive pruning),
 * and the top clients, endpoints, user agents and status mix from the traffic table, which is only a
 * bounded window of recent rows (benign rows are pruned first), so those figures cover recent traffic
 * only and lean towards flagged requests once pruning has begun.
 */
import { ATTACK_CLASSES } from "../detect/classes.ts";
import type { ServiceContext } from "../serve/context.ts";
import type { Store } from "../store/db.ts";
import { addTotals, emptyTotals, meanResponseTimeMs, percent, rollupBuckets, type RollupBucket, type RollupTotals } from "./metrics.ts";

export const TREND_METRICS = ["requests", "flagged", "blocked", "attack-rate", "response-time", "errors"] as const;
export type TrendMetric = (typeof TREND_METRICS)[number];
/** Attack types a trend can follow even when none were seen: every class, and the site model's `anomaly`. */
export const TREND_ATTACK_TYPES: readonly string[] = [...ATTACK_CLASSES, "anomaly"];

/** Entries in each top list of the summary. */
export const SUMMARY_TOP = 10;
/** The summary reads at most this many of the newest traffic rows, so that it stays fast on a large window. */
export const TRAFFIC_SCAN_CAP = 100_000;

/** A trend of something that is neither a known figure nor an attack type; the API answers 400. */
export class UnknownMetricError extends Error {
  constructor(metric: string) {
    super(`unknown metric "${metric}": expected one of ${TREND_METRICS.join(", ")} or an attack type (${TREND_ATTACK_TYPES.join(", ")})`);
    this.name = "UnknownMetricError";
  }
}

export interface OverviewPoint {
  time: number;
  requests: number;
  blocked: number;
  /** Requests not blocked (all of them in detect-only mode). */
  allowed: number;
  flagged: number;
}

export interface TrendPoint {
  time: number;
  value: number;
}

export interface TopEntry {
  key: string;
  requests: number;
  flagged: number;
}

export interface AnalyticsSummary {
  /** Start of the oldest chart bucket of the range: every figure below is from then on. */
  since: number;
  // From the rollups: complete for the range.
  requests: number;
  flagged: number;
  blocked: number;
  allowed: number;
  /** Percent of requests flagged. */
  attackRate: number;
  errors5xx: number;
  avgResponseTimeMs: number;
  topAttackTypes: { type: string; count: number }[];
  // From the traffic window: recent rows only.
  /** How much of the range the traffic figures saw: rows read, the oldest row's time, and whether the scan cap was hit. */
  trafficWindow: { rows: number; oldest: number | null; truncated: boolean };
  topEndpoints: TopEntry[];
  topIps: TopEntry[];
  topUserAgents: TopEntry[];
  /** Requests per status class: `2xx`…`5xx`, `none` when the log had no status. */
  statusMix: Record<string, number>;
}

function trendValue(bucket: RollupBucket, metric: string): number {
  switch (metric) {
    case "requests":
      return bucket.requests;
    case "flagged":
      return bucket.flagged;
    case "blocked":
      return bucket.blocked;
    case "attack-rate":
      return percent(bucket.flagged, bucket.requests);
    case "response-time":
      return meanResponseTimeMs(bucket);
    case "errors":
      return bucket.errors5xx;
    default:
      return bucket.byType[metric] ?? 0;
  }
}

function sumBuckets(buckets: RollupBucket[]): RollupTotals {
  const sum = emptyTotals();
  for (const b of buckets) addTotals(sum, b);
  return sum;
}

type RecentTraffic = Pick<AnalyticsSummary, "trafficWindow" | "topEndpoints" | "topIps" | "topUserAgents" | "statusMix">;

interface RecentRow {
  client_ip: string;
  path: string;
  user_agent: string;
  status: number | null;
  is_anomaly: number;
  time: number;
}

/** Requests and flagged requests by one column's value. */
class Tally {
  private readonly counts = new Map<string, TopEntry>();

  add(key: string, flagged: number): void {
    const entry = this.counts.get(key);
    if (entry) {
      entry.requests++;
      entry.flagged += flagged;
    } else this.counts.set(key, { key, requests: 1, flagged });
  }

  /** Most requests first; ties by key, as SQLite's `order by requests desc, key` would. */
  top(n: number): TopEntry[] {
    return [...this.counts.values()].sort((a, b) => b.requests - a.requests || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).slice(0, n);
  }
}

/**
 * Every traffic-window figure from one read of the newest rows since `since` (at most
 * TRAFFIC_SCAN_CAP), iterated rather than loaded: five grouped queries each read the window again.
 */
function recentTraffic(store: Store, since: number): RecentTraffic {
  const endpoints = new Tally();
  const ips = new Tally();
  const agents = new Tally();
  const statusMix: Record<string, number> = {};
  let rows = 0;
  let oldest: number | null = null;
  const recent = store.sqlite.query<RecentRow, [number, number]>("select client_ip, path, user_agent, status, is_anomaly, time from traffic where time >= ?1 order by time desc limit ?2");
  for (const r of recent.iterate(since, TRAFFIC_SCAN_CAP)) {
    rows++;
    oldest = r.time; // newest first: the last row read is the oldest
    endpoints.add(r.path, r.is_anomaly);
    ips.add(r.client_ip, r.is_anomaly);
    agents.add(r.user_agent, r.is_anomaly);
    const cls = r.status === null ? "none" : `${Math.floor(r.status / 100)}xx`;
    statusMix[cls] = (statusMix[cls] ?? 0) + 1;
  }
  return {
    trafficWindow: { rows, oldest, truncated: rows >= TRAFFIC_SCAN_CAP },
    topEndpoints: endpoints.top(SUMMARY_TOP),
    topIps: ips.top(SUMMARY_TOP),
    topUserAgents: agents.top(SUMMARY_TOP),
    statusMix,
  };
}

export class AnalyticsService {
  constructor(private readonly ctx: Pick<ServiceContext, "store" | "now">) {}

  /** Requests, blocked, allowed and flagged per bucket, oldest first, empty buckets as zeros. */
  overview(rangeMs: number): OverviewPoint[] {
    return this.buckets(rangeMs).map((b) => ({ time: b.time, requests: b.requests, blocked: b.blocked, allowed: b.requests - b.blocked, flagged: b.flagged }));
  }

  /** One figure per bucket: a TREND_METRICS name or an attack type (its flagged requests). */
  trends(metric: string, rangeMs: number): TrendPoint[] {
    const buckets = this.buckets(rangeMs);
    const known = (TREND_METRICS as readonly string[]).includes(metric) || TREND_ATTACK_TYPES.includes(metric) || buckets.some((b) => Object.hasOwn(b.byType, metric));
    if (!known) throw new UnknownMetricError(metric);
    return buckets.map((b) => ({ time: b.time, value: trendValue(b, metric) }));
  }

  /** Totals over the range's chart buckets (so they match the charts), and the recent traffic's top lists. */
  summary(rangeMs: number): AnalyticsSummary {
    const buckets = this.buckets(rangeMs);
    const since = buckets[0]?.time ?? this.ctx.now();
    const totals = sumBuckets(buckets);
    const topAttackTypes = Object.entries(totals.byType)
      .map(([type, count]) => ({ type, count }))
      .sort((a, b) => b.count - a.count || a.type.localeCompare(b.type))
      .slice(0, SUMMARY_TOP);
    return {
      since,
      requests: totals.requests,
      flagged: totals.flagged,
      blocked: totals.blocked,
      allowed: totals.requests - totals.blocked,
      attackRate: percent(totals.flagged, totals.requests),
      errors5xx: totals.errors5xx,
      avgResponseTimeMs: meanResponseTimeMs(totals),
      topAttackTypes,
      ...recentTraffic(this.ctx.store, since),
    };
  }

  private buckets(rangeMs: number): RollupBucket[] {
    return rollupBuckets(this.ctx.store, rangeMs, this.ctx.now()).buckets;
  }
}
