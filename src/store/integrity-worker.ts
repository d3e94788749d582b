/**
 * The integrity check's thread (see integrity.ts): it opens its own read-only connection, runs the
 * check and posts what SQLite found. A database that cannot even be opened or read is a finding too.
 */
import { Database } from "bun:sqlite";
import type { IntegrityRequest, IntegrityResponse } from "./integrity.ts";

declare const self: Worker;

/** SQLITE_CORRUPT, SQLITE_NOTADB: SQLite could not walk the file, which is itself the finding. */
function isCorruption(e: unknown): boolean {
  return /^SQLITE_(CORRUPT|NOTADB)/.test((e as { code?: string }).code ?? "");
}

function problemsFrom(rows: [string][]): string[] {
  // One row may hold several problems, one a line, under a "*** in database main ***" heading.
  return rows.flatMap(([message]) => message.split("\n")).filter((line) => line !== "ok" && !line.startsWith("*** in database"));
}

/**
 * Runs the pragma. On a badly damaged file SQLite may list some problems and then fail outright
 * (SQLITE_CORRUPT) when it goes on into a page it cannot read; asked for fewer problems it stops
 * before that page. So a failure is retried with half the limit, and the problems listed before the
 * failure are kept, followed by the failure itself.
 */
function run(db: Database, pragma: IntegrityRequest["pragma"], maxErrors: number): string[] {
  let failure: Error | null = null;
  for (let limit = maxErrors; limit >= 1; limit = Math.floor(limit / 2)) {
    try {
      const problems = problemsFrom(db.query(`PRAGMA ${pragma}(${limit})`).values() as [string][]);
      return failure ? [...problems, `${failure.message} (SQLite stopped checking there)`] : problems;
    } catch (e) {
      if (!isCorruption(e)) throw e;
      failure = e as Error;
    }
  }
  return [failure!.message];
}

function check({ path, pragma, maxErrors }: IntegrityRequest): IntegrityResponse {
  let db: Database | null = null;
  try {
    db = new Database(path, { readonly: true });
    db.exec("PRAGMA busy_timeout = 5000"); // the service's writer may hold a lock for a moment
    return { problems: run(db, pragma, maxErrors) };
  } catch (e) {
    // Anything else (a missing file, no permission, a lock held too long) says nothing about the database's state.
    return isCorruption(e) ? { problems: [(e as Error).message] } : { error: (e as Error).message };
  } finally {
    db?.close();
  }
}

self.onmessage = (event: MessageEvent<IntegrityRequest>) => postMessage(check(event.data));
