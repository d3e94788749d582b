/** Queries over the recent traffic window (newest first, hard-capped). */
import { and, desc, eq, gte, lt, sql } from "drizzle-orm";
import type { Store } from "../store/db.ts";
import { traffic } from "../store/schema.ts";
import type { TrafficRow } from "../store/rows.ts";
import { agentIs, clampLimit } from "./threats.ts";

export const MAX_TRAFFIC_ROWS = 1000;

export interface TrafficQuery {
  since?: number;
  /** Only this path. */
  endpoint?: string;
  /** Only paths containing this text. */
  pathContains?: string;
  ip?: string;
  /** Only what this agent judged (on a hub); "local": only this Moat's own sources. */
  agent?: string;
  method?: string;
  status?: number;
  /** Only flagged (true) or only benign (false) requests. */
  flagged?: boolean;
  limit: number;
  /** Cursor: rows with an id below this one (the last row of the previous page). */
  beforeId?: number;
}

export function listTraffic(store: Store, q: TrafficQuery): TrafficRow[] {
  const conditions = [
    q.since !== undefined ? gte(traffic.time, q.since) : undefined,
    q.endpoint !== undefined ? eq(traffic.path, q.endpoint) : undefined,
    q.pathContains !== undefined ? sql`instr(${traffic.path}, ${q.pathContains}) > 0` : undefined,
    q.ip !== undefined ? eq(traffic.clientIp, q.ip) : undefined,
    q.agent !== undefined ? agentIs(traffic.agent, q.agent) : undefined,
    q.method !== undefined ? eq(traffic.method, q.method) : undefined,
    q.status !== undefined ? eq(traffic.status, q.status) : undefined,
    q.flagged !== undefined ? eq(traffic.isAnomaly, q.flagged) : undefined,
    q.beforeId !== undefined ? lt(traffic.id, q.beforeId) : undefined,
  ].filter((c) => c !== undefined);
  return store.db
    .select()
    .from(traffic)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(traffic.id))
    .limit(clampLimit(q.limit, MAX_TRAFFIC_ROWS))
    .all();
}
