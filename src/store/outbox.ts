/**
 * An agent's outbox: judged batches waiting for the hub's acknowledgement, in the agent's own SQLite.
 * Entries are added inside the transaction that stores the batch locally (src/store/writer.ts), so a
 * crash leaves a batch both stored and queued or neither; they leave only when the hub has them.
 *
 * The outbox is bounded: past `maxRequests` waiting, a new batch is not queued, and its requests are
 * counted under OUTBOX_DROPPED_KEY. The oldest batches are kept, since they are the ones the hub lacks
 * longest; what could not be kept is never silent (the count shows in the activity log, the metrics
 * and moat doctor).
 */
import { asc, count, eq, gt, lte, sql, sum } from "drizzle-orm";
import type { Store } from "./db.ts";
import { counters, outbox } from "./schema.ts";

export const OUTBOX_DROPPED_KEY = "outbox_dropped";

export interface OutboxEntry {
  seq: number;
  requests: number;
  payload: string;
  createdAt: number;
}

export interface OutboxDepth {
  batches: number;
  requests: number;
  /** Requests not queued because the outbox was full, ever. */
  dropped: number;
  /** When the oldest waiting entry was queued, or null when none waits. */
  oldestAt: number | null;
}

/**
 * Queues the entries, or counts their requests as dropped when the outbox holds `maxRequests` or
 * more already. Call it inside the transaction that stores the batch. Returns the requests dropped.
 */
export function enqueue(store: Store, entries: { requests: number; payload: string }[], maxRequests: number, now: number): number {
  const { db } = store;
  const waiting = Number(db.select({ n: sum(outbox.requests) }).from(outbox).get()?.n ?? 0);
  let room = maxRequests - waiting;
  let dropped = 0;
  for (const e of entries) {
    if (room <= 0) {
      dropped += e.requests;
      continue;
    }
    db.insert(outbox).values({ requests: e.requests, payload: e.payload, createdAt: now }).run();
    room -= e.requests;
  }
  if (dropped) countDropped(store, dropped);
  return dropped;
}

/** Adds to the requests that never reach the hub. */
export function countDropped(store: Store, requests: number): void {
  store.db
    .insert(counters)
    .values({ key: OUTBOX_DROPPED_KEY, value: requests })
    .onConflictDoUpdate({ target: counters.key, set: { value: sql`${counters.value} + ${requests}` } })
    .run();
}

/** The oldest waiting entries after `afterSeq`, up to about `maxChars` of payload (always at least one). */
export function peek(store: Store, afterSeq: number, maxChars: number, maxEntries = 1000): OutboxEntry[] {
  const rows = store.db.select().from(outbox).where(gt(outbox.seq, afterSeq)).orderBy(asc(outbox.seq)).limit(maxEntries).all();
  const out: OutboxEntry[] = [];
  let chars = 0;
  for (const row of rows) {
    if (out.length && chars + row.payload.length > maxChars) break;
    out.push(row);
    chars += row.payload.length;
  }
  return out;
}

/** Removes the entries up to `seq`: the hub has stored them. */
export function acknowledge(store: Store, seq: number): void {
  store.db.delete(outbox).where(lte(outbox.seq, seq)).run();
}

export function depth(store: Store): OutboxDepth {
  const row = store.db.select({ batches: count(), requests: sum(outbox.requests), oldestAt: sql<number | null>`min(${outbox.createdAt})` }).from(outbox).get();
  const dropped = store.db.select({ value: counters.value }).from(counters).where(eq(counters.key, OUTBOX_DROPPED_KEY)).get()?.value ?? 0;
  return { batches: row?.batches ?? 0, requests: Number(row?.requests ?? 0), dropped, oldestAt: row?.oldestAt ?? null };
}
