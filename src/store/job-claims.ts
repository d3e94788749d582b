/**
 * Which process runs a job that must run once per database. On SQLite only one process writes the
 * file (src/store/lock.ts), so it runs them all. Several hubs share one PostgreSQL: each such job has
 * a session advisory lock, and the hub that takes it keeps it, running that job while it lives; when
 * it dies, its connection ends, PostgreSQL lets the lock go, and another hub takes it at its next tick.
 */
import type { Store } from "./db.ts";

/** The lock's first key: Moat's jobs, apart from any other user of advisory locks ("moat" in ASCII). */
const NAMESPACE = 0x6d6f6174;

/**
 * Whether this connection holds the job's lock, taking it when it is free. Asked of PostgreSQL every
 * time: a connection opened again (PostgreSQL restarted, the network dropped) holds nothing, whatever
 * this process remembers. Taken only when not held, so the lock's count stays at one.
 */
const CLAIM = `select case when exists (
  select 1 from pg_locks where locktype = 'advisory' and granted and pid = pg_backend_pid()
    and objsubid = 2 and classid::bigint = ${NAMESPACE} and objid::bigint = (hashtext(?1)::bigint & 4294967295)
) then true else pg_try_advisory_lock(${NAMESPACE}, hashtext(?1)) end as got`;

/** Whether this process runs `job` now; false: another process holds it. */
export function claimJob(store: Pick<Store, "dialect" | "sql">, job: string): boolean {
  if (store.dialect === "sqlite") return true;
  return Boolean((store.sql.query(CLAIM).get(`moat.job:${job}`) as { got: boolean }).got);
}
