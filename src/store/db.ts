/**
 * Opening the database: SQLite in WAL mode (readers never block the writer), migrated at start-up
 * from the embedded migrations, which upgrades an existing database in place.
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

export type Db = BunSQLiteDatabase<typeof schema>;

export interface Store {
  sqlite: Database;
  db: Db;
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

export function openStore(path: string): Store {
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
  return { sqlite, db, path, close: () => sqlite.close() };
}
