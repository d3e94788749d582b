/**
 * Analytics over a time range: charts and totals from the rollups (complete: they outlive pruning),
 * and the top clients, endpoints, user agents and status mix from the traffic table, which is only a
 * bounded window of recent rows (benign rows are pruned first), so those figures cover recent traffic
 * only and lean towards flagged requests once pruning has begun.
 */
import { TREND_METRICS } from "../core/enums.ts";
import { ATTACK_CLASSES } from "../detect/classes.ts";
import type { ServiceContext } from "./context.ts";
import type { Store } from "../store/db.ts";
import { addTotals, emptyTotals, meanResponseTimeMs, percent, rollupAgent, rollupBuckets, type AgentFilter, type RollupBucket, type RollupTotals } from "./metrics.ts";

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

/** One row of RECENT_TRAFFIC: `list` says which figure it belongs to. */
interface RecentRow {
  list: "path" | "ip" | "ua" | "status" | "window";
  key: string | number | null;
  requests: number;
  flagged: number | null;
}

/**
 * Every traffic-window figure in one statement over the newest rows since ?1 (at most ?2; of the agent
 * ?4 when it is not null): the window
 * is read once into a materialized CTE and grouped there. Five separate queries read it five times;
 * counting in JavaScript held every distinct path, address and agent in memory (about 100 MB for a
 * window of 100,000 distinct ones, which a scan produces).
 */
const RECENT_TRAFFIC = `
with recent as materialized (select client_ip, path, user_agent, status, is_anomaly, time from traffic where time >= ?1 and (cast(?4 as text) is null or agent = ?4 or (?4 = '' and agent is null)) order by time desc limit ?2)
select * from (select 'path' as list, path as key, count(*) as requests, sum(is_anomaly) as flagged from recent group by path order by requests desc, key limit ?3) as paths
union all select * from (select 'ip', client_ip, count(*), sum(is_anomaly) from recent group by client_ip order by 3 desc, 2 limit ?3) as ips
union all select * from (select 'ua', user_agent, count(*), sum(is_anomaly) from recent group by user_agent order by 3 desc, 2 limit ?3) as agents
union all select * from (select 'status', case when status is null then 'none' else (status / 100) || 'xx' end, count(*), cast(null as integer) from recent group by 2 order by 2) as statuses
union all select 'window', cast(min(time) as text), count(*), null from recent`;

function recentTraffic(store: Store, since: number, agent: AgentFilter): RecentTraffic {
  const out: RecentTraffic = { trafficWindow: { rows: 0, oldest: null, truncated: false }, topEndpoints: [], topIps: [], topUserAgents: [], statusMix: {} };
  const tops = { path: out.topEndpoints, ip: out.topIps, ua: out.topUserAgents };
  // ?4: null for every agent, "" for this Moat's own rows (their agent is null), else an agent's name.
  const who = agent === undefined ? null : rollupAgent(agent);
  for (const r of store.sql.query(RECENT_TRAFFIC).all(since, TRAFFIC_SCAN_CAP, SUMMARY_TOP, who) as RecentRow[]) {
    if (r.list === "status") out.statusMix[String(r.key)] = r.requests;
    else if (r.list === "window") out.trafficWindow = { rows: r.requests, oldest: r.key === null ? null : Number(r.key), truncated: r.requests >= TRAFFIC_SCAN_CAP };
    else tops[r.list].push({ key: String(r.key), requests: r.requests, flagged: r.flagged ?? 0 });
  }
  return out;
}

export class AnalyticsService {
  constructor(private readonly ctx: Pick<ServiceContext, "store" | "now">) {}

  /** Requests, blocked, allowed and flagged per bucket, oldest first, empty buckets as zeros. */
  overview(rangeMs: number, agent?: AgentFilter): OverviewPoint[] {
    return this.buckets(rangeMs, agent).map((b) => ({ time: b.time, requests: b.requests, blocked: b.blocked, allowed: b.requests - b.blocked, flagged: b.flagged }));
  }

  /** One figure per bucket: a TREND_METRICS name or an attack type (its flagged requests). */
  trends(metric: string, rangeMs: number, agent?: AgentFilter): TrendPoint[] {
    const buckets = this.buckets(rangeMs, agent);
    const known = (TREND_METRICS as readonly string[]).includes(metric) || TREND_ATTACK_TYPES.includes(metric) || buckets.some((b) => Object.hasOwn(b.byType, metric));
    if (!known) throw new UnknownMetricError(metric);
    return buckets.map((b) => ({ time: b.time, value: trendValue(b, metric) }));
  }

  /** Totals over the range's chart buckets (so they match the charts), and the recent traffic's top lists. */
  summary(rangeMs: number, agent?: AgentFilter): AnalyticsSummary {
    const buckets = this.buckets(rangeMs, agent);
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
      ...recentTraffic(this.ctx.store, since, agent),
    };
  }

  private buckets(rangeMs: number, agent: AgentFilter): RollupBucket[] {
    return rollupBuckets(this.ctx.store, rangeMs, this.ctx.now(), agent).buckets;
  }
}
