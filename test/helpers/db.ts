/** Reads moat's database as a second process would (tests and benches). */
import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { PgSyncClient } from "../../src/store/pg/sync-client.ts";
import { isPostgresUrl, type SqlClient } from "../../src/store/sql-client.ts";

/** The database as a second process reads it: read-only, and waiting for a lock held for a moment, as moat itself does. */
export function openReadonly(path: string): Database {
  const db = new Database(path, { readonly: true });
  db.exec("PRAGMA busy_timeout = 5000");
  return db;
}

/** One client a PostgreSQL database, kept for the run (a client is a thread and a connection). */
const pgClients = new Map<string, PgSyncClient>();

/** Reads moat's database as a second process would: `target` is a SQLite file (opened read-only for the call) or a postgres:// URL. */
export function readDatabase<T>(target: string, read: (db: SqlClient) => T): T {
  if (isPostgresUrl(target)) {
    let client = pgClients.get(target);
    if (!client) pgClients.set(target, (client = new PgSyncClient(target)));
    return read(client);
  }
  const db = openReadonly(target);
  try {
    return read(db);
  } finally {
    db.close();
  }
}

export function dbCounts(target: string): { requests: number; trafficRows: number; threats: number } {
  if (!isPostgresUrl(target) && !existsSync(target)) return { requests: 0, trafficRows: 0, threats: 0 };
  return readDatabase(target, counts);
}

function counts(db: SqlClient): { requests: number; trafficRows: number; threats: number } {
  try {
    const counter = db.query("select value from counters where key = 'requests'").get() as { value: number } | null;
    const traffic = db.query("select count(*) as n from traffic").get() as { n: number } | null;
    const threats = db.query("select count(*) as n from threats").get() as { n: number } | null;
    return { requests: counter?.value ?? 0, trafficRows: traffic?.n ?? 0, threats: threats?.n ?? 0 };
  } catch {
    return { requests: 0, trafficRows: 0, threats: 0 }; // not migrated yet
  }
}
