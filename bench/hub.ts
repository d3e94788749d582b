#!/usr/bin/env bun
/**
 * A hub and its agents (`moat hub`, `moat serve --hub`), on this machine.
 *
 *   bun run bench:hub <any access log> [--agents N] [--hubs H] [--seconds S] [--rate R] [--postgres]
 *
 * 1. Ingest into the hub: N simulated agents (default 4), each posting its outbox as an agent does
 *    (entries of judged requests, in order, one POST in flight per agent) for S seconds (default 20):
 *    lines/s stored at the hub, and the time each POST took (p50 / p99). Judging is the agents' work and
 *    is not in this figure: it is what the hub's store and sinks take. With --hubs H (PostgreSQL only:
 *    a SQLite file has one hub) H hubs share the database and the agents are dealt out among them, as a
 *    load balancer in front of several hubs would.
 * 2. End to end: two real agents each follow a log that gets R lines/s (default 1,000) for S seconds;
 *    a line's lag is the time from its write to the first poll (every 50 ms) of the hub's database that
 *    sees it stored: p50 / p99 / max.
 * The hub stores in SQLite, or with --postgres in PostgreSQL: a cluster of the bench's own (Debian's
 * package, as the tests start it: test/helpers/postgres.ts), stopped by its pid at the end. Prints a
 * Markdown table; progress on stderr.
 */
import type { Subprocess } from "bun";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { EXIT } from "../cli/exit-codes.ts";
import { AGENT_ROUTE_PREFIX } from "../src/core/agent-wire.ts";
import { toWireEntries } from "../src/agent/wire-entries.ts";
import { readRequests } from "../src/ingest/read.ts";
import { Rejections } from "../src/parse/rejections.ts";
import type { HttpRequest } from "../src/core/http-request.ts";
import type { Verdict } from "../src/detect/verdict.ts";
import { buildLog } from "./lib/build-log.ts";
import { describeMachine } from "./lib/machine.ts";
import { BenchError, runBench } from "./lib/run.ts";
import { intOption, parseBenchArgs } from "./lib/args.ts";
import { waitForHealth } from "./lib/health.ts";
import { processMemory } from "./lib/measure.ts";
import { markdownTable, thousands } from "./lib/table.ts";
import { percentile } from "./lib/percentile.ts";
import { freePort } from "../test/helpers/nginx.ts";
import { readDatabase } from "../test/helpers/db.ts";
import { postgres, PG_BIN, stopPostgres } from "../test/helpers/postgres.ts";

const ROOT = resolve(import.meta.dir, "..");
const CLI = join(ROOT, "cli/index.ts");
const log = (msg: string) => process.stderr.write(`bench:hub: ${msg}\n`);
const USAGE = "usage: bun run bench:hub <access log> [--agents N] [--hubs H] [--seconds S] [--rate R] [--postgres]";
/** Requests per simulated outbox entry: about what the tail stores per batch under load. */
const ENTRY_REQUESTS = 500;
const BENIGN: Verdict = { score: 0.01, isAnomaly: false, threshold: 0.99, attackType: null, severity: "none", reasons: [], modelVersion: "bench" };

/** Every moat process this bench started: stopped at the end whatever happened (by pid, never by name). */
const children: Subprocess[] = [];

async function stopChildren(): Promise<void> {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  await Promise.all(children.map((c) => c.exited));
}

function moat(args: string[], dir: string, env: Record<string, string> = {}) {
  const proc = Bun.spawn([process.execPath, CLI, ...args, "-c", "/dev/null", "--log-level", "warn"], {
    env: { ...process.env, MOAT_STORAGE_DATA_DIR: dir, MOAT_SECURITY_NGINX_CONF: "", MOAT_JOBS_AUTO_TRAIN_MIN_REQUESTS: "0", ...env },
    stdout: "ignore",
    stderr: "inherit",
  });
  children.push(proc);
  return proc;
}

function agentKey(hubDb: string, name: string): string {
  const r = Bun.spawnSync([process.execPath, CLI, "apikey", "create", name, "--scope", "agent", "--db", hubDb], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new BenchError(`moat apikey create failed: ${r.stderr.toString()}`, EXIT.software);
  return r.stdout.toString().trim();
}

/** A hub's database: a SQLite file in its directory, or a new database on the bench's PostgreSQL. */
type HubDatabase = (dir: string) => Promise<string>;

async function startHub(dir: string, db: string) {
  const port = await freePort();
  const proc = moat(["hub", "--port", String(port), "--db", db], dir);
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth("moat hub", url, proc);
  return { proc, url };
}

function hubCount(hubDb: string, sql: string): number {
  return readDatabase(hubDb, (db) => (db.query(sql).get() as { n: number }).n);
}

async function load(input: string, lines: number, dir: string): Promise<HttpRequest[]> {
  const built = join(dir, "requests.log");
  await buildLog(input, lines, built, log);
  const out: HttpRequest[] = [];
  for await (const batch of readRequests([built], { format: "auto" }, new Rejections())) out.push(...batch);
  return out;
}

/** N simulated agents posting entries back to back for `seconds`: lines/s stored, POST times. */
async function ingest(requests: HttpRequest[], agents: number, hubsWanted: number, seconds: number, dir: string, database: HubDatabase) {
  const hubDb = await database(join(dir, "ingest-hub"));
  const keys = Array.from({ length: agents }, (_, i) => agentKey(hubDb, `sim-${i + 1}`));
  const hubs: Awaited<ReturnType<typeof startHub>>[] = [];
  for (let h = 0; h < hubsWanted; h++) hubs.push(await startHub(join(dir, `ingest-hub-${h + 1}`), hubDb));
  // The entries every agent sends, serialized once (an agent's outbox holds them ready too).
  const entries: { requests: number; payload: string }[] = [];
  for (let i = 0; i + ENTRY_REQUESTS <= requests.length; i += ENTRY_REQUESTS) {
    const slice = requests.slice(i, i + ENTRY_REQUESTS);
    entries.push(...toWireEntries({ requests: slice, verdicts: slice.map(() => BENIGN), now: Date.now() }));
  }
  if (!entries.length) throw new BenchError(`the input gave ${requests.length} requests: fewer than one entry of ${ENTRY_REQUESTS}`, EXIT.dataError);
  const postMs: number[] = [];
  let sent = 0;
  const until = performance.now() + seconds * 1000;
  const t0 = performance.now();
  let elapsed: number;
  let stored: number;
  let rss: number;
  try {
    await Promise.all(
      keys.map(async (key, k) => {
        const hub = hubs[k % hubs.length]!;
        for (let seq = 1; performance.now() < until; seq++) {
          const entry = entries[(seq - 1) % entries.length]!;
          const started = performance.now();
          const response = await fetch(`${hub.url}${AGENT_ROUTE_PREFIX}batches`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: `{"entries":[{"instance":"bench-run-1","seq":${seq},${entry.payload.slice(1)}]}` });
          if (!response.ok) throw new BenchError(`the hub answered ${response.status}: ${await response.text()}`, EXIT.software);
          await response.body?.cancel();
          postMs.push(performance.now() - started);
          sent += entry.requests;
        }
      }),
    );
    elapsed = (performance.now() - t0) / 1000;
    stored = hubCount(hubDb, "select count(*) as n from traffic");
    rss = Math.max(...hubs.map((h) => processMemory(h.proc.pid).peak));
  } finally {
    for (const hub of hubs) {
      hub.proc.kill("SIGTERM");
      await hub.proc.exited;
    }
  }
  if (stored !== sent) throw new BenchError(`${sent} requests acknowledged, ${stored} stored`, EXIT.software);
  postMs.sort((a, b) => a - b);
  return { agents, hubs: hubsWanted, stored, elapsed, perEntry: stored / postMs.length, p50: percentile(postMs, 0.5), p99: percentile(postMs, 0.99), rss };
}

/** Two real agents following logs at `rate` lines/s each: each line's lag to the hub's database. */
async function endToEnd(input: string, rate: number, seconds: number, dir: string, database: HubDatabase) {
  const hubDir = join(dir, "e2e-hub");
  const hubDb = await database(hubDir);
  const names = ["agent-1", "agent-2"];
  const keys = names.map((n) => agentKey(hubDb, n));
  const hub = await startHub(hubDir, hubDb);
  const source = join(dir, "source.log");
  const total = rate * seconds;
  await buildLog(input, total, source, log);
  const lines = readFileSync(source, "utf8").split("\n").filter(Boolean);
  const agents = await Promise.all(
    names.map(async (name, i) => {
      const agentDir = join(dir, name);
      const logPath = join(agentDir, "access.log");
      Bun.spawnSync(["mkdir", "-p", agentDir]);
      writeFileSync(logPath, "");
      const port = await freePort();
      const proc = moat(["serve", "--log", logPath, "--port", String(port), "--hub", hub.url], agentDir, { MOAT_HUB_KEY: keys[i]!, MOAT_MIRROR_ENABLED: "false", MOAT_INGEST_START_AT: "beginning", MOAT_HUB_HEARTBEAT_SECONDS: "1" });
      await waitForHealth(`moat serve (${name})`, `http://127.0.0.1:${port}`, proc);
      return { proc, logPath };
    }),
  );
  const writtenAt: number[] = [];
  const storedAt: number[] = [];
  const poller = setInterval(() => {
    const n = hubCount(hubDb, "select count(*) as n from traffic");
    const now = performance.now();
    while (storedAt.length < n && storedAt.length < writtenAt.length) storedAt.push(now);
  }, 50);
  try {
    const t0 = performance.now();
    let written = 0;
    while (written < lines.length) {
      const due = Math.min(lines.length, Math.floor(((performance.now() - t0) / 1000) * rate));
      if (due > written) {
        // Each agent gets the same lines at the same moment: the hub receives 2 × rate lines/s.
        for (const a of agents) appendFileSync(a.logPath, lines.slice(written, due).join("\n") + "\n");
        const now = performance.now();
        for (let i = written; i < due; i++) writtenAt.push(now, now);
        written = due;
      }
      await Bun.sleep(10);
    }
    const deadline = performance.now() + 60_000;
    while (storedAt.length < writtenAt.length && performance.now() < deadline) await Bun.sleep(50);
  } finally {
    clearInterval(poller);
    for (const a of [...agents, hub]) {
      a.proc.kill("SIGTERM");
      await a.proc.exited;
    }
  }
  if (storedAt.length < writtenAt.length) throw new BenchError(`only ${storedAt.length} of ${writtenAt.length} lines at the hub 60 s after the last write`, EXIT.software);
  const lags = writtenAt.map((w, i) => storedAt[i]! - w).sort((a, b) => a - b);
  return { lines: writtenAt.length, rate, p50: percentile(lags, 0.5), p99: percentile(lags, 0.99), max: lags.at(-1)! };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseBenchArgs({ args: argv, allowPositionals: true, options: { agents: { type: "string" }, hubs: { type: "string" }, seconds: { type: "string" }, rate: { type: "string" }, postgres: { type: "boolean" } } }, USAGE);
  const input = positionals[0];
  if (!input) throw new BenchError(`no access log given\n${USAGE}`, EXIT.usage);
  if (!existsSync(input)) throw new BenchError(`${input}: no such file`, EXIT.noInput);
  const agents = intOption("--agents", values.agents, 4, USAGE, 64);
  const hubs = intOption("--hubs", values.hubs, 1, USAGE, 8);
  if (hubs > 1 && !values.postgres) throw new BenchError(`--hubs ${hubs}: several hubs share a PostgreSQL database (--postgres); a SQLite file has one hub`, EXIT.usage);
  const seconds = intOption("--seconds", values.seconds, 20, USAGE);
  const rate = intOption("--rate", values.rate, 1000, USAGE);
  if (values.postgres && !PG_BIN) throw new BenchError("--postgres: PostgreSQL is not installed (Debian's postgresql package; .ci/dev-setup installs it)", EXIT.unavailable);
  const database: HubDatabase = values.postgres ? async () => (await postgres({ durable: true })).database() : async (hubDir) => join(hubDir, "moat.db");
  const store = values.postgres ? "PostgreSQL (a cluster of the bench's own, with PostgreSQL's default durability)" : "SQLite";
  const dir = mkdtempSync(join(tmpdir(), "moat-bench-hub-"));
  try {
    log(`reading requests from ${input}`);
    const requests = await load(input, 20 * ENTRY_REQUESTS, dir);
    log(`ingest: ${agents} simulated agents into ${hubs} hub(s) for ${seconds} s`);
    const i = await ingest(requests, agents, hubs, seconds, dir, database);
    log(`end to end: 2 agents at ${rate} lines/s each for ${seconds} s`);
    const e = await endToEnd(input, rate, seconds, dir, database);
    console.log(describeMachine().join("\n"));
    console.log(`- input: ${input}; the hub stores in ${store}; hub, agents${values.postgres ? ", PostgreSQL" : ""} and load generator share this machine\n`);
    console.log(
      markdownTable(
        ["measure", "result", "goal (#16)"],
        [
          [`ingest into ${i.hubs === 1 ? "the hub" : `${i.hubs} hubs on one database`} from ${i.agents} simulated agents`, `${thousands(i.stored / i.elapsed)} lines/s (${thousands(i.stored)} lines in ${i.elapsed.toFixed(1)} s); POST of one outbox entry (${thousands(i.perEntry)} lines on average) p50 ${i.p50.toFixed(0)} ms, p99 ${i.p99.toFixed(0)} ms; ${i.hubs === 1 ? "hub" : "largest hub's"} peak RSS ${(i.rss / 2 ** 20).toFixed(0)} MB`, "≥ 50,000 lines/s"],
          [`end-to-end lag, 2 agents at ${thousands(e.rate)} lines/s each`, `p50 ${e.p50.toFixed(0)} ms, p99 ${e.p99.toFixed(0)} ms, max ${e.max.toFixed(0)} ms (${thousands(e.lines)} lines)`, "p99 ≤ 2 s"],
        ],
        ["left", "left", "left"],
      ),
    );
    return EXIT.ok;
  } finally {
    await stopChildren();
    await stopPostgres();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await runBench(main, log);
