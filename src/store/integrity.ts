/**
 * SQLite's own check of the database file: `quick_check` (the b-trees and their pages, O(size of the
 * file)) or `integrity_check` (also every index against its table; several times slower).
 *
 * The check runs on a worker thread with its own read-only connection: it reads the whole file, which
 * takes seconds for a database of a few GB, and on the service's thread that would hold up start-up,
 * the inline checks nginx waits for and the ingestion. In WAL mode a reader never blocks the writer,
 * so the service goes on while it runs. What it reports is bounded as well: at most `maxErrors`
 * problems (SQLite stops after that many), so a file full of garbage gives a short answer.
 */
import { statSync } from "node:fs";
import { workerModule } from "../core/worker-module.ts";

export type IntegrityPragma = "quick_check" | "integrity_check";

/** What the worker is asked (integrity-worker.ts). */
export interface IntegrityRequest {
  path: string;
  pragma: IntegrityPragma;
  maxErrors: number;
}

/** What the worker answers: the problems found (none: the file is sound), or why it could not check. */
export type IntegrityResponse = { problems: string[] } | { error: string };

export interface IntegrityReport {
  pragma: IntegrityPragma;
  /** What SQLite found, at most maxErrors lines; empty when the database is sound. */
  problems: string[];
  /** The database file's size when the check started. */
  bytes: number;
  ms: number;
  /** Epoch ms of the end of the check. */
  checkedAt: number;
}

export class IntegrityCheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IntegrityCheckError";
  }
}

export const DEFAULT_MAX_ERRORS = 100;

const WORKER = workerModule(import.meta.url, "src/store/integrity-worker.ts");

/**
 * Checks the database at `path`; resolves with the report, or rejects with IntegrityCheckError when
 * the check could not run (no such file, no permission), which says nothing about the file's state.
 */
export function checkIntegrity(path: string, options: { pragma?: IntegrityPragma; maxErrors?: number; signal?: AbortSignal } = {}): Promise<IntegrityReport> {
  const request: IntegrityRequest = { path, pragma: options.pragma ?? "quick_check", maxErrors: options.maxErrors ?? DEFAULT_MAX_ERRORS };
  const bytes = statSync(path, { throwIfNoEntry: false })?.size ?? 0;
  const started = performance.now();
  const worker = new Worker(WORKER);
  return new Promise<IntegrityReport>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<IntegrityResponse>) => {
      const answer = event.data;
      if ("error" in answer) reject(new IntegrityCheckError(`cannot check ${path}: ${answer.error}`));
      else resolve({ pragma: request.pragma, problems: answer.problems, bytes, ms: Math.round(performance.now() - started), checkedAt: Date.now() });
    };
    worker.onerror = (event) => reject(new IntegrityCheckError(`the integrity check of ${path} failed: ${event.message}`));
    // A stop, or a check that never answers (a wedged disk): the worker is ended, not left running.
    const signal = options.signal;
    if (signal?.aborted) return reject(new IntegrityCheckError(`the integrity check of ${path} was stopped: ${String(signal.reason)}`));
    signal?.addEventListener("abort", () => reject(new IntegrityCheckError(`the integrity check of ${path} was stopped: ${String(signal.reason)}`)), { once: true });
    worker.postMessage(request);
  }).finally(() => worker.terminate());
}
