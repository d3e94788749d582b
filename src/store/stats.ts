/** What the database holds, for `moat db stats` and the readiness and security checks. */
import { statSync } from "node:fs";
import type { Store } from "./db.ts";

export interface DbStats {
  /** Every request ever ingested (pruned ones included). */
  requests: number;
  threats: number;
  alerts: number;
  activities: number;
  trafficRows: number;
  rejectedLines: number;
  /** The database file plus its write-ahead log (PostgreSQL: the database's size). */
  dbBytes: number;
  db: string;
}

function fileSize(path: string): number {
  return statSync(path, { throwIfNoEntry: false })?.size ?? 0;
}

/** A running total that outlives pruning (`requests`, `threats`, `rejected`); 0 before the first. */
export function counterValue(store: Store, key: string): number {
  return (store.sql.query("select value from counters where key = ?").get(key) as { value: number } | null)?.value ?? 0;
}

/** The rows a table holds now (a whole-table count: for commands and checks, not for a scrape). */
export function rowCount(store: Store, table: "traffic" | "threats" | "alerts" | "activities"): number {
  return (store.sql.query(`select count(*) as n from ${table}`).get() as { n: number }).n;
}

/** The database file and its write-ahead log, each on its own (a path is enough: benchmarks measure a database another process has open). */
export function dbFileBytes(store: Pick<Store, "path">): { database: number; wal: number } {
  return { database: fileSize(store.path), wal: fileSize(`${store.path}-wal`) };
}

/** The database file plus its write-ahead log: the disk the database takes. */
export function dbBytes(store: Pick<Store, "path">): number {
  const { database, wal } = dbFileBytes(store);
  return database + wal;
}

/** A PostgreSQL database's size on disk (pg_database_size). */
export function postgresBytes(store: Store): number {
  return (store.sql.query("select pg_database_size(current_database()) as n").get() as { n: number }).n;
}

/** The disk the store takes: the SQLite file and its log, or the PostgreSQL database. */
export function storeBytes(store: Store): number {
  return store.dialect === "postgres" ? postgresBytes(store) : dbBytes(store);
}

/** Everything at once; it counts whole tables, so it is for commands and checks, not for a scrape. */
export function dbStats(store: Store): DbStats {
  return {
    requests: counterValue(store, "requests"),
    threats: rowCount(store, "threats"),
    alerts: rowCount(store, "alerts"),
    activities: rowCount(store, "activities"),
    trafficRows: rowCount(store, "traffic"),
    rejectedLines: counterValue(store, "rejected"),
    dbBytes: storeBytes(store),
    db: store.path,
  };
}
