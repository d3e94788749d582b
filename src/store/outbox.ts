/**
 * An agent's outbox: judged batches waiting for the hub's acknowledgement, in the agent's own SQLite.
 * Entries are added inside the transaction that stores the batch locally (src/store/writer.ts), so a
 * crash leaves a batch both stored and queued or neither; they leave only when the hub has them.
 *
 * The outbox is bounded: once `maxRequests` wait, a new batch is not queued, and its requests are
 * counted under OUTBOX_DROPPED_KEY. The oldest batches are kept, since they are the ones the hub lacks
 * longest; what could not be kept is never silent (the count shows in the activity log, the metrics
 * and moat doctor). The requests waiting are a counter kept with the rows, not a sum over them.
 */
import { asc, count, eq, inArray, lte, sql } from "drizzle-orm";
import type { Store } from "./db.ts";
import { counters, outbox } from "./schema.ts";

export const OUTBOX_DROPPED_KEY = "outbox_dropped";
const OUTBOX_WAITING_KEY = "outbox_requests";

export interface OutboxEntry {
  seq: number;
  instance: string;
  requests: number;
  payload: string;
}

export interface OutboxDepth {
  batches: number;
  requests: number;
  /** Requests that never reach the hub, ever: not queued (the outbox was full) or refused by the hub. */
  dropped: number;
  /** When the oldest waiting entry was queued, or null when none waits. */
  oldestAt: number | null;
}

type Db = { db: Pick<Store["db"], "select" | "insert" | "delete"> };

function counter(store: Db, key: string): number {
  return store.db.select({ value: counters.value }).from(counters).where(eq(counters.key, key)).get()?.value ?? 0;
}

function addTo(store: Db, key: string, n: number): void {
  store.db
    .insert(counters)
    .values({ key, value: n })
    .onConflictDoUpdate({ target: counters.key, set: { value: sql`${counters.value} + ${n}` } })
    .run();
}

/** Whether a new batch may be queued now. */
export function hasRoom(store: Db, maxRequests: number): boolean {
  return counter(store, OUTBOX_WAITING_KEY) < maxRequests;
}

/**
 * Queues a batch's entries as `instance`'s; `entries` null (there was no room) counts the batch's
 * `requests` as dropped instead. Call it inside the transaction that stores the batch.
 */
export function enqueue(store: Db, instance: string, entries: { requests: number; payload: string }[] | null, requests: number, now: number): void {
  if (entries === null) return countDropped(store, requests);
  for (const e of entries) store.db.insert(outbox).values({ instance, requests: e.requests, payload: e.payload, chars: e.payload.length, createdAt: now }).run();
  addTo(store, OUTBOX_WAITING_KEY, entries.reduce((n, e) => n + e.requests, 0));
}

/** Adds to the requests that never reach the hub. */
export function countDropped(store: Db, requests: number): void {
  if (requests) addTo(store, OUTBOX_DROPPED_KEY, requests);
}

/**
 * The oldest waiting entries, up to `maxChars` of payload in all (always at least one) and `maxEntries`.
 * Sizes are read first: only the payloads that will be sent are loaded.
 */
export function peek(store: Db, maxChars: number, maxEntries = 1000): OutboxEntry[] {
  const sizes = store.db.select({ seq: outbox.seq, chars: outbox.chars }).from(outbox).orderBy(asc(outbox.seq)).limit(maxEntries).all();
  const chosen: number[] = [];
  let chars = 0;
  for (const { seq, chars: n } of sizes) {
    if (chosen.length && chars + n > maxChars) break;
    chosen.push(seq);
    chars += n;
  }
  if (!chosen.length) return [];
  return store.db.select({ seq: outbox.seq, instance: outbox.instance, requests: outbox.requests, payload: outbox.payload }).from(outbox).where(inArray(outbox.seq, chosen)).orderBy(asc(outbox.seq)).all();
}

/**
 * Removes the entries up to `seq`, in one transaction with the waiting count: the hub has stored them,
 * or (`dropped`) refused them for good, and their requests are counted as never sent.
 */
export function acknowledge(store: Pick<Store, "db">, seq: number, dropped = false): void {
  store.db.transaction((tx) => {
    const gone = tx.delete(outbox).where(lte(outbox.seq, seq)).returning({ requests: outbox.requests }).all();
    const requests = gone.reduce((n, r) => n + r.requests, 0);
    addTo({ db: tx }, OUTBOX_WAITING_KEY, -requests);
    if (dropped) countDropped({ db: tx }, requests);
  });
}

/** Sets the waiting count from the rows (at start: a count and its rows must never part for good). */
export function recount(store: Db): void {
  const waiting = Number(store.db.select({ n: sql<number>`coalesce(sum(${outbox.requests}), 0)` }).from(outbox).get()?.n ?? 0);
  store.db.insert(counters).values({ key: OUTBOX_WAITING_KEY, value: waiting }).onConflictDoUpdate({ target: counters.key, set: { value: waiting } }).run();
}

export function depth(store: Db): OutboxDepth {
  const row = store.db.select({ batches: count(), oldestAt: sql<number | null>`min(${outbox.createdAt})` }).from(outbox).get();
  return { batches: row?.batches ?? 0, requests: counter(store, OUTBOX_WAITING_KEY), dropped: counter(store, OUTBOX_DROPPED_KEY), oldestAt: row?.oldestAt ?? null };
}
