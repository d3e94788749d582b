/**
 * Brings a PostgreSQL database to the schema this build knows, from the embedded migrations. Several
 * hubs may start at once against one database: a transaction-scoped advisory lock makes them take
 * turns, and each migration is recorded (in `moat_migrations`) in the transaction that applies it.
 */
import { PG_JOURNAL, PG_MIGRATION_SQL } from "./migrations/index.ts";
import type { PgSyncClient } from "./sync-client.ts";

/** The advisory lock key of migrations (any fixed 64-bit number; see locks.ts for the jobs' keys). */
const MIGRATION_LOCK = 0x6d6f6174_0000;

export function migratePostgres(client: PgSyncClient): string[] {
  const applied: string[] = [];
  client.transaction(() => {
    client.exec(`select pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    client.exec("create table if not exists moat_migrations (tag text primary key, applied_at bigint not null)");
    const done = new Set(client.query("select tag from moat_migrations").all().map((r) => String((r as { tag: string }).tag)));
    const record = client.prepare("insert into moat_migrations (tag, applied_at) values (?, ?)");
    for (const { tag } of PG_JOURNAL.entries) {
      if (done.has(tag)) continue;
      const text = PG_MIGRATION_SQL[tag];
      if (text === undefined) throw new Error(`migration ${tag} is in the journal but not embedded (src/store/pg/migrations/index.ts)`);
      for (const statement of text.split("--> statement-breakpoint")) if (statement.trim()) client.exec(statement);
      record.run(tag, Date.now());
      applied.push(tag);
    }
  })();
  return applied;
}
