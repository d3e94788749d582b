/**
 * The alert rules: what in the stored threats and the per-minute rollups is worth an alert. They
 * only draft alerts; services/alerts.ts stores them, groups them and runs their lifecycle.
 */
import type { InferSelectModel } from "drizzle-orm";
import type { metricRollups } from "../store/schema.ts";
import type { AlertRow, ThreatRow } from "../store/rows.ts";
import { campaignPrefix } from "../core/ip.ts";

export type RollupRow = InferSelectModel<typeof metricRollups>;

/** An alert to raise: new, or one more occurrence of the open alert with the same `groupKey`. */
export interface AlertDraft {
  type: AlertRow["type"];
  severity: AlertRow["severity"];
  title: string;
  description: string;
  source: string;
  groupKey: string;
  /** How many occurrences this raise stands for (e.g. the threats of one batch from one IP). */
  occurrences: number;
}

const TRAFFIC_SOURCE = "traffic";
/** Below this many requests a minute, shares and jumps are noise (3 errors out of 5 is not an outage). */
const MIN_REQUESTS_PER_MINUTE = 20;
/** Request paths are attacker-controlled: an alert quotes a bounded piece of one. */
const MAX_ENDPOINT_CHARS = 200;

/** `text` cut to at most `max` characters, an ellipsis marking the cut. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function minuteLabel(bucket: number): string {
  return new Date(bucket).toISOString().slice(0, 16).replace("T", " ");
}

/**
 * A critical threat is a payload that can take over the server or its data (critical alert); a high
 * one is serious but narrower (warning). Medium and low threats are left to the dashboard and the
 * burst rule: alerting on each would bury the alerts that matter.
 */
function threatClass(severity: string): Pick<AlertDraft, "type" | "severity"> | null {
  if (severity === "critical") return { type: "critical", severity: "high" };
  if (severity === "high") return { type: "warning", severity: "high" };
  return null;
}

/**
 * The campaign a threat belongs to: its attack type and the network it came from (IPv4 /24, IPv6 /64).
 * Attackers rotate addresses inside one network; one incident per campaign, not one card per address.
 */
export function incidentKey(row: Pick<ThreatRow, "attackType" | "clientIp">): { groupKey: string; network: string } {
  const network = campaignPrefix(row.clientIp) ?? row.clientIp;
  return { groupKey: `threat:${row.attackType}:${network}`, network };
}

/** One draft per critical or high threat, grouped into incidents (incidentKey); the caller merges them. */
export function threatAlerts(rows: ThreatRow[]): AlertDraft[] {
  return rows.flatMap((row) => {
    const cls = threatClass(row.severity);
    if (!cls) return [];
    const { groupKey, network } = incidentKey(row);
    const description = `Latest: ${row.method} ${clip(row.endpoint, MAX_ENDPOINT_CHARS)} from ${row.clientIp} scored ${row.score.toFixed(2)} (threshold ${row.threshold.toFixed(2)})`;
    return [{ ...cls, title: `${row.attackType} attacks from ${network}`, description, source: network, groupKey, occurrences: 1 }];
  });
}

const TYPE_RANK: Record<AlertRow["type"], number> = { info: 0, warning: 1, critical: 2 };
const SEVERITY_RANK: Record<AlertRow["severity"], number> = { low: 0, medium: 1, high: 2 };

/** The graver of two alert classes, field by field: a critical occurrence makes the whole alert critical. */
export function graver(a: Pick<AlertDraft, "type" | "severity">, b: Pick<AlertDraft, "type" | "severity">): Pick<AlertDraft, "type" | "severity"> {
  return {
    type: TYPE_RANK[b.type] > TYPE_RANK[a.type] ? b.type : a.type,
    severity: SEVERITY_RANK[b.severity] > SEVERITY_RANK[a.severity] ? b.severity : a.severity,
  };
}

/**
 * One draft per group key, in first-seen order: occurrences add up, the latest description wins and
 * the class is the gravest. Raising a draft costs a database round trip, so a batch raises each
 * alert once however many of its threats belong to it.
 */
export function mergeDrafts(drafts: AlertDraft[]): AlertDraft[] {
  const merged = new Map<string, AlertDraft>();
  for (const draft of drafts) {
    const seen = merged.get(draft.groupKey);
    if (seen) Object.assign(seen, graver(seen, draft), { description: draft.description, occurrences: seen.occurrences + draft.occurrences });
    else merged.set(draft.groupKey, { ...draft });
  }
  return [...merged.values()];
}

/**
 * Counts threats per client IP over a sliding window, in memory. Only the last `threshold` times of
 * an IP matter (the burst holds when they span at most the window), and the least recently seen IPs
 * are forgotten beyond `maxIps`, so memory stays bounded under a spray from many addresses.
 */
export class BurstTracker {
  private readonly recent = new Map<string, number[]>();

  constructor(private readonly threshold: number, private readonly windowMs: number, private readonly maxIps = 10_000) {}

  /** Adds one threat; true when it completes a burst. The IP then starts over, so a long attack raises one burst per `threshold` threats. */
  add(ip: string, time: number): boolean {
    const times = this.recent.get(ip) ?? [];
    this.recent.delete(ip); // re-inserted below: the Map's order is least recently seen first
    times.push(time);
    if (times.length > this.threshold) times.shift();
    if (times.length === this.threshold && Math.max(...times) - Math.min(...times) <= this.windowMs) return true;
    this.recent.set(ip, times);
    this.forgetBeyondBound();
    return false;
  }

  private forgetBeyondBound(): void {
    for (const ip of this.recent.keys()) {
      if (this.recent.size <= this.maxIps) return;
      this.recent.delete(ip);
    }
  }

  get trackedIps(): number {
    return this.recent.size;
  }
}

/** Volume from one IP, whatever its payloads (each grave payload raises its own alert besides). */
export function burstAlert(ip: string, threats: number, windowSeconds: number, latestAttackType: string): AlertDraft {
  return {
    type: "warning",
    severity: "medium",
    title: `Burst of threats from ${ip}`,
    description: `${threats} threats within ${windowSeconds} s (latest: ${latestAttackType})`,
    source: ip,
    groupKey: `burst:${ip}`,
    occurrences: 1,
  };
}

/** A minute where a large share of answers were 5xx: an outage, or an attack hurting the server. */
export function errorRateAlert(minute: RollupRow, thresholdPercent: number): AlertDraft | null {
  if (minute.requests < MIN_REQUESTS_PER_MINUTE) return null;
  const percent = (minute.errors5xx / minute.requests) * 100;
  if (percent < thresholdPercent) return null;
  return {
    type: "warning",
    severity: "medium",
    title: "High 5xx error rate",
    description: `${percent.toFixed(1)}% of ${minute.requests} requests answered 5xx in the minute from ${minuteLabel(minute.bucket)} UTC`,
    source: TRAFFIC_SOURCE,
    groupKey: "traffic:5xx",
    occurrences: 1,
  };
}

/**
 * A minute with `factor` times the usual request rate. Informational: a crawler or a campaign does
 * this as often as a flood does; the threat alerts say whether it is hostile.
 */
export function rateJumpAlert(minute: RollupRow, baselinePerMinute: number, factor: number): AlertDraft | null {
  if (minute.requests < MIN_REQUESTS_PER_MINUTE || baselinePerMinute <= 0) return null;
  const ratio = minute.requests / baselinePerMinute;
  if (ratio < factor) return null;
  return {
    type: "info",
    severity: "medium",
    title: "Request rate jump",
    description: `${minute.requests} requests in the minute from ${minuteLabel(minute.bucket)} UTC, ${ratio.toFixed(1)}x the usual ${baselinePerMinute.toFixed(1)} per minute`,
    source: TRAFFIC_SOURCE,
    groupKey: "traffic:rate-jump",
    occurrences: 1,
  };
}
