/**
 * Brings a PostgreSQL database to the schema this build knows, from the embedded migrations. Several
 * hubs may start at once against one database: a transaction-scoped advisory lock makes them take
 * turns, and each migration is recorded (in `moat_migrations`) in the transaction that applies it.
 */
import { PG_JOURNAL, PG_MIGRATION_SQL } from "./migrations/index.ts";
import type { PgSyncClient } from "./sync-client.ts";

/** The advisory lock key of migrations (any fixed 64-bit number; see locks.ts for the jobs' keys). */
const MIGRATION_LOCK = 0x6d6f6174_0000;

const RECORD = "create table if not exists moat_migrations (tag text primary key, applied_at bigint not null)";

/** The migrations this build knows that the database has not had (all of them for a database Moat never opened). */
export function pendingMigrations(client: PgSyncClient): string[] {
  const recorded = client.query("select to_regclass('moat_migrations') is not null as recorded").get() as { recorded: boolean };
  const done = new Set(recorded.recorded ? client.query("select tag from moat_migrations").all().map((r) => (r as { tag: string }).tag) : []);
  return PG_JOURNAL.entries.map((e) => e.tag).filter((tag) => !done.has(tag));
}

export function migratePostgres(client: PgSyncClient): void {
  client.transaction(() => {
    client.exec(`select pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    client.exec(RECORD);
    const record = client.prepare("insert into moat_migrations (tag, applied_at) values (?, ?)");
    for (const tag of pendingMigrations(client)) {
      const text = PG_MIGRATION_SQL[tag];
      if (text === undefined) throw new Error(`migration ${tag} is in the journal but not embedded (src/store/pg/migrations/index.ts)`);
      for (const statement of text.split("--> statement-breakpoint")) if (statement.trim()) client.exec(statement);
      record.run(tag, Date.now());
    }
  })();
}
