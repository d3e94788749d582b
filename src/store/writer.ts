/**
 * The one writer path: each judged batch is written in one transaction — its traffic rows, the
 * flagged requests in full, the per-minute rollup, the running totals and the tail checkpoint — so
 * that a crash leaves either all of a batch or none of it, and a restart resumes right after it.
 */
import type { Database, SQLQueryBindings } from "bun:sqlite";
import { and, eq, getTableColumns, getTableName, sql, type InferInsertModel } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { HttpRequest } from "../core/http-request.ts";
import type { Verdict } from "../detect/verdict.ts";
import type { TailCheckpoint } from "../ingest/tail.ts";
import { counters, metricRollups, tailCheckpoints, threats, traffic } from "./schema.ts";
import type { Store } from "./db.ts";
import type { ThreatRow, TrafficRow } from "../services/bus.ts";

export interface JudgedBatch {
  requests: HttpRequest[];
  verdicts: Verdict[];
  /** Lines of the batch that did not parse, by source. */
  rejected?: number;
  checkpoint?: TailCheckpoint;
  /** When the batch was judged (rows without a time of their own take it). */
  now?: number;
}

const MINUTE = 60_000;

/**
 * An insert of one row of `table` (every column but the `id` it returns), prepared once. The SQL is
 * derived from the drizzle table, and values go through each column's own encoder (booleans as 0/1),
 * but the statement runs on bun:sqlite directly: drizzle's per-call query building and placeholder
 * mapping cost more than SQLite's insert itself, and this is the one path every request takes.
 */
function rowInsert<T extends SQLiteTable>(sqlite: Database, table: T): (row: InferInsertModel<T>) => number {
  const columns = Object.entries(getTableColumns(table)).filter(([key]) => key !== "id");
  const statement = sqlite.prepare(`insert into "${getTableName(table)}" (${columns.map(([, c]) => `"${c.name}"`).join(", ")}) values (${columns.map(() => "?").join(", ")})`);
  return (row) => {
    const values = columns.map(([key, column]) => {
      const value = (row as Record<string, unknown>)[key];
      return value === null || value === undefined ? null : (column.mapToDriverValue(value) as SQLQueryBindings);
    });
    return Number(statement.run(...values).lastInsertRowid);
  };
}

const p = sql.placeholder;

/**
 * Every statement of a batch's transaction, prepared once per database: a small batch (an inline
 * check's write-behind) would otherwise spend more on building SQL than on writing.
 */
function prepareStatements(store: Store) {
  const { db, sqlite } = store;
  return {
    insertTraffic: rowInsert(sqlite, traffic),
    insertThreat: rowInsert(sqlite, threats),
    minuteByType: db.select({ byType: metricRollups.byType }).from(metricRollups).where(and(eq(metricRollups.resolution, "minute"), eq(metricRollups.bucket, p("bucket")))).prepare(),
    addToMinute: db
      .insert(metricRollups)
      .values({ resolution: "minute", bucket: p("bucket"), requests: p("requests"), flagged: p("flagged"), blocked: p("blocked"), errors5xx: p("errors5xx"), responseTimeSum: p("rtSum"), responseTimeCount: p("rtCount"), byType: p("byType") })
      .onConflictDoUpdate({
        target: [metricRollups.resolution, metricRollups.bucket],
        set: {
          requests: sql`${metricRollups.requests} + ${p("requests")}`,
          flagged: sql`${metricRollups.flagged} + ${p("flagged")}`,
          blocked: sql`${metricRollups.blocked} + ${p("blocked")}`,
          errors5xx: sql`${metricRollups.errors5xx} + ${p("errors5xx")}`,
          responseTimeSum: sql`${metricRollups.responseTimeSum} + ${p("rtSum")}`,
          responseTimeCount: sql`${metricRollups.responseTimeCount} + ${p("rtCount")}`,
          byType: sql`${p("byType")}`,
        },
      })
      .prepare(),
    addToCounter: db.insert(counters).values({ key: p("key"), value: p("n") }).onConflictDoUpdate({ target: counters.key, set: { value: sql`${counters.value} + ${p("n")}` } }).prepare(),
    saveCheckpoint: db.insert(tailCheckpoints).values({ path: p("path"), checkpoint: p("checkpoint"), updatedAt: p("now") }).onConflictDoUpdate({ target: tailCheckpoints.path, set: { checkpoint: sql`${p("checkpoint")}`, updatedAt: sql`${p("now")}` } }).prepare(),
  };
}
const preparedStatements = new WeakMap<Store, ReturnType<typeof prepareStatements>>();

/** The endpoint a request is stored under (threats.endpoint). */
export function endpointOf(req: Pick<HttpRequest, "path">): string {
  return req.path || "/";
}

export class StoreWriter {
  constructor(private readonly store: Store, private readonly blocking = false) {}

  /** Writes the batch; returns the stored traffic and threat rows (with their ids) for the live bus. */
  write(batch: JudgedBatch): { traffic: TrafficRow[]; threats: ThreatRow[] } {
    const { db } = this.store;
    const now = batch.now ?? Date.now();
    const trafficRows = batch.requests.map((r, i) => {
      const v = batch.verdicts[i]!;
      return {
        time: r.time ?? now,
        clientIp: r.clientIp,
        method: r.method,
        path: r.path,
        query: r.query,
        status: r.status,
        bytesSent: r.bytesSent,
        requestTime: r.requestTime,
        userAgent: r.userAgent,
        score: v.score,
        isAnomaly: v.isAnomaly,
        attackType: v.attackType,
        source: r.origin.source,
      };
    });
    const threatRows = batch.requests.flatMap((r, i) => {
      const v = batch.verdicts[i]!;
      if (!v.isAnomaly) return [];
      return [{
        time: r.time ?? now,
        clientIp: r.clientIp,
        method: r.method,
        endpoint: endpointOf(r),
        attackType: v.attackType ?? "anomaly",
        severity: v.severity,
        score: v.score,
        threshold: v.threshold,
        blocked: this.blocking,
        reasons: JSON.stringify(v.reasons),
        request: JSON.stringify(r),
        modelVersion: v.modelVersion,
        source: r.origin.source,
      }];
    });
    const rollups = new Map<number, { requests: number; flagged: number; errors5xx: number; rtSum: number; rtCount: number; byType: Record<string, number> }>();
    trafficRows.forEach((row) => {
      const bucket = Math.floor(row.time / MINUTE) * MINUTE;
      let r = rollups.get(bucket);
      if (!r) rollups.set(bucket, (r = { requests: 0, flagged: 0, errors5xx: 0, rtSum: 0, rtCount: 0, byType: {} }));
      r.requests++;
      if (row.isAnomaly) {
        r.flagged++;
        const t = row.attackType ?? "anomaly";
        r.byType[t] = (r.byType[t] ?? 0) + 1;
      }
      if (row.status !== null && row.status >= 500) r.errors5xx++;
      if (row.requestTime !== null) {
        r.rtSum += row.requestTime * 1000;
        r.rtCount++;
      }
    });

    let statements = preparedStatements.get(this.store);
    if (!statements) preparedStatements.set(this.store, (statements = prepareStatements(this.store)));
    const { insertTraffic, insertThreat, minuteByType, addToMinute, addToCounter, saveCheckpoint } = statements;
    return db.transaction(() => {
      const storedTraffic: TrafficRow[] = trafficRows.map((row) => ({ id: insertTraffic(row), ...row }));
      const storedThreats: ThreatRow[] = threatRows.map((row) => ({ id: insertThreat(row), ...row }));
      for (const [bucket, r] of rollups) {
        const existing = minuteByType.get({ bucket });
        const byType: Record<string, number> = existing ? JSON.parse(existing.byType) : {};
        for (const [t, n] of Object.entries(r.byType)) byType[t] = (byType[t] ?? 0) + n;
        addToMinute.run({ bucket, requests: r.requests, flagged: r.flagged, blocked: this.blocking ? r.flagged : 0, errors5xx: r.errors5xx, rtSum: r.rtSum, rtCount: r.rtCount, byType: JSON.stringify(byType) });
      }
      const add = (key: string, n: number) => {
        if (n) addToCounter.run({ key, n });
      };
      add("requests", trafficRows.length);
      add("threats", threatRows.length);
      add("rejected", batch.rejected ?? 0);
      if (batch.checkpoint) saveCheckpoint.run({ path: batch.checkpoint.path, checkpoint: JSON.stringify(batch.checkpoint), now });
      return { traffic: storedTraffic, threats: storedThreats };
    });
  }

  /** The checkpoints of the tailed logs, to resume where the last run stopped. */
  checkpoints(): TailCheckpoint[] {
    return this.store.db.select().from(tailCheckpoints).all().map((row) => JSON.parse(row.checkpoint) as TailCheckpoint);
  }
}
