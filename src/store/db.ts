/**
 * Opening the database, migrated at start-up from the embedded migrations (which upgrades an existing
 * database in place): a file is SQLite in WAL mode (readers never block the writer); a `postgres://`
 * URL is PostgreSQL, which several hubs may share (src/store/pg/). Both are used through the same
 * drizzle SQLite builders and the same synchronous SQL interface (sql-client.ts).
 */
import { Database } from "bun:sqlite";
import { drizzle, type BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { makePrivateDir, touchPrivateFile } from "../core/private-files.ts";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import * as schema from "./schema.ts";
import { JOURNAL, MIGRATION_SQL } from "./migrations/index.ts";
import { isPostgresUrl, redactedDatabaseUrl, type SqlClient, type StoreDialect } from "./sql-client.ts";
import { PgSyncClient } from "./pg/sync-client.ts";
import { migratePostgres, pendingMigrations } from "./pg/migrate.ts";

export type Db = BunSQLiteDatabase<typeof schema>;

export interface Store {
  dialect: StoreDialect;
  /** Plain SQL on either database. */
  sql: SqlClient;
  /** SQLite's own handle, for what only SQLite has (pragmas, checkpoints, vacuum); null on PostgreSQL. */
  sqlite: Database | null;
  /** PostgreSQL's client, for what only PostgreSQL has (array parameters); null on SQLite. */
  postgres: PgSyncClient | null;
  db: Db;
  /** The file, or the URL without its password. */
  path: string;
  close(): void;
}

export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreError";
  }
}

/** drizzle's migrator reads a folder: the embedded migrations are laid out in a temporary one. */
function runMigrations(db: Db): void {
  const folder = mkdtempSync(join(tmpdir(), "moat-migrations-"));
  try {
    mkdirSync(join(folder, "meta"));
    writeFileSync(join(folder, "meta", "_journal.json"), JSON.stringify(JOURNAL));
    for (const entry of JOURNAL.entries) {
      const text = MIGRATION_SQL[entry.tag];
      if (text === undefined) throw new StoreError(`migration ${entry.tag} is in the journal but not embedded (src/store/migrations/index.ts)`);
      writeFileSync(join(folder, `${entry.tag}.sql`), text);
    }
    migrate(db, { migrationsFolder: folder });
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** A file path opens SQLite; a `postgres://` URL, PostgreSQL. */
export function openStore(target: string): Store {
  return isPostgresUrl(target) ? openPostgres(target) : openSqlite(target);
}

/** A client that has reached the database (a clear StoreError when it cannot), and the URL to show. */
function connectPostgres(url: string): { client: PgSyncClient; shown: string } {
  const shown = redactedDatabaseUrl(url);
  const client = new PgSyncClient(url);
  try {
    client.exec("select 1");
  } catch (e) {
    client.close();
    throw new StoreError(`cannot connect to ${shown}: ${(e as Error).message}`);
  }
  return { client, shown };
}

/** What `moat doctor` says of a PostgreSQL database, changing nothing: it answers, and the migrations it has not had yet. */
export function inspectPostgres(url: string): { shown: string; pending: string[] } {
  const { client, shown } = connectPostgres(url);
  try {
    return { shown, pending: pendingMigrations(client) };
  } finally {
    client.close();
  }
}

function openPostgres(url: string): Store {
  const { client, shown } = connectPostgres(url);
  try {
    migratePostgres(client);
  } catch (e) {
    client.close();
    throw new StoreError(`cannot migrate the database ${shown}: ${(e as Error).message}`);
  }
  // drizzle's SQLite driver over PostgreSQL's client: it speaks bun:sqlite's interface (sync-client.ts).
  const db = drizzle(client as unknown as Database, { schema });
  return { dialect: "postgres", sql: client, sqlite: null, postgres: client, db, path: shown, close: () => client.close() };
}

function openSqlite(path: string): Store {
  try {
    if (path !== ":memory:") {
      makePrivateDir(dirname(path));
      // Created 0600 before SQLite opens it: SQLite would make it 0644, and it gives the -wal and
      // -shm files it creates later the database's own mode.
      touchPrivateFile(path);
    }
  } catch (e) {
    throw new StoreError(`cannot create ${path}: ${(e as Error).message} (set storage.db or --db to a writable place)`);
  }
  let sqlite: Database;
  try {
    sqlite = new Database(path, { create: true, strict: true });
    // First: the pragmas below already take locks, and another process may hold one for a moment
    // (a reader of the dashboard or the CLI, or one recovering the WAL after a crash).
    sqlite.exec("PRAGMA busy_timeout = 5000");
    // Takes effect on a new database only: lets retention hand free pages back to the file system.
    sqlite.exec("PRAGMA auto_vacuum = INCREMENTAL");
    sqlite.exec("PRAGMA journal_mode = WAL");
    sqlite.exec("PRAGMA synchronous = NORMAL");
  } catch (e) {
    throw new StoreError(`cannot open the database ${path}: ${(e as Error).message}`);
  }
  const db = drizzle(sqlite, { schema });
  try {
    runMigrations(db);
  } catch (e) {
    sqlite.close();
    throw new StoreError(`cannot migrate the database ${path}: ${(e as Error).message}`);
  }
  return { dialect: "sqlite", sql: sqlite, sqlite, postgres: null, db, path, close: () => sqlite.close() };
}
