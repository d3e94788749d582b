/**
 * PostgreSQL with bun:sqlite's synchronous interface, so that the store's code (drizzle's SQLite
 * query builders, the writer's prepared inserts, the services) runs unchanged on either database.
 *
 * The connection lives on a worker thread (worker.ts); a statement is posted to it and this thread
 * waits on a shared flag for the answer, as it waits on the disk for SQLite. A round trip to a local
 * PostgreSQL costs about 0.1 ms. The SQL drizzle writes for SQLite is PostgreSQL's too for what Moat
 * does (quoted identifiers, INSERT .. ON CONFLICT .. DO UPDATE, RETURNING, LIMIT/OFFSET); what
 * differs is translated here: `?` placeholders become `$n`, SQLite's `instr(a, b)` PostgreSQL's
 * `strpos(a, b)` and `json_group_array(x)` its `json_agg(x)::text`, a conflict target's columns lose
 * their table's name, booleans are bound as 1 and 0
 * (Moat's tables keep SQLite's integer columns on both).
 */
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import { workerModule } from "../../core/worker-module.ts";
import type { SqlClient, SqlParam, SqlStatement } from "../sql-client.ts";
import type { PgAnswer, PgRequest, PgWorkerData } from "./protocol.ts";

const WORKER = workerModule(import.meta.url, "src/store/pg/worker.ts");

export class PgError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = "PgError";
  }
}

type Transaction<A extends unknown[], T> = ((...args: A) => T) & { deferred(...args: A): T; immediate(...args: A): T; exclusive(...args: A): T };

/** Seconds one statement may run: PostgreSQL cancels it past that. */
const STATEMENT_TIMEOUT_SECONDS = 300;
/** Longer than the statement timeout, which answers first: this one is for a worker that died or hangs. */
const WAIT_MS = (STATEMENT_TIMEOUT_SECONDS + 30) * 1000;
/**
 * How long an answer may take to reach this thread's port after its flag is up. The worker posts, then
 * raises the flag, but the message travels apart from the flag: on a loaded machine it was seen to
 * arrive after the wake-up (the statement then failed for "no answer", and its late answer was taken
 * for the next statement's, and so on, every answer one statement off).
 */
const ANSWER_TRANSIT_MS = 10_000;

/** `?` placeholders as `$1, $2, ...` (and `?3` as `$3`), outside string literals, quoted names and comments. */
export function numberPlaceholders(sql: string): string {
  let out = "";
  let n = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end < 0 ? sql.length : end;
      out += sql.slice(i, stop + 1);
      i = stop;
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      const stop = end < 0 ? sql.length - 1 : end;
      out += sql.slice(i, stop + 1);
      i = stop;
    } else if (c === "?") {
      // `?3` (SQLite's numbered form) is `$3`; a bare `?` the next number.
      const digits = /^\d+/.exec(sql.slice(i + 1, i + 6))?.[0];
      if (digits) {
        out += `$${digits}`;
        i += digits.length;
      } else out += `$${++n}`;
    } else out += c;
  }
  return out;
}

/** SQLite's functions that PostgreSQL spells differently (outside literals: names never hold these). */
const FUNCTIONS: [RegExp, string][] = [
  [/\binstr\(/gi, "strpos("],
  // SQLite's JSON array of a group is text; so is PostgreSQL's, cast.
  [/\bjson_group_array\(([^()]*)\)/gi, "json_agg($1)::text"],
];
/** drizzle's SQLite dialect names a conflict target's columns with their table, which PostgreSQL refuses. */
const CONFLICT_TARGET = /\bon conflict \(([^)]*)\)/gi;

export function toPostgres(sql: string): string {
  let text = numberPlaceholders(sql);
  for (const [from, to] of FUNCTIONS) text = text.replace(from, to);
  return text.replace(CONFLICT_TARGET, (_, columns: string) => `on conflict (${columns.replace(/"[^"]+"\."([^"]+)"/g, '"$1"')})`);
}

function bind(params: readonly unknown[]): unknown[] {
  return params.map((p) => (p === true ? 1 : p === false ? 0 : p === undefined ? null : p));
}

/** Stand-ins for tests: the module that holds the connection, and how long an answer may be in transit. */
export interface PgSyncClientOptions {
  worker?: string;
  answerTransitMs?: number;
}

export class PgSyncClient implements SqlClient {
  private worker!: Worker;
  private port!: MessagePort;
  private flag!: Int32Array;
  /** Never raised: waited on for a millisecond at a time while an answer is in transit. */
  private readonly pause = new Int32Array(new SharedArrayBuffer(4));
  private readonly translated = new Map<string, string>();
  private readonly workerModule: string;
  private readonly answerTransitMs: number;
  private closed = false;
  private depth = 0;

  constructor(
    private readonly url: string,
    options: PgSyncClientOptions = {},
  ) {
    this.workerModule = options.worker ?? WORKER;
    this.answerTransitMs = options.answerTransitMs ?? ANSWER_TRANSIT_MS;
    this.startWorker();
  }

  /** A thread with a connection of its own, and a channel and flag of their own: nothing of an earlier one can reach this one. */
  private startWorker(): void {
    const { port1, port2 } = new MessageChannel();
    this.port = port1 as unknown as MessagePort;
    this.flag = new Int32Array(new SharedArrayBuffer(4));
    const data: PgWorkerData = { url: this.url, port: port2 as unknown as MessagePort, flag: this.flag, statementTimeoutSeconds: STATEMENT_TIMEOUT_SECONDS };
    const module = this.workerModule;
    this.worker = new Worker(module.startsWith("file:") ? new URL(module) : module, { workerData: data, transferList: [port2 as never] });
    this.worker.unref();
  }

  /**
   * After a statement whose answer never came: its answer may still come, and would be taken for the
   * next statement's, so the thread and its connection are replaced (PostgreSQL rolls back what the
   * old connection had open, and releases its locks). The next statement runs on the new one.
   */
  private replaceWorker(): void {
    void this.worker.terminate();
    this.port.close();
    this.startWorker();
  }

  /** Runs one statement and returns its rows as arrays, with the column names. */
  execute(sql: string, params: readonly unknown[] = []): { columns: string[]; rows: unknown[][]; count: number } {
    if (this.closed) throw new PgError("the PostgreSQL client is closed", "closed");
    let text = this.translated.get(sql);
    if (text === undefined) {
      text = toPostgres(sql);
      if (this.translated.size < 10_000) this.translated.set(sql, text);
    }
    Atomics.store(this.flag, 0, 0);
    const request: PgRequest = { sql: text, params: bind(params) };
    this.port.postMessage(request);
    if (Atomics.wait(this.flag, 0, 0, WAIT_MS) === "timed-out") {
      this.replaceWorker();
      throw new PgError(`PostgreSQL's thread did not answer within ${WAIT_MS / 1000} s; its connection is replaced`, "timeout");
    }
    const answer = this.receive();
    if (!answer) {
      this.replaceWorker();
      throw new PgError(`PostgreSQL's thread raised its flag, but no answer reached this thread within ${this.answerTransitMs / 1000} s; its connection is replaced`, "no-answer");
    }
    // The statement, not its values (which may hold what a request carried), says where it failed.
    if (!answer.ok) throw new PgError(`${answer.message} (in: ${text.length > 300 ? `${text.slice(0, 300)}…` : text})`, answer.code);
    return answer;
  }

  /** The answer posted before the flag went up, waited for while it is in transit (ANSWER_TRANSIT_MS). */
  private receive(): PgAnswer | undefined {
    const deadline = performance.now() + this.answerTransitMs;
    for (;;) {
      const received = receiveMessageOnPort(this.port as never);
      if (received) return received.message as PgAnswer;
      if (performance.now() > deadline) return undefined;
      Atomics.wait(this.pause, 0, 0, 1);
    }
  }

  prepare(sql: string): SqlStatement {
    const objects = (params: SqlParam[]) => {
      const { columns, rows } = this.execute(sql, params);
      return rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]])));
    };
    return {
      // drizzle reads only `changes` of a run; SQLite's lastInsertRowid has no equivalent without RETURNING.
      run: (...params) => ({ changes: this.execute(sql, params).count }),
      all: (...params) => objects(params),
      get: (...params) => objects(params)[0] ?? null,
      values: (...params) => this.execute(sql, params).rows,
    };
  }

  query(sql: string): SqlStatement {
    return this.prepare(sql);
  }

  run(sql: string, params: SqlParam[]): { changes: number } {
    return { changes: this.execute(sql, params).count };
  }

  exec(sql: string): void {
    this.execute(sql);
  }

  /** bun:sqlite's transaction(): a function that runs `fn` between BEGIN and COMMIT (ROLLBACK when it throws); nested, a savepoint. */
  transaction<A extends unknown[], T>(fn: (...args: A) => T): Transaction<A, T> {
    const run = (...args: A): T => {
      const savepoint = this.depth > 0 ? `moat_sp${this.depth}` : null;
      this.exec(savepoint ? `savepoint ${savepoint}` : "begin");
      this.depth++;
      try {
        const result = fn(...args);
        this.depth--;
        this.exec(savepoint ? `release savepoint ${savepoint}` : "commit");
        return result;
      } catch (e) {
        this.depth--;
        try {
          this.exec(savepoint ? `rollback to savepoint ${savepoint}` : "rollback");
        } catch {
          // The connection is gone: PostgreSQL rolls the transaction back itself.
        }
        throw e;
      }
    };
    return Object.assign(run, { deferred: run, immediate: run, exclusive: run });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.worker.terminate();
  }
}
