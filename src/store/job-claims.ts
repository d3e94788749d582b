/**
 * Which process runs a job that must run once per database. On SQLite only one process writes the
 * file (src/store/lock.ts), so it runs them all. Several hubs share one PostgreSQL: each such job has
 * a session advisory lock, and the hub that takes it keeps it, running that job while it lives; when
 * it dies, its connection ends, PostgreSQL lets the lock go, and another hub takes it at its next tick.
 */
import type { Store } from "./db.ts";

/** A job's lock key: a fixed prefix and a hash of its name, in PostgreSQL's own hashtext. */
const KEY = "hashtext('moat.job:' || ?)::bigint";

export class JobClaims {
  private readonly held = new Set<string>();

  constructor(private readonly store: Pick<Store, "dialect" | "sql">) {}

  /** Whether this process runs `job` now; false: another process holds it. */
  claim(job: string): boolean {
    if (this.store.dialect === "sqlite") return true;
    const got = Boolean((this.store.sql.query(`select pg_try_advisory_lock(${KEY}) as got`).get(job) as { got: boolean }).got);
    if (!got) {
      // Held elsewhere: also after this process's connection was lost and opened again.
      this.held.delete(job);
      return false;
    }
    // Taken again by its holder: the lock counts, and stays at one.
    if (this.held.has(job)) this.store.sql.query(`select pg_advisory_unlock(${KEY})`).get(job);
    this.held.add(job);
    return true;
  }
}
