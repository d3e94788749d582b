/**
 * The thread that holds the PostgreSQL connection (Bun's built-in client, which is asynchronous) for
 * the synchronous client in sync-client.ts. It runs one statement at a time, turns PostgreSQL's
 * numbers into the numbers SQLite gives (int8 and numeric as JS numbers: counts, sums, ids and
 * epoch milliseconds all fit), posts the answer and wakes the caller.
 */
import { SQL } from "bun";
import { workerData } from "node:worker_threads";
import type { PgAnswer, PgRequest, PgWorkerData } from "./protocol.ts";

const { url, port, flag, statementTimeoutSeconds } = workerData as PgWorkerData;
let configured = false;
/** One connection: statements run in order, and a transaction is the connection's. A new one (after a drop) is set up again. */
const client = new SQL(url, { max: 1, bigint: true, connectionTimeout: 10, onconnect: () => void (configured = false) });

const INT8 = 20;
const NUMERIC = 1700;

function answer(a: PgAnswer): void {
  port.postMessage(a);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

function toNumber(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "string") return Number(v);
  return v;
}

async function run({ sql, params }: PgRequest): Promise<PgAnswer> {
  if (!configured) {
    await client.unsafe(`set statement_timeout = ${Math.max(1, Math.trunc(statementTimeoutSeconds)) * 1000}`);
    // Which process a connection is (pg_stat_activity): several hubs share the database.
    await client.unsafe(`set application_name = 'moat ${process.pid}'`);
    configured = true;
  }
  const result = (await client.unsafe(sql, params).values()) as unknown[][] & { columns?: { name: string; type: number }[]; count?: number | null };
  const columns = result.columns ?? [];
  const numeric = columns.flatMap((c, i) => (c.type === INT8 || c.type === NUMERIC ? [i] : []));
  const rows = [...result].map((row) => {
    for (const i of numeric) if (row[i] !== null) row[i] = toNumber(row[i]);
    return row;
  });
  return { ok: true, columns: columns.map((c) => c.name), rows, count: Number(result.count ?? rows.length) };
}

port.on("message", (request: PgRequest) => {
  run(request).then(answer, (e: unknown) => {
    const err = e as { message?: string; errno?: string; code?: string };
    // A lost connection is opened again by the next statement; the statement that met it fails.
    answer({ ok: false, message: String(err?.message ?? e), code: String(err?.errno ?? err?.code ?? "") });
  });
});
