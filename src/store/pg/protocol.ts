/**
 * What the PostgreSQL client's two threads say to each other (sync-client.ts on the caller's thread,
 * worker.ts holding the connection). One request at a time: the caller waits on `flag` for the answer.
 */
export interface PgRequest {
  sql: string;
  params: unknown[];
}

export type PgAnswer =
  | { ok: true; columns: string[]; rows: unknown[][]; count: number }
  | { ok: false; message: string; code: string };

/** The worker's start-up data. */
export interface PgWorkerData {
  url: string;
  port: MessagePort;
  /** Int32 over a SharedArrayBuffer: [0] turns 1 when an answer is posted. */
  flag: Int32Array;
  /** Seconds one statement may run before PostgreSQL cancels it. */
  statementTimeoutSeconds: number;
}
