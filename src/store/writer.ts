/**
 * The one writer path: each judged batch is written in one transaction — its traffic rows, the
 * flagged requests in full, the per-minute rollup, the running totals and the tail checkpoint — so
 * that a crash leaves either all of a batch or none of it, and a restart resumes right after it.
 */
import { and, eq, getTableColumns, getTableName, sql, type InferInsertModel } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { requestIdOf, type HttpRequest } from "../core/http-request.ts";
import type { Verdict } from "../detect/verdict.ts";
import type { TailCheckpoint } from "../ingest/tail.ts";
import { agentCursors, counters, metricRollups, tailCheckpoints, threats, traffic } from "./schema.ts";
import type { Store } from "./db.ts";
import type { SqlParam } from "./sql-client.ts";
import type { SQLQueryBindings } from "bun:sqlite";
import type { ThreatRow, TrafficRow } from "./rows.ts";
import { enqueue, hasRoom } from "./outbox.ts";
import { perStore } from "./per-store.ts";
import { postgresColumnTypes } from "./pg/schema.ts";

export interface JudgedBatch {
  requests: HttpRequest[];
  verdicts: Verdict[];
  /** Refused under the live mode and block policy, per request (none when absent). */
  blocked?: boolean[];
  /** Lines of the batch that did not parse, by source. */
  rejected?: number;
  checkpoint?: TailCheckpoint;
  /** When the batch was judged (rows without a time of their own take it). */
  now?: number;
  /**
   * On a hub: the agent that sent the batch, its run (`instance`) and the batch's number in that run.
   * A batch at or below the last number stored from that run is skipped whole (the agent sent it again
   * after a lost answer, or a restart): each is stored once.
   */
  from?: AgentBatch;
}

/** What a write added: the new rows (with their ids) for the live bus; `duplicate` when the batch was an agent's, stored before. */
export interface StoredRows {
  traffic: TrafficRow[];
  threats: ThreatRow[];
  duplicate: boolean;
}

export interface AgentBatch {
  agent: string;
  instance: string;
  seq: number;
  /** The hub's clock when it arrived (the batch's own `now` is the agent's). */
  receivedAt: number;
}

export interface WriterOptions {
  /**
   * An agent's outbox (src/store/outbox.ts): each batch is queued for the hub, as `instance`'s, in the
   * transaction that stores it; `entries` encodes it (only when there is room), and `onDropped` hears
   * of requests the full outbox could not keep.
   */
  outbox?: { maxRequests: number; instance: string; entries(batch: JudgedBatch, now: number): { requests: number; payload: string }[]; onDropped?(requests: number): void };
}

const MINUTE = 60_000;

/** Rows one PostgreSQL insert takes at most: a bound on one statement's arrays and its work. */
const INSERT_CHUNK = 500;

/**
 * An insert of rows of `table` (every column but the `id` each gets back). The SQL is derived from the
 * drizzle table, and values go through each column's own encoder (booleans as 0/1), but the statement
 * runs on the SQL client directly: drizzle's per-call query building and placeholder mapping cost
 * more than SQLite's insert itself, and this is the path every request takes. Each database gets its
 * fastest form: SQLite one prepared row at a time (its id is the last rowid; a multi-row insert is
 * slower there, and RETURNING doubles the cost), PostgreSQL up to INSERT_CHUNK rows a statement as one
 * array a column (`select * from unnest($1::bigint[], ...)`: 18 parameters instead of 9,000 to bind,
 * post to PostgreSQL's thread and parse; bench:hub's figures are in docs/benchmarks.md), one round trip,
 * the ids back in ascending order, which is the rows' order (one statement numbers its rows as it
 * inserts them).
 */
function rowsInsert<T extends SQLiteTable>(store: Pick<Store, "sqlite" | "postgres">, table: T): (rows: InferInsertModel<T>[]) => number[] {
  const columns = Object.entries(getTableColumns(table)).filter(([key]) => key !== "id");
  const into = `insert into "${getTableName(table)}" (${columns.map(([, c]) => `"${c.name}"`).join(", ")})`;
  const valuesOf = (row: InferInsertModel<T>) =>
    columns.map(([key, column]) => {
      const value = (row as Record<string, unknown>)[key];
      return value === null || value === undefined ? null : (column.mapToDriverValue(value) as SqlParam);
    });
  const { sqlite } = store;
  if (sqlite) {
    const one = sqlite.prepare(`${into} values (${columns.map(() => "?").join(", ")})`);
    return (rows) => rows.map((row) => Number(one.run(...(valuesOf(row) as SQLQueryBindings[])).lastInsertRowid));
  }
  const { postgres } = store;
  if (!postgres) throw new Error("a store is SQLite or PostgreSQL");
  const types = postgresColumnTypes(table);
  const integer = columns.map(([, c]) => types.get(c.name) === "bigint");
  const insert = `${into} select * from unnest(${columns.map(([, c], i) => `$${i + 1}::${types.get(c.name)}[]`).join(", ")}) returning "id"`;
  return (rows) => {
    const ids: number[] = [];
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      const tuples = rows.slice(i, i + INSERT_CHUNK).map(valuesOf);
      const arrays = columns.map((_, c) => (integer[c] ? tuples.map((tuple) => wholeNumber(tuple[c])) : tuples.map((tuple) => tuple[c])));
      ids.push(...postgres.execute(insert, arrays).rows.map((r) => Number(r[0])).sort((a, b) => a - b));
    }
    return ids;
  };
}

/**
 * A number for a bigint column, rounded as PostgreSQL rounds a numeric literal there: an array element
 * is text to it, and `200.5` is no bigint (a JSON log's `"size": 1.5`, an agent's wire value).
 */
function wholeNumber(value: SqlParam | undefined): SqlParam | undefined {
  return typeof value === "number" && Number.isFinite(value) ? Math.round(value) : value;
}

const p = sql.placeholder;

/**
 * Every statement of a batch's transaction, prepared once per database: a small batch (an inline
 * check's write-behind) would otherwise spend more on building SQL than on writing.
 */
function prepareStatements(store: Store) {
  const { db } = store;
  return {
    insertTraffic: rowsInsert(store, traffic),
    insertThreat: rowsInsert(store, threats),
    trafficByRequestId: db.select().from(traffic).where(eq(traffic.requestId, p("requestId"))).prepare(),
    threatByRequestId: db.select({ id: threats.id, score: threats.score }).from(threats).where(eq(threats.requestId, p("requestId"))).prepare(),
    minuteByType: db.select({ byType: metricRollups.byType }).from(metricRollups).where(and(eq(metricRollups.resolution, "minute"), eq(metricRollups.bucket, p("bucket")), eq(metricRollups.agent, p("agent")))).prepare(),
    addToMinute: db
      .insert(metricRollups)
      .values({ resolution: "minute", bucket: p("bucket"), agent: p("agent"), requests: p("requests"), flagged: p("flagged"), blocked: p("blocked"), errors5xx: p("errors5xx"), responseTimeSum: p("rtSum"), responseTimeCount: p("rtCount"), byType: p("byType") })
      .onConflictDoUpdate({
        target: [metricRollups.resolution, metricRollups.bucket, metricRollups.agent],
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
    // One statement, one round trip: the run's cursor moves only forward, and a row comes back only when it moved.
    advanceCursor: db
      .insert(agentCursors)
      .values({ agent: p("agent"), instance: p("instance"), seq: p("seq"), updatedAt: p("now") })
      .onConflictDoUpdate({ target: [agentCursors.agent, agentCursors.instance], set: { seq: sql`${p("seq")}`, updatedAt: sql`${p("now")}` }, setWhere: sql`${agentCursors.seq} < ${p("seq")}` })
      .returning({ seq: agentCursors.seq })
      .prepare(),
    saveCheckpoint: db.insert(tailCheckpoints).values({ path: p("path"), checkpoint: p("checkpoint"), updatedAt: p("now") }).onConflictDoUpdate({ target: tailCheckpoints.path, set: { checkpoint: sql`${p("checkpoint")}`, updatedAt: sql`${p("now")}` } }).prepare(),
  };
}
const preparedStatements = perStore(prepareStatements);

/** Records an agent's batch as stored; false when it was stored before (its seq is not past its run's cursor). */
function firstTime(statements: Pick<ReturnType<typeof prepareStatements>, "advanceCursor">, from: AgentBatch): boolean {
  return statements.advanceCursor.get({ agent: from.agent, instance: from.instance, seq: from.seq, now: from.receivedAt }) !== undefined;
}

/** The endpoint a request is stored under (threats.endpoint). */
export function endpointOf(req: Pick<HttpRequest, "path">): string {
  return req.path || "/";
}

type TrafficInsert = Omit<TrafficRow, "id">;
type ThreatInsert = Omit<ThreatRow, "id">;

/** What a batch adds to one minute's rollup. */
interface MinuteDelta {
  requests: number;
  flagged: number;
  blocked: number;
  errors5xx: number;
  rtSum: number;
  rtCount: number;
  byType: Record<string, number>;
}

function minuteDeltas() {
  const byBucket = new Map<number, MinuteDelta>();
  return {
    byBucket,
    of(time: number): MinuteDelta {
      const bucket = Math.floor(time / MINUTE) * MINUTE;
      let d = byBucket.get(bucket);
      if (!d) byBucket.set(bucket, (d = { requests: 0, flagged: 0, blocked: 0, errors5xx: 0, rtSum: 0, rtCount: 0, byType: {} }));
      return d;
    },
  };
}

/** Counts a row's flag, block, 5xx and time into its minute, once each (`before` is what was counted already). */
function countInto(d: MinuteDelta, row: TrafficInsert, before?: TrafficInsert): void {
  if (row.isAnomaly && !before?.isAnomaly) {
    d.flagged++;
    const t = row.attackType ?? "anomaly";
    d.byType[t] = (d.byType[t] ?? 0) + 1;
  }
  if (row.blocked && !before?.blocked) d.blocked++;
  if (row.status !== null && row.status >= 500 && !(before?.status != null && before.status >= 500)) d.errors5xx++;
  if (row.requestTime !== null && before?.requestTime == null) {
    d.rtSum += row.requestTime * 1000;
    d.rtCount++;
  }
}

/**
 * The two halves of one request (its mirrored copy and its log line) as one row: the log's status,
 * bytes and time fill what the copy lacks, and the verdict is the stronger of the two.
 */
function mergeHalves(stored: TrafficRow, arriving: TrafficInsert): TrafficRow {
  const stronger = arriving.score > stored.score ? arriving : stored;
  return {
    ...stored,
    status: stored.status ?? arriving.status,
    bytesSent: stored.bytesSent ?? arriving.bytesSent,
    requestTime: stored.requestTime ?? arriving.requestTime,
    score: stronger.score,
    isAnomaly: stronger.isAnomaly,
    attackType: stronger.attackType,
    blocked: stored.blocked || arriving.blocked,
    partial: stored.partial ?? arriving.partial,
    host: stored.host ?? arriving.host,
  };
}

export class StoreWriter {
  constructor(
    private readonly store: Store,
    private readonly options: WriterOptions = {},
  ) {}

  /**
   * Writes the batch; returns the traffic and threat rows it added (with their ids) for the live bus.
   * A request whose `$request_id` is stored already (the other half of a mirrored request) is merged
   * into that row instead: it is counted once, and its threat, if any, is the one row too.
   */
  write(batch: JudgedBatch): StoredRows {
    const { db } = this.store;
    const now = batch.now ?? Date.now();
    const agent = batch.from?.agent ?? null;
    const rows = batch.requests.map((r, i) => {
      const v = batch.verdicts[i]!;
      const blocked = batch.blocked?.[i] ?? false;
      // Request ids are joined per agent: one agent's id can never reach another agent's row. An id
      // never holds "/" (requestIdOf), so the last "/" parts the agent's name from it unambiguously.
      const ownId = requestIdOf(r);
      const requestId = ownId !== null && agent !== null ? `${agent}/${ownId}` : ownId;
      const time = r.time ?? now;
      const trafficRow: TrafficInsert = {
        time,
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
        blocked,
        source: r.origin.source,
        requestId,
        partial: r.bodyBytes === undefined ? null : `body-oversize: the body is ${r.bodyBytes} bytes and only its start was judged`,
        host: r.host || null,
        agent,
      };
      const threatRow: ThreatInsert | null = v.isAnomaly
        ? {
            time,
            clientIp: r.clientIp,
            method: r.method,
            endpoint: endpointOf(r),
            attackType: v.attackType ?? "anomaly",
            severity: v.severity,
            score: v.score,
            threshold: v.threshold,
            blocked,
            reasons: JSON.stringify(v.reasons),
            request: JSON.stringify(r),
            modelVersion: v.modelVersion,
            source: r.origin.source,
            requestId,
            incidentId: null,
            acknowledgedAt: null,
            agent,
          }
        : null;
      return { trafficRow, threatRow };
    });

    const statements = preparedStatements(this.store);
    const { insertTraffic, insertThreat, trafficByRequestId, threatByRequestId, minuteByType, addToMinute, addToCounter, saveCheckpoint } = statements;
    const { outbox } = this.options;
    // Encoded before the transaction (it holds the database's lock), and only when it will be kept.
    const queued = outbox && hasRoom(this.store, outbox.maxRequests) ? outbox.entries(batch, now) : null;
    const stored = db.transaction(() => {
      if (batch.from && !firstTime(statements, batch.from)) return { traffic: [], threats: [], duplicate: true };
      if (outbox) enqueue(this.store, outbox.instance, queued, batch.requests.length, now);
      const storedTraffic: TrafficRow[] = [];
      const storedThreats: ThreatRow[] = [];
      const minutes = minuteDeltas();
      // New rows wait here and go in together; a row that may join a stored half goes after them.
      let fresh: typeof rows = [];
      const insertFresh = () => {
        const trafficIds = insertTraffic(fresh.map((r) => r.trafficRow));
        fresh.forEach(({ trafficRow }, i) => {
          storedTraffic.push({ id: trafficIds[i]!, ...trafficRow });
          const d = minutes.of(trafficRow.time);
          d.requests++;
          countInto(d, trafficRow);
        });
        const flagged = fresh.flatMap((r) => (r.threatRow ? [r.threatRow] : []));
        const threatIds = insertThreat(flagged);
        flagged.forEach((threatRow, i) => storedThreats.push({ id: threatIds[i]!, ...threatRow }));
        fresh = [];
      };
      for (const row of rows) {
        const { trafficRow, threatRow } = row;
        if (trafficRow.requestId === null) {
          fresh.push(row);
          continue;
        }
        insertFresh();
        const stored = trafficByRequestId.get({ requestId: trafficRow.requestId });
        if (!stored) {
          fresh.push(row);
          insertFresh();
          continue;
        }
        const merged = mergeHalves(stored, trafficRow);
        db.update(traffic).set(merged).where(eq(traffic.id, stored.id)).run();
        countInto(minutes.of(stored.time), merged, stored);
        if (!threatRow) continue;
        const storedThreat = threatByRequestId.get({ requestId: trafficRow.requestId });
        if (!storedThreat) storedThreats.push({ id: insertThreat([{ ...threatRow, time: stored.time }])[0]!, ...threatRow, time: stored.time });
        else if (threatRow.score > storedThreat.score) db.update(threats).set({ ...threatRow, time: undefined, incidentId: undefined, acknowledgedAt: undefined }).where(eq(threats.id, storedThreat.id)).run();
      }
      insertFresh();
      // A hub counts each agent's traffic apart (its figures filter by agent); "" is this Moat's own.
      const rollupAgent = agent ?? "";
      for (const [bucket, r] of minutes.byBucket) {
        const existing = minuteByType.get({ bucket, agent: rollupAgent });
        const byType: Record<string, number> = existing ? JSON.parse(existing.byType) : {};
        for (const [t, n] of Object.entries(r.byType)) byType[t] = (byType[t] ?? 0) + n;
        addToMinute.run({ bucket, agent: rollupAgent, requests: r.requests, flagged: r.flagged, blocked: r.blocked, errors5xx: r.errors5xx, rtSum: r.rtSum, rtCount: r.rtCount, byType: JSON.stringify(byType) });
      }
      const add = (key: string, n: number) => {
        if (n) addToCounter.run({ key, n });
      };
      add("requests", storedTraffic.length);
      add("threats", storedThreats.length);
      add("rejected", batch.rejected ?? 0);
      if (batch.checkpoint) saveCheckpoint.run({ path: batch.checkpoint.path, checkpoint: JSON.stringify(batch.checkpoint), now });
      return { traffic: storedTraffic, threats: storedThreats, duplicate: false };
    });
    if (outbox && !queued && batch.requests.length) outbox.onDropped?.(batch.requests.length);
    return stored;
  }

  /** The checkpoints of the tailed logs, to resume where the last run stopped. */
  checkpoints(): TailCheckpoint[] {
    return this.store.db.select().from(tailCheckpoints).all().map((row) => JSON.parse(row.checkpoint) as TailCheckpoint);
  }
}
