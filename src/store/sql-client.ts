/**
 * Plain SQL on either database, in bun:sqlite's synchronous shape: a SQLite Database is one, and so
 * is PostgreSQL's client (src/store/pg/sync-client.ts). Only what Moat's store uses is here.
 */
export type SqlParam = string | number | boolean | null | bigint | Uint8Array;

export interface SqlStatement {
  run(...params: SqlParam[]): { changes: number };
  all(...params: SqlParam[]): unknown[];
  get(...params: SqlParam[]): unknown;
  values(...params: SqlParam[]): unknown[][];
}

export interface SqlClient {
  query(sql: string): SqlStatement;
  prepare(sql: string): SqlStatement;
  run(sql: string, params: SqlParam[]): { changes: number };
  exec(sql: string): void;
  /** A function that runs `fn` in a transaction (nested: a savepoint); `.immediate()` takes SQLite's write lock first. */
  transaction<A extends unknown[], T>(fn: (...args: A) => T): ((...args: A) => T) & { immediate(...args: A): T };
  close(): void;
}

/** The databases the store runs on: `storage.db` is a file (SQLite) or a `postgres://` URL. */
export const STORE_DIALECTS = ["sqlite", "postgres"] as const;
export type StoreDialect = (typeof STORE_DIALECTS)[number];

export function isPostgresUrl(target: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(target);
}

/** A URL to show: its password replaced (storage.db goes into logs, `moat doctor` and the console). */
export function redactedDatabaseUrl(target: string): string {
  if (!isPostgresUrl(target)) return target;
  try {
    const url = new URL(target);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "postgres://(unreadable URL)";
  }
}
