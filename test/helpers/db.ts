/** Reads moat's database as a second process would (tests and benches). */
import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";

/** The database as a second process reads it: read-only, and waiting for a lock held for a moment, as moat itself does. */
export function openReadonly(path: string): Database {
  const db = new Database(path, { readonly: true });
  db.exec("PRAGMA busy_timeout = 5000");
  return db;
}

export function dbCounts(path: string): { requests: number; trafficRows: number; threats: number } {
  if (!existsSync(path)) return { requests: 0, trafficRows: 0, threats: 0 };
  const db = openReadonly(path);
  try {
    const counter = db.query<{ value: number }, []>("select value from counters where key = 'requests'").get();
    const traffic = db.query<{ n: number }, []>("select count(*) as n from traffic").get();
    const threats = db.query<{ n: number }, []>("select count(*) as n from threats").get();
    return { requests: counter?.value ?? 0, trafficRows: traffic?.n ?? 0, threats: threats?.n ?? 0 };
  } catch {
    return { requests: 0, trafficRows: 0, threats: 0 }; // not migrated yet
  } finally {
    db.close();
  }
}
