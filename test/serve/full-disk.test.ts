/**
 * A full disk while following a log: SQLite refuses the batch ("database or disk is full"), nothing of
 * it is stored and the tail position does not move, so once there is room again every line is stored,
 * exactly once. SQLite's max_page_count gives the same error as a full file system, without one; the
 * second test fills a real (tmpfs) file system under `moat serve`, where this machine may mount one.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createApi } from "../../src/api/app.ts";
import { followLogs, makeApiServices } from "../helpers/api.ts";
import { serveDetail, startServe, waitFor, waitForListening } from "../helpers/serve.ts";
import { dbCounts } from "../helpers/db.ts";
import { tempDir } from "../helpers/tmp.ts";

const closers: (() => Promise<void> | void)[] = [];

function logLines(total: number): string {
  let body = "";
  for (let i = 0; i < total; i++) body += `198.51.100.${i % 250} - - [24/Nov/2026:12:00:00 +0000] "GET /items?id=${i} HTTP/1.1" 200 12 "-" "client/${i}"\n`;
  return body;
}

/** A tmpfs of `mb` at a new directory, or null where this machine cannot mount one (not root, no CAP_SYS_ADMIN, no mount command). */
function smallFileSystem(mb: number): string | null {
  const dir = join(tempDir("moat-fs-"), "mnt");
  mkdirSync(dir);
  try {
    if (Bun.spawnSync(["mount", "-t", "tmpfs", "-o", `size=${mb}m`, "tmpfs", dir], { stderr: "pipe" }).exitCode !== 0) return null;
  } catch {
    return null; // no mount command
  }
  closers.push(() => void Bun.spawnSync(["umount", "-l", dir]));
  return dir;
}
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

test("a full database stops ingestion without losing or doubling a line; it resumes when there is room", async () => {
  const s = await makeApiServices();
  const sqlite = s.ctx.store.sqlite!;
  const stored = () => sqlite.query<{ n: number }, []>("select count(*) as n from traffic").get()!.n;
  const pages = () => sqlite.query<{ page_count: number }, []>("pragma page_count").get()!.page_count;
  // Room for a few thousand rows, not for the whole log.
  sqlite.exec(`PRAGMA max_page_count = ${pages() + 600}`);
  const total = 20_000;
  const log = join(tempDir("moat-full-"), "access.log");
  writeFileSync(log, logLines(total));
  // Each attempt at a batch judges it first, from its first line: that shows the retries.
  const judgedFrom: number[] = [];
  const judge = s.judge;
  s.judge = (requests) => (judgedFrom.push(requests[0]?.origin.line ?? 0), judge(requests));
  const ingest = followLogs(s, [log]);
  closers.push(() => ingest.close());

  // The first batches fit; then a batch is refused and the source shows it.
  await waitFor("a refused batch", () => stored() > 0 && s.sources()[0]?.alive === false, 30_000, () => JSON.stringify({ stored: stored(), sources: s.sources() }));
  const atFull = stored();
  expect(atFull).toBeLessThan(total);
  // The dashboard's log sources say why (an activity cannot be stored either: the database is full),
  // and Prometheus can alert on it.
  expect(s.sources()[0]!.problem).toContain("database or disk is full");
  const app = createApi(s);
  const sourceUp = async () => (await (await app.handle(new Request("http://localhost/metrics"))).text()).split("\n").find((l) => l.startsWith("moat_log_source_up{"));
  expect(await sourceUp()).toBe(`moat_log_source_up{path="${log}"} 0`);
  // Two retries of the refused batch later: still refused, nothing half-written.
  await waitFor("two retries", () => judgedFrom.filter((line) => line === atFull + 1).length >= 3, 30_000, () => JSON.stringify({ atFull, judgedFrom: judgedFrom.slice(-20) }));
  expect(stored()).toBe(atFull);

  sqlite.exec("PRAGMA max_page_count = 1073741823");
  await waitFor("every line", () => stored() === total, 60_000, () => JSON.stringify({ stored: stored(), sources: s.sources() }));
  await Bun.sleep(1000); // a second delivery of a batch would show now
  expect(sqlite.query<{ n: number; distinct_agents: number }, []>("select count(*) as n, count(distinct user_agent) as distinct_agents from traffic").get()).toEqual({ n: total, distinct_agents: total });
  expect(sqlite.query<{ value: number }, []>("select value from counters where key = 'requests'").get()?.value).toBe(total);
  expect(s.sources()[0]).toMatchObject({ alive: true, lines: total, problem: null });
  expect(await sourceUp()).toBe(`moat_log_source_up{path="${log}"} 1`);
}, 120_000);

const fs = smallFileSystem(3);
if (!fs) console.warn("skipping the real full-disk test: this machine cannot mount a tmpfs (needs root with CAP_SYS_ADMIN)");
(fs ? test : test.skip)("moat serve on a file system that fills up: no crash, the reason shown, a clean stop, and every line stored once there is room", async () => {
  const mnt = fs!;
  const total = 30_000;
  const log = join(tempDir("moat-full-"), "access.log");
  writeFileSync(log, logLines(total));
  const db = join(mnt, "moat.db");
  // The security checks store their results every second here: a job that fails on the full disk, whose
  // failure cannot be stored as an activity either.
  const first = startServe(["--log", log, "--db", db], { MOAT_JOBS_SECURITY_CHECKS_CRON: "* * * * * *" });
  const base = await waitForListening(first);
  const source = async () => ((await (await fetch(`${base}/api/sources`)).json()) as { data: { alive: boolean; problem: string | null; lines: number }[] }).data[0];
  const counts = () => dbCounts(db);
  await waitFor("the disk full", async () => (await source())?.problem?.includes("database or disk is full") ?? false, 60_000, serveDetail(first, counts));
  await waitFor("a job failing on the full disk", () => first.stderr().includes('msg="job failed" job=security-checks'), 30_000, serveDetail(first, counts));
  // The failure's activity is written (and refused) right after: its line may come in the pipe's next chunk.
  await waitFor("the failure's activity refused", () => first.stderr().includes('msg="cannot store an activity" type=job.failed'), 10_000, serveDetail(first, counts));
  const atFull = dbCounts(db).requests;
  expect(atFull).toBeLessThan(total);
  // A stop while the disk is still full ends cleanly; what could not be stored is still in the log.
  first.proc.kill("SIGTERM");
  expect(await first.proc.exited).toBe(0);
  expect(first.stderr()).toContain("msg=stopped");
  // Problems were reported as log lines, never as an uncaught exception.
  expect(first.stderr()).not.toContain("SQLiteError");

  // Room again: the next start stores every line, once.
  expect(Bun.spawnSync(["mount", "-o", "remount,size=128m", mnt]).exitCode).toBe(0);
  const second = startServe(["--log", log, "--db", db]);
  await waitFor(`${total} stored requests`, () => dbCounts(db).requests === total, 60_000, serveDetail(second, counts));
  await Bun.sleep(1000);
  expect(dbCounts(db)).toMatchObject({ requests: total, trafficRows: total });
  second.proc.kill("SIGTERM");
  expect(await second.proc.exited).toBe(0);
}, 180_000);
