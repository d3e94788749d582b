/**
 * The activity feed the dashboard shows: system activities and flagged requests, newest first.
 * The contract's ActivityData is request-centric (`blocked` / `allowed`); a flagged request is
 * `blocked` when it was blocked and `allowed` when Moat only detected it.
 */
import { reasonText, storedReasons, toActivityData, type ActivityDataT } from "./contract.ts";
import type { ThreatRow } from "../store/rows.ts";
import type { ApiServices } from "./services.ts";

export function threatActivity(r: ThreatRow, now: number): ActivityDataT {
  const reason = storedReasons(r)[0];
  return toActivityData(
    { id: -r.id, time: r.time, type: r.blocked ? "threat.blocked" : "threat.allowed", title: `${r.attackType} ${r.blocked ? "blocked" : "flagged"}`, details: reason ? reasonText(reason) : `score ${r.score.toFixed(3)}`, ip: r.clientIp, endpoint: r.endpoint },
    now,
  );
}

export function activityFeed(s: Pick<ApiServices, "ctx" | "threats">, options: { since?: number; limit: number }): ActivityDataT[] {
  const now = s.ctx.now();
  const system = s.ctx.activities.list({ since: options.since, limit: options.limit }).map((a) => toActivityData(a, now));
  const threats = s.threats.list({ since: options.since ?? 0, limit: options.limit }).map((r) => threatActivity(r, now));
  return [...system, ...threats].sort((a, b) => b.timestamp.localeCompare(a.timestamp)).slice(0, options.limit);
}
