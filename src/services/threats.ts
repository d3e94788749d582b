/**
 * Queries over the flagged requests. Every answer is capped at MAX_THREAT_ROWS rows so that a large
 * database never makes a huge response; lists page with an id cursor (`beforeId`).
 */
import { and, count, desc, eq, gte, isNull, lt, lte, max, min, ne, sql, type Column, type SQL } from "drizzle-orm";
import { LOCAL_AGENT, type Severity } from "../core/enums.ts";
import type { HttpRequest } from "../core/http-request.ts";
import type { RedactedRequest } from "../detect/redact.ts";
import type { Store } from "../store/db.ts";
import { threats } from "../store/schema.ts";
import type { ThreatRow } from "../store/rows.ts";

export const MAX_THREAT_ROWS = 1000;

/**
 * A threat row's `request`: the HttpRequest with its secrets redacted (detect/redact.ts), plus the
 * text it arrived as when that is known (its log line). Rows stored before redaction have no `redacted`.
 */
export type StoredRequest = HttpRequest & Partial<Pick<RedactedRequest, "raw" | "redacted">>;

export interface ThreatListOptions {
  /** Epoch ms, inclusive. */
  since: number;
  /** Epoch ms, inclusive; no upper bound when absent. */
  until?: number;
  type?: string;
  /** Only from this client. */
  ip?: string;
  /** Only what this agent judged (on a hub); LOCAL_AGENT: only this Moat's own sources. */
  agent?: string;
  severity?: Severity;
  /** Only endpoints containing this text. */
  endpointContains?: string;
  limit: number;
  /** Cursor: only threats with a smaller id (pass the last id of the previous page). */
  beforeId?: number;
}

export type ThreatGrouping = "ip" | "type" | "endpoint";

export interface ThreatGroup {
  key: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
  /** The attack types seen in the group, sorted (absent when grouping by type). */
  types?: string[];
}

/** A whole number of rows between 1 and the cap (no limit at all means the cap). */
export function clampLimit(limit: number, cap = MAX_THREAT_ROWS): number {
  if (!Number.isFinite(limit)) return cap;
  return Math.min(cap, Math.max(1, Math.floor(limit)));
}

const GROUP_COLUMNS = { ip: threats.clientIp, type: threats.attackType, endpoint: threats.endpoint } as const;

/** A row of `agent` (an agent's name, or LOCAL_AGENT). */
export function agentIs(column: Column, agent: string): SQL {
  return agent === LOCAL_AGENT ? isNull(column) : eq(column, agent);
}

/**
 * Newest first means highest id first: ids follow the order threats were stored, which is the order
 * they were seen, and unlike times they are unique, which makes the cursor exact.
 */
export class ThreatQueries {
  constructor(private readonly store: Store) {}

  recent(limit: number): ThreatRow[] {
    return this.store.db.select().from(threats).orderBy(desc(threats.id)).limit(clampLimit(limit)).all();
  }

  list(options: ThreatListOptions): ThreatRow[] {
    const conditions: (SQL | undefined)[] = [
      gte(threats.time, options.since),
      options.until !== undefined ? lte(threats.time, options.until) : undefined,
      options.type !== undefined ? eq(threats.attackType, options.type) : undefined,
      options.ip !== undefined ? eq(threats.clientIp, options.ip) : undefined,
      options.agent !== undefined ? agentIs(threats.agent, options.agent) : undefined,
      options.severity !== undefined ? eq(threats.severity, options.severity) : undefined,
      options.endpointContains !== undefined ? sql`instr(${threats.endpoint}, ${options.endpointContains}) > 0` : undefined,
      options.beforeId !== undefined ? lt(threats.id, options.beforeId) : undefined,
    ];
    return this.store.db.select().from(threats).where(and(...conditions)).orderBy(desc(threats.id)).limit(clampLimit(options.limit)).all();
  }

  byId(id: number): ThreatRow | undefined {
    return this.store.db.select().from(threats).where(eq(threats.id, id)).get();
  }

  /** How many threats of each attack type since `since` (of one agent, when given). */
  stats(since: number, agent?: string): Record<string, number> {
    const rows = this.store.db
      .select({ type: threats.attackType, n: count() })
      .from(threats)
      .where(and(gte(threats.time, since), agent === undefined ? undefined : agentIs(threats.agent, agent)))
      .groupBy(threats.attackType)
      .all();
    return Object.fromEntries(rows.map((r) => [r.type, r.n]));
  }

  /** Threats since `since` grouped by client, attack type or endpoint, the largest groups first. */
  groups(since: number, by: ThreatGrouping, limit: number): ThreatGroup[] {
    const key = GROUP_COLUMNS[by];
    const rows = this.store.db
      .select({
        key,
        count: count(),
        firstSeen: min(threats.time).mapWith(Number),
        lastSeen: max(threats.time).mapWith(Number),
        types: sql<string>`json_group_array(distinct ${threats.attackType})`,
      })
      .from(threats)
      .where(gte(threats.time, since))
      .groupBy(key)
      .orderBy(desc(count()), key)
      .limit(clampLimit(limit))
      .all();
    return rows.map(({ types, ...group }) => (by === "type" ? group : { ...group, types: (JSON.parse(types) as string[]).sort() }));
  }

  /**
   * What else a client did: its threats, newest first, without the one being looked at. Ordered by
   * time (the client-and-time index) rather than id, so that a client with a million threats is cheap.
   */
  sameSource(ip: string, limit: number, exceptId?: number): ThreatRow[] {
    const conditions = [eq(threats.clientIp, ip), exceptId !== undefined ? ne(threats.id, exceptId) : undefined];
    return this.store.db.select().from(threats).where(and(...conditions)).orderBy(desc(threats.time), desc(threats.id)).limit(clampLimit(limit)).all();
  }
}
