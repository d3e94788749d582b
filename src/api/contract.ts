/**
 * The dashboard contract (shared/API-CONTRACT.md): the shapes, as Elysia `t` schemas (which also feed
 * the OpenAPI document), and the mappings from stored rows to them. REST and WebSocket use the same.
 */
import { t, type Static } from "elysia";
import type { ActivityRow, AlertRow, ThreatRow, TrafficRow } from "../store/rows.ts";
import type { MetricsSnapshot } from "../pipeline/bus.ts";
import type { CheckRow } from "../services/security/checks.ts";
import type { Reason } from "../detect/verdict.ts";
import { FormatRegistry } from "@sinclair/typebox";
import { ALERT_SEVERITIES, ALERT_TYPES, CHECK_STATUSES, THREAT_SEVERITIES, type ChartType, type WsStreamType } from "../core/enums.ts";
import { literalUnion } from "../core/schema-types.ts";

/**
 * A whole number in a query string or a path: plain decimal digits, in range. Every integer the
 * API reads from a URL is declared with this. Elysia's own `t.Numeric` and `t.Integer` convert
 * with `Number()` first, which takes `0x10`, `1e2`, ` 10` and `1.5` (when 1.5 is in range).
 */
export function WholeNumber(options: { minimum: number; maximum?: number; description: string }) {
  const { minimum, maximum = Number.MAX_SAFE_INTEGER, description } = options;
  const format = `whole-number-${minimum}-${maximum}`;
  if (!FormatRegistry.Has(format)) FormatRegistry.Set(format, (s) => /^[0-9]{1,16}$/.test(s) && Number(s) >= minimum && Number(s) <= maximum);
  return t
    .Transform(t.String({ format, description, error: `must be ${description}` }))
    .Decode((s) => Number(s))
    .Encode((n) => String(n));
}

export const RealTimeMetrics = t.Object({
  requests: t.Number(),
  blocked: t.Number(),
  attackRate: t.Number({ description: "percent" }),
  responseTime: t.Number({ description: "ms" }),
  threatsPerMinute: t.Number(),
  uptime: t.Number({ description: "seconds" }),
  activeConnections: t.Number(),
  timestamp: t.String(),
});
export const AlertData = t.Object({
  id: t.Number(),
  type: literalUnion(ALERT_TYPES),
  severity: literalUnion(ALERT_SEVERITIES),
  title: t.String(),
  description: t.String(),
  time: t.String(),
  icon: t.String(),
  source: t.String(),
  actions: t.Array(t.String()),
  timestamp: t.String(),
  status: t.String(),
  count: t.Number(),
});
export const ActivityData = t.Object({
  id: t.Number(),
  type: t.Union([t.Literal("blocked"), t.Literal("allowed")]),
  title: t.String(),
  details: t.String(),
  time: t.String(),
  ip: t.Optional(t.String()),
  endpoint: t.Optional(t.String()),
  timestamp: t.String(),
  kind: t.String({ description: "Moat's own activity type (service.started, alert.acknowledged, ...)" }),
});
export const ChartDataPoint = t.Object({
  time: t.String(),
  date: t.Optional(t.String()),
  requests: t.Optional(t.Number()),
  blocked: t.Optional(t.Number()),
  allowed: t.Optional(t.Number()),
  sql: t.Optional(t.Number()),
  xss: t.Optional(t.Number()),
  ddos: t.Optional(t.Number()),
  other: t.Optional(t.Number()),
  latency: t.Optional(t.Number()),
  cpu: t.Optional(t.Number()),
  memory: t.Optional(t.Number()),
  value: t.Optional(t.Number()),
});
export const TrafficData = t.Object({
  id: t.Number({ description: "the row's id: pass the last one as `before` for the next page" }),
  ip: t.String(),
  method: t.String(),
  endpoint: t.String(),
  status: t.Number(),
  size: t.String(),
  time: t.String(),
  timestamp: t.String(),
  userAgent: t.Optional(t.String()),
  wasBlocked: t.Optional(t.Boolean()),
  score: t.Number(),
  isAnomaly: t.Boolean(),
  attackType: t.Optional(t.String()),
  agent: t.Optional(t.String({ description: "on a hub: the agent that judged it (its key's name); absent for this Moat's own sources" })),
});
export const ThreatData = t.Object({
  id: t.Number(),
  type: t.String(),
  severity: literalUnion(THREAT_SEVERITIES),
  source: t.String(),
  endpoint: t.String(),
  blocked: t.Boolean(),
  time: t.String(),
  timestamp: t.String(),
  details: t.Optional(t.String()),
  score: t.Number(),
  agent: t.Optional(t.String({ description: "on a hub: the agent that judged it (its key's name); absent for this Moat's own sources" })),
});
export const SecurityCheck = t.Object({
  id: t.Number(),
  name: t.String(),
  status: literalUnion(CHECK_STATUSES),
  message: t.String(),
  lastChecked: t.String(),
  details: t.Optional(t.String()),
});

export const ComplianceScore = t.Object({ score: t.Number(), total: t.Number(), passed: t.Number(), failed: t.Number() });

export type RealTimeMetricsT = Static<typeof RealTimeMetrics>;
export type AlertDataT = Static<typeof AlertData>;
export type ActivityDataT = Static<typeof ActivityData>;
export type ChartDataPointT = Static<typeof ChartDataPoint>;
export type TrafficDataT = Static<typeof TrafficData>;
export type ThreatDataT = Static<typeof ThreatData>;
export type SecurityCheckT = Static<typeof SecurityCheck>;
export type ComplianceScoreT = Static<typeof ComplianceScore>;
/** GET /api/analytics/summary answers the service's figures as they are. */
export type { AnalyticsSummary, TopEntry } from "../services/analytics.ts";

/** What each WebSocket stream's messages carry in `data` (shared/API-CONTRACT.md, WebSocket). */
export interface WsStreamData extends Record<WsStreamType, unknown> {
  metrics: RealTimeMetricsT;
  alert: AlertDataT;
  activity: ActivityDataT;
  threat: ThreatDataT;
  traffic: TrafficDataT;
  chart: { type: ChartType; data: ChartDataPointT };
}

/** "just now", "2 min ago", "3 h ago", "5 d ago". */
function timeAgo(then: number, now: number): string {
  const s = Math.max(0, Math.round((now - then) / 1000));
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

function humanSize(bytes: number | null): string {
  if (bytes === null) return "-";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export const iso = (ms: number) => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

/** The contract's `blocked`: what was blocked, or in detect mode (nothing is blocked) what was flagged. */
export function shownBlocked(figures: { blocked: number; flagged: number }): number {
  return figures.blocked || figures.flagged;
}

/** A live snapshot, or a historical point with the uptime added. */
export function toRealTimeMetrics(s: Pick<MetricsSnapshot, "time" | "requests" | "flagged" | "blocked" | "attackRate" | "responseTimeMs" | "threatsPerMinute" | "uptimeSeconds">, activeConnections: number): RealTimeMetricsT {
  return {
    requests: s.requests,
    blocked: shownBlocked(s),
    attackRate: s.attackRate,
    responseTime: s.responseTimeMs,
    threatsPerMinute: s.threatsPerMinute,
    uptime: s.uptimeSeconds,
    activeConnections,
    timestamp: iso(s.time),
  };
}

const ALERT_ICONS: Record<string, string> = { critical: "shield-alert", warning: "alert-triangle", info: "info" };

export function toAlertData(a: AlertRow, now: number): AlertDataT {
  const open = a.status === "active" || a.status === "acknowledged";
  return {
    id: a.id,
    type: a.type,
    severity: a.severity,
    title: a.title,
    description: a.description,
    time: timeAgo(a.lastSeen, now),
    icon: ALERT_ICONS[a.type] ?? "info",
    source: a.source,
    actions: open ? (a.status === "active" ? ["acknowledge", "dismiss"] : ["dismiss"]) : [],
    timestamp: iso(a.lastSeen),
    status: a.status,
    count: a.count,
  };
}

/** Contract activities are `blocked` or `allowed`: Moat's own kind is kept in `kind`. */
export function toActivityData(a: ActivityRow, now: number): ActivityDataT {
  return {
    id: a.id,
    type: a.type === "threat.blocked" ? "blocked" : "allowed",
    title: a.title,
    details: a.details,
    time: timeAgo(a.time, now),
    ...(a.ip ? { ip: a.ip } : {}),
    ...(a.endpoint ? { endpoint: a.endpoint } : {}),
    timestamp: iso(a.time),
    kind: a.type,
  };
}

export function toTrafficData(r: TrafficRow, now: number): TrafficDataT {
  return {
    id: r.id,
    ip: r.clientIp,
    method: r.method,
    endpoint: r.path,
    status: r.status ?? 0,
    size: humanSize(r.bytesSent),
    time: timeAgo(r.time, now),
    timestamp: iso(r.time),
    userAgent: r.userAgent,
    wasBlocked: r.blocked,
    score: r.score,
    isAnomaly: r.isAnomaly,
    ...(r.attackType ? { attackType: r.attackType } : {}),
    ...(r.agent ? { agent: r.agent } : {}),
  };
}

/** A stored threat's reasons (kept as a JSON array, strongest first). */
export function storedReasons(r: ThreatRow): Reason[] {
  return JSON.parse(r.reasons) as Reason[];
}

/** One reason as a line of the feeds: `field: name — evidence`. */
export function reasonText(x: Pick<Reason, "field" | "name" | "evidence">): string {
  return `${x.field}: ${x.name} — ${x.evidence}`;
}

export function toThreatData(r: ThreatRow, now: number): ThreatDataT {
  const reasons = storedReasons(r);
  const severity = r.severity === "none" ? "low" : r.severity;
  return {
    id: r.id,
    type: r.attackType,
    severity,
    source: r.clientIp,
    endpoint: r.endpoint,
    blocked: r.blocked,
    time: timeAgo(r.time, now),
    timestamp: iso(r.time),
    details: reasons.slice(0, 3).map(reasonText).join("; "),
    score: r.score,
    ...(r.agent ? { agent: r.agent } : {}),
  };
}

export function toSecurityCheck(c: CheckRow): SecurityCheckT {
  return { id: c.id, name: c.name, status: c.status, message: c.message, lastChecked: iso(c.lastChecked), ...(c.details ? { details: c.details } : {}) };
}

/** Moat's attack classes folded into the contract's threat chart columns (Moat has no DDoS class). */
export function threatColumn(attackType: string): "sql" | "xss" | "other" {
  if (attackType === "sqli" || attackType === "nosqli") return "sql";
  return attackType === "xss" ? "xss" : "other";
}

/** Counts per attack type → the threat chart's columns; `ddos` is always 0 (rate jumps are alerts). */
export function threatColumns(byType: Record<string, number>): { sql: number; xss: number; ddos: number; other: number } {
  const columns = { sql: 0, xss: 0, ddos: 0, other: 0 };
  for (const [type, n] of Object.entries(byType)) columns[threatColumn(type)] += n;
  return columns;
}
