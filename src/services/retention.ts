/**
 * Retention: the database stays bounded by rows, age and size. Every flagged request is kept in full
 * (threats) until it ages out; benign traffic is a bounded recent window whose totals live on in the
 * rollups. Deletes run in small chunks so the writer is never held up for long.
 */
import type { Database } from "bun:sqlite";
import type { Store } from "../store/db.ts";
import { postgresBytes, rowCount } from "../store/stats.ts";
import { DAY_MS, MAX_RANGE_MS } from "./range.ts";

export interface RetentionLimits {
  trafficRows: number;
  maxAgeDays: number;
  maxDbMb: number;
}

export interface RetentionReport {
  trafficDeleted: number;
  threatsDeleted: number;
  otherDeleted: number;
  usedBytesBefore: number;
  usedBytesAfter: number;
  /** True when the size limit could not be met by deleting benign traffic alone. */
  threatsTrimmedForSize: boolean;
}

const CHUNK = 5000;
/** Minute rollups older than this are folded into hours (the hour rows remain). */
const MINUTE_ROLLUP_DAYS = 7;

function pragma(sqlite: Database, name: string): number {
  return (sqlite.query(`pragma ${name}`).get() as Record<string, number>)[name] ?? 0;
}

/**
 * SQLite: bytes in pages that hold data (the file can be larger until VACUUM; free pages are reused
 * first). PostgreSQL: the database's size, which deleting rows does not lower (its own VACUUM reuses
 * the space), so it is reported, never a limit (see enforceRetention).
 */
export function usedBytes(store: Store): number {
  const { sqlite } = store;
  if (!sqlite) return postgresBytes(store);
  return (pragma(sqlite, "page_count") - pragma(sqlite, "freelist_count")) * pragma(sqlite, "page_size");
}

/** Share of the SQLite file that is free pages: a VACUUM is due when it is large. */
export function freeShare(sqlite: Database): number {
  const pages = pragma(sqlite, "page_count");
  return pages ? pragma(sqlite, "freelist_count") / pages : 0;
}

function deleteChunked(store: Store, sql: string, params: (string | number)[] = []): number {
  let total = 0;
  for (;;) {
    const changes = store.sql.run(sql.replace("{LIMIT}", String(CHUNK)), params).changes;
    total += changes;
    if (changes < CHUNK) return total;
  }
}

/** See the agent_cursors delete in enforceRetention. */
const AGENT_RUN_DAYS = 90;

export function enforceRetention(store: Store, limits: RetentionLimits, now: number): RetentionReport {
  const before = usedBytes(store);
  const cutoff = now - limits.maxAgeDays * DAY_MS;
  let trafficDeleted = deleteChunked(store, "delete from traffic where id in (select id from traffic where time < ? limit {LIMIT})", [cutoff]);
  let threatsDeleted = deleteChunked(store, "delete from threats where id in (select id from threats where time < ? limit {LIMIT})", [cutoff]);
  let otherDeleted = deleteChunked(store, "delete from activities where id in (select id from activities where time < ? limit {LIMIT})", [cutoff]);
  otherDeleted += deleteChunked(store, "delete from alerts where id in (select id from alerts where status in ('dismissed', 'resolved') and last_seen < ? limit {LIMIT})", [cutoff]);
  otherDeleted += store.sql.run("delete from metric_rollups where resolution = 'minute' and bucket < ?", [now - MINUTE_ROLLUP_DAYS * DAY_MS]).changes;
  // A hub's cursor of an agent's run (src/store/writer.ts): needed while that run's batches may still
  // come, which an outbox holds while the hub is away; a run unheard of for AGENT_RUN_DAYS is over.
  otherDeleted += store.sql.run("delete from agent_cursors where updated_at < ?", [now - AGENT_RUN_DAYS * DAY_MS]).changes;
  // Rollups stay for the longest range a chart can ask for, or longer when the age limit is.
  otherDeleted += store.sql.run("delete from metric_rollups where bucket < ?", [now - Math.max(limits.maxAgeDays * DAY_MS, MAX_RANGE_MS)]).changes;

  // Row limit on the traffic window: benign rows go first.
  const rows = rowCount(store, "traffic");
  if (rows > limits.trafficRows) {
    let excess = rows - limits.trafficRows;
    while (excess > 0) {
      const n = store.sql.run("delete from traffic where id in (select id from traffic order by is_anomaly asc, id asc limit ?)", [Math.min(excess, CHUNK)]).changes;
      trafficDeleted += n;
      excess -= n;
      if (!n) break;
    }
  }

  // Size limit, on SQLite only: PostgreSQL's size is its operator's to watch (see usedBytes).
  const trimmed = store.sqlite ? trimToSize(store, store.sqlite, limits.maxDbMb * 1024 * 1024) : { traffic: 0, threats: 0 };
  trafficDeleted += trimmed.traffic;
  threatsDeleted += trimmed.threats;
  return { trafficDeleted, threatsDeleted, otherDeleted, usedBytesBefore: before, usedBytesAfter: usedBytes(store), threatsTrimmedForSize: trimmed.threats > 0 };
}

/** Deletes the oldest benign traffic first, then the oldest traffic and threats, until the SQLite file's data fits `maxBytes`. */
function trimToSize(store: Store, sqlite: Database, maxBytes: number): { traffic: number; threats: number } {
  const shrink = (sql: string) => {
    let deleted = 0;
    while (usedBytes(store) > maxBytes) {
      const n = store.sql.run(sql, [CHUNK]).changes;
      deleted += n;
      if (!n) break;
    }
    return deleted;
  };
  const traffic = shrink("delete from traffic where id in (select id from traffic where is_anomaly = 0 order by id limit ?)") + shrink("delete from traffic where id in (select id from traffic order by id limit ?)");
  const threats = shrink("delete from threats where id in (select id from threats order by id limit ?)");
  // Hand the freed pages back (auto_vacuum is incremental) and fold the WAL into the file.
  sqlite.exec("pragma incremental_vacuum");
  sqlite.exec("pragma wal_checkpoint(TRUNCATE)");
  return { traffic, threats };
}

/**
 * SQLite: VACUUM (returns free pages to the file system) when a quarter of the file is free; always
 * `optimize`. PostgreSQL vacuums itself (autovacuum); asked to (`moat db vacuum`), VACUUM ANALYZE.
 */
export function compactIfDue(store: Store, force = false): { vacuumed: boolean } {
  const { sqlite } = store;
  if (!sqlite) {
    if (force) store.sql.exec("vacuum (analyze)");
    return { vacuumed: force };
  }
  sqlite.exec("pragma optimize");
  if (!force && freeShare(sqlite) < 0.25) return { vacuumed: false };
  sqlite.exec("vacuum");
  return { vacuumed: true };
}
