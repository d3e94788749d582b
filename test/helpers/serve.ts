/** Runs `moat serve` from source as a child process, and reads its database as a second process would. */
import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import type { Subprocess } from "bun";
import { CLI } from "./cli.ts";

export interface ServeProcess {
  proc: Subprocess;
  stderr: () => string;
}

export function startServe(args: string[], env: Record<string, string> = {}): ServeProcess {
  let err = "";
  const proc = Bun.spawn([process.execPath, CLI, "serve", "--port", "0", "-c", "/dev/null", ...args], {
    env: { ...process.env, MOAT_INGEST_START_AT: "beginning", ...env },
    stdout: "ignore",
    stderr: "pipe",
  });
  (async () => {
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) err += new TextDecoder().decode(chunk);
  })();
  return { proc, stderr: () => err };
}

export function dbCounts(path: string): { requests: number; trafficRows: number; threats: number } {
  if (!existsSync(path)) return { requests: 0, trafficRows: 0, threats: 0 };
  const db = new Database(path, { readonly: true });
  try {
    const counter = db.query<{ value: number }, []>("select value from counters where key = 'requests'").get();
    const traffic = db.query<{ n: number }, []>("select count(*) as n from traffic").get();
    const threats = db.query<{ n: number }, []>("select count(*) as n from threats").get();
    return { requests: counter?.value ?? 0, trafficRows: traffic?.n ?? 0, threats: threats?.n ?? 0 };
  } catch {
    return { requests: 0, trafficRows: 0, threats: 0 }; // not migrated yet
  } finally {
    db.close();
  }
}

export async function waitFor(what: string, condition: () => boolean, deadlineMs = 30_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}
