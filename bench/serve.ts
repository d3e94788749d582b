#!/usr/bin/env bun
/**
 * `moat serve` end to end: parse, detect, store, bus.
 *
 *   bun run bench:serve <any access log> [--lines N] [--rate R] [--seconds S]
 *
 * 1. Sustained throughput: builds a combined log of N lines (default 500,000) from the input, starts
 *    `moat serve` on it from the beginning and times until every line is stored: lines/s, peak RSS
 *    (VmHWM of the process) and database bytes per million lines.
 * 2. Lag at a fixed rate: starts `moat serve` on an empty log and appends R lines/s (default 5,000)
 *    for S seconds (default 20); the database is polled every 20 ms, and a line's lag is the time from
 *    its write to the first poll that sees it stored: p50 / p99 / max.
 * Prints a Markdown table; progress on stderr.
 */
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { EXIT } from "../cli/exit-codes.ts";
import { buildLog } from "./lib/build-log.ts";
import { describeMachine } from "./lib/machine.ts";
import { BenchError, runBench } from "./lib/run.ts";
import { intOption, parseBenchArgs } from "./lib/args.ts";
import { waitForHealth } from "./lib/health.ts";
import { processMemory } from "./lib/measure.ts";
import { markdownTable, thousands } from "./lib/table.ts";
import { percentile } from "./lib/percentile.ts";
import { dbBytes } from "../src/store/stats.ts";
import { dbCounts } from "../test/helpers/db.ts";
import { freePort } from "../test/helpers/nginx.ts";

const ROOT = resolve(import.meta.dir, "..");
const log = (msg: string) => process.stderr.write(`bench:serve: ${msg}\n`);
const USAGE = "usage: bun run bench:serve <access log> [--lines N] [--rate R] [--seconds S]";

const peakRss = (pid: number) => processMemory(pid).peak || 0; // 0, not NaN, for Math.max

function serve(logPath: string, db: string, port = 0) {
  return Bun.spawn([process.execPath, ...(process.env.MOAT_BENCH_SMOL ? ["--smol"] : []), join(ROOT, "cli/index.ts"), "serve", "--log", logPath, "--db", db, "--port", String(port), "-c", "/dev/null", "--log-level", "warn"], {
    env: { ...process.env, MOAT_INGEST_START_AT: "beginning", MOAT_JOBS_AUTO_TRAIN_MIN_REQUESTS: "0", MOAT_STORAGE_DATA_DIR: dirname(db) },
    stdout: "ignore",
    stderr: "inherit",
  });
}

async function sustained(input: string, lines: number, dir: string) {
  const logPath = join(dir, "sustained.log");
  const built = await buildLog(input, lines, logPath, log);
  const db = join(dir, "sustained.db");
  const proc = serve(logPath, db);
  const started = performance.now();
  let rss = 0;
  let lastReport = 0;
  for (;;) {
    const n = dbCounts(db).requests;
    rss = Math.max(rss, peakRss(proc.pid));
    if (n >= built.lines) break;
    if (proc.exitCode !== null) throw new BenchError(`moat serve exited with ${proc.exitCode}`, EXIT.software);
    if (performance.now() - lastReport > 2000) {
      log(`sustained: ${thousands(n)} / ${thousands(built.lines)} stored`);
      lastReport = performance.now();
    }
    await Bun.sleep(50);
  }
  const seconds = (performance.now() - started) / 1000;
  proc.kill("SIGTERM");
  await proc.exited;
  return { lines: built.lines, seconds, rss, dbBytesPerMillion: (dbBytes({ path: db }) / built.lines) * 1e6 };
}

async function lag(input: string, rate: number, seconds: number, dir: string) {
  // Lines to append come from the input, rewritten as combined lines.
  const source = join(dir, "source.log");
  await buildLog(input, Math.min(rate * seconds, 2_000_000), source, log);
  const all = readFileSync(source, "utf8").split("\n").filter(Boolean);
  const logPath = join(dir, "lag.log");
  writeFileSync(logPath, "");
  const db = join(dir, "lag.db");
  const port = await freePort();
  const proc = serve(logPath, db, port);
  await waitForHealth("moat serve", `http://127.0.0.1:${port}`, proc); // start-up (model loading) is not lag
  const writtenAt: number[] = [];
  const storedAt: number[] = [];
  let written = 0;
  const t0 = performance.now();
  const total = Math.min(all.length, rate * seconds);
  const poller = setInterval(() => {
    const n = dbCounts(db).requests;
    const now = performance.now();
    while (storedAt.length < n && storedAt.length < writtenAt.length) storedAt.push(now);
  }, 20);
  while (written < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
    if (due > written) {
      appendFileSync(logPath, all.slice(written, due).join("\n") + "\n");
      const now = performance.now();
      for (let i = written; i < due; i++) writtenAt.push(now);
      written = due;
    }
    await Bun.sleep(10);
  }
  const deadline = performance.now() + 30_000;
  while (storedAt.length < total && performance.now() < deadline) await Bun.sleep(50);
  clearInterval(poller);
  const rss = peakRss(proc.pid);
  proc.kill("SIGTERM");
  await proc.exited;
  if (storedAt.length < total) throw new BenchError(`only ${storedAt.length} of ${total} lines stored 30 s after the last write`, EXIT.software);
  const lags = writtenAt.map((w, i) => storedAt[i]! - w).sort((a, b) => a - b);
  return { lines: total, rate, p50: percentile(lags, 0.5), p99: percentile(lags, 0.99), max: lags[lags.length - 1]!, rss };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseBenchArgs({ args: argv, allowPositionals: true, options: { lines: { type: "string" }, rate: { type: "string" }, seconds: { type: "string" } } }, USAGE);
  const input = positionals[0];
  if (!input) throw new BenchError(`no access log given\n${USAGE}`, EXIT.usage);
  const lines = intOption("--lines", values.lines, 500_000, USAGE);
  const rate = intOption("--rate", values.rate, 5000, USAGE);
  const seconds = intOption("--seconds", values.seconds, 20, USAGE);
  if (!existsSync(input)) throw new BenchError(`${input}: no such file`, EXIT.noInput);
  const dir = mkdtempSync(join(tmpdir(), "moat-bench-serve-"));
  try {
    const s = await sustained(input, lines, dir);
    const l = await lag(input, rate, seconds, dir);
    console.log(describeMachine().join("\n"));
    console.log(`- input: ${input}; generic model only (no site model), default configuration\n`);
    console.log(
      markdownTable(
        ["measure", "result", "goal"],
        [
          ["sustained ingestion (parse, detect, store, bus)", `${thousands(s.lines / s.seconds)} lines/s (${thousands(s.lines)} lines in ${s.seconds.toFixed(1)} s)`, "≥ 20,000 lines/s"],
          [`end-to-end lag at ${thousands(l.rate)} lines/s`, `p50 ${l.p50.toFixed(0)} ms, p99 ${l.p99.toFixed(0)} ms, max ${l.max.toFixed(0)} ms (${thousands(l.lines)} lines)`, "p99 ≤ 1 s"],
          ["database bytes per million lines", `${(s.dbBytesPerMillion / 2 ** 20).toFixed(0)} MB`, ""],
          ["peak RSS of moat serve", `${(s.rss / 2 ** 20).toFixed(0)} MB sustained, ${(l.rss / 2 ** 20).toFixed(0)} MB at fixed rate`, "≤ 300 MB"],
        ],
        ["left", "right", "left"],
      ),
    );
    return EXIT.ok;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await runBench(main, log);
