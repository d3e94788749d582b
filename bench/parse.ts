#!/usr/bin/env bun
/**
 * Parse-speed benchmark: Moat against goaccess on the same nginx `combined` log.
 *
 *   bun run bench:parse <access log> [--lines N] [--out-dir DIR] [--runs R] [--keep]
 *
 * 1. Builds a combined log of N lines (default 1,000,000) from any log Moat reads (gzip, combined,
 *    JSON, ...): the input is read with Moat's own reader and each request written back as a combined
 *    line, the input repeated until N lines are out, each repetition shifted forward in time.
 * 2. Measures, each as a child process so that peak RSS is its own:
 *    - Moat's line splitter alone (`readInputLines`), for scale;
 *    - Moat's `readRequests` (format combined) counting requests: parse time inside the process;
 *    - the CLI end to end, `bun cli/index.ts scan <file> --json`: wall time;
 *    - goaccess, when installed, writing a JSON report: wall time. Its own counts are checked.
 * 3. Prints the machine, versions and a Markdown table on stdout; progress goes to stderr.
 *
 * Exit codes: 2 bad arguments, 65 the input holds no request Moat can read, 66 the input is missing,
 * 70 a measured tool failed or miscounted.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { InputError, readInputLines, resolveInputs } from "../src/ingest/batch.ts";
import { readRequests } from "../src/ingest/read.ts";
import { Rejections } from "../src/parse/rejections.ts";
import { BenchError, runBench } from "./lib/run.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { markdownTable, thousands } from "./lib/table.ts";
import { describeMachine } from "./lib/machine.ts";
import { measureCommand, median, selfPeakRssBytes, type Measurement } from "./lib/measure.ts";
import { intOption, parseBenchArgs } from "./lib/args.ts";
import { buildLog } from "./lib/build-log.ts";

const ROOT = resolve(import.meta.dir, "..");
const SELF = import.meta.path;
const DEFAULT_LINES = 1_000_000;

const log = (msg: string) => process.stderr.write(`bench:parse: ${msg}\n`);
const mb = (bytes: number | null) => (bytes === null ? "?" : (bytes / 2 ** 20).toFixed(0));

// ---------------------------------------------------------------------------------------------
// Worker mode: `bun bench/parse.ts --worker split|parse <file>` prints one JSON line.

interface WorkerResult {
  lines: number;
  requests: number;
  rejected: number;
  /** Seconds spent reading and parsing, without process start-up. */
  seconds: number;
  peakRssBytes: number;
}

async function worker(mode: string, file: string): Promise<WorkerResult> {
  const started = performance.now();
  let lines = 0;
  let requests = 0;
  let rejected = 0;
  if (mode === "split") {
    for (const input of resolveInputs([file])) {
      for await (const batch of readInputLines(input)) lines += batch.length;
    }
    requests = lines;
  } else if (mode === "parse") {
    const rejections = new Rejections();
    for await (const batch of readRequests([file], { format: "combined" }, rejections)) requests += batch.length;
    rejected = rejections.total;
    lines = requests + rejected;
  } else {
    throw new BenchError(`unknown worker mode ${mode}`, EXIT.usage);
  }
  const seconds = (performance.now() - started) / 1000;
  return { lines, requests, rejected, seconds, peakRssBytes: selfPeakRssBytes() };
}

// ---------------------------------------------------------------------------------------------
// Measuring.

interface Row {
  tool: string;
  lines: number;
  failed: number | string;
  seconds: number;
  cpuSeconds: number | null;
  peakRssBytes: number | null;
  note: string;
}

interface Runs {
  seconds: number[];
  cpu: number[];
  rss: number[];
  lines: number;
  failed: number | string;
}

function newRuns(): Runs {
  return { seconds: [], cpu: [], rss: [], lines: 0, failed: 0 };
}

function fail(what: string, m: Measurement): never {
  throw new BenchError(`${what} exited with ${m.exitCode}:\n${m.stderr.trim().slice(-2000)}`, EXIT.software);
}

async function runWorker(mode: "split" | "parse", file: string, expected: number, runs: Runs): Promise<void> {
  const m = await measureCommand([process.execPath, SELF, "--worker", mode, file], { cwd: ROOT });
  if (m.exitCode !== 0) fail(`worker ${mode}`, m);
  const r = JSON.parse(m.stdout.trim().split("\n").pop()!) as WorkerResult;
  if (r.lines !== expected) throw new BenchError(`worker ${mode} saw ${r.lines} lines, expected ${expected}`, EXIT.software);
  if (mode === "parse" && r.rejected) log(`warning: Moat rejected ${r.rejected} generated lines`);
  runs.seconds.push(r.seconds);
  runs.cpu.push(m.cpuSeconds ?? NaN);
  runs.rss.push(m.peakRssBytes ?? r.peakRssBytes);
  runs.lines = r.requests;
  runs.failed = r.rejected;
}

async function runCli(file: string, expected: number, runs: Runs): Promise<void> {
  const m = await measureCommand([process.execPath, join(ROOT, "cli/index.ts"), "scan", file, "--json", "--no-detect"], { cwd: ROOT });
  if (m.exitCode !== 0) fail("moat scan", m);
  const summary = JSON.parse(m.stdout) as { requests: number; rejected: number };
  if (summary.requests + summary.rejected !== expected) {
    throw new BenchError(`moat scan counted ${summary.requests} + ${summary.rejected} rejected, expected ${expected}`, EXIT.software);
  }
  runs.seconds.push(m.seconds);
  runs.cpu.push(m.cpuSeconds ?? NaN);
  runs.rss.push(m.peakRssBytes ?? NaN);
  runs.lines = summary.requests;
  runs.failed = summary.rejected;
}

interface GoaccessGeneral {
  total_requests: number;
  valid_requests: number;
  failed_requests: number;
}

async function runGoaccess(goaccess: string, file: string, dir: string, expected: number, runs: Runs): Promise<void> {
  const report = join(dir, "report.json");
  const m = await measureCommand(
    [goaccess, file, "--log-format=COMBINED", "-o", report, "--no-progress", "--no-parsing-spinner"],
    { cwd: dir, captureStdout: false },
  );
  if (m.exitCode !== 0) fail("goaccess", m);
  // goaccess writes decoded URLs as raw bytes, which need not be UTF-8: read the report as Latin-1.
  const general = (JSON.parse(readFileSync(report).toString("latin1")) as { general: GoaccessGeneral }).general;
  rmSync(report, { force: true });
  if (general.total_requests !== expected) {
    throw new BenchError(`goaccess counted ${general.total_requests} requests (${general.failed_requests} failed), expected ${expected}`, EXIT.software);
  }
  runs.seconds.push(m.seconds);
  runs.cpu.push(m.cpuSeconds ?? NaN);
  runs.rss.push(m.peakRssBytes ?? NaN);
  runs.lines = general.valid_requests;
  runs.failed = general.failed_requests;
}

function toRow(tool: string, runs: Runs, note: string): Row {
  const cpu = runs.cpu.filter(Number.isFinite);
  const rss = runs.rss.filter(Number.isFinite);
  return {
    tool,
    lines: runs.lines,
    failed: runs.failed,
    seconds: median(runs.seconds),
    cpuSeconds: cpu.length ? median(cpu) : null,
    peakRssBytes: rss.length ? Math.max(...rss) : null,
    note,
  };
}

async function versionOf(cmd: string[]): Promise<string> {
  const proc = Bun.spawn(cmd, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const out = (await new Response(proc.stdout).text()) + (await new Response(proc.stderr).text());
  await proc.exited;
  return out.trim().split("\n")[0]?.trim() ?? "?";
}

// ---------------------------------------------------------------------------------------------

const USAGE = `usage: bun run bench:parse <access log> [--lines N] [--out-dir DIR] [--runs R] [--keep]

  <access log>   any log Moat reads (gzip, combined, JSON, ...); it is rebuilt as a combined log
  --lines N      lines in the generated log (default ${thousands(DEFAULT_LINES)})
  --out-dir DIR  where to write it (default: a fresh directory under ${tmpdir()}, removed at the end)
  --runs R       runs of each measurement; the median time is shown (default 3)
  --keep         keep the generated log (always kept with --out-dir)`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseBenchArgs(
    {
      args: argv,
      allowPositionals: true,
      options: {
        lines: { type: "string" },
        "out-dir": { type: "string" },
        runs: { type: "string" },
        keep: { type: "boolean" },
        worker: { type: "string" },
      },
    },
    USAGE,
  );

  if (values.worker !== undefined) {
    const file = positionals[0];
    if (!file) throw new BenchError("--worker needs a file", EXIT.usage);
    process.stdout.write(JSON.stringify(await worker(values.worker, file)) + "\n");
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new BenchError(`expected one access log, got ${positionals.length}\n${USAGE}`, EXIT.usage);
  const input = positionals[0]!;
  const target = intOption("--lines", values.lines, DEFAULT_LINES, USAGE);
  const runCount = intOption("--runs", values.runs, 3, USAGE);

  // A missing or unreadable input fails here, before anything is written.
  try {
    const inputs = resolveInputs([input]);
    if (!inputs.length) throw new InputError(`${input}: no files in it`, input);
  } catch (e) {
    if (e instanceof InputError) throw new BenchError(e.message, EXIT.noInput);
    throw e;
  }

  const ownDir = values["out-dir"] === undefined;
  const dir = ownDir ? mkdtempSync(join(tmpdir(), "moat-bench-parse-")) : resolve(values["out-dir"]!);
  if (!ownDir) mkdirSync(dir, { recursive: true });
  const stem = input === "-" ? "stdin" : basename(input).replace(/(\.(gz|log|json|txt|combined))+$/, "");
  const logPath = join(dir, `${stem}.${target}.combined.log`);

  try {
    log(`building ${logPath} from ${input}`);
    const built = await buildLog(input, target, logPath, log);
    log(`built ${thousands(built.lines)} lines, ${mb(built.bytes)} MB, ${built.passes} passes, in ${built.seconds.toFixed(1)} s`);

    const goaccess = Bun.which("goaccess");
    const split = newRuns();
    const parse = newRuns();
    const cli = newRuns();
    const goa = newRuns();
    for (let r = 1; r <= runCount; r++) {
      const tag = `run ${r}/${runCount}`;
      log(`${tag}: moat split only`);
      await runWorker("split", logPath, built.lines, split);
      log(`${tag}: moat readRequests (in-process)`);
      await runWorker("parse", logPath, built.lines, parse);
      log(`${tag}: moat scan --json --no-detect (CLI)`);
      await runCli(logPath, built.lines, cli);
      if (goaccess) {
        log(`${tag}: goaccess`);
        await runGoaccess(goaccess, logPath, dir, built.lines, goa);
      }
    }

    const rows: Row[] = [
      toRow("moat readRequests, combined (in-process parse)", parse, "parse time inside the process"),
      toRow("moat scan --json --no-detect (CLI, end to end)", cli, "wall time incl. start-up"),
    ];
    let goaRow: Row | null = null;
    if (goaccess) {
      goaRow = toRow("goaccess --log-format=COMBINED -o report.json", goa, "wall time incl. start-up");
      rows.push(goaRow);
    }
    rows.push(toRow("moat readInputLines (line splitting only)", split, "for scale: read + split + UTF-8 decode"));

    const goaRate = goaRow ? goaRow.lines / goaRow.seconds : null;
    const table = markdownTable(
      ["tool", "lines", "failed", "seconds", "CPU s", "lines/s", "peak RSS MB", "vs goaccess", "note"],
      [
        ...rows.map((row) => {
          const rate = row.lines / row.seconds;
          return [
            row.tool,
            thousands(row.lines),
            row.failed,
            row.seconds.toFixed(2),
            row.cpuSeconds === null ? "?" : row.cpuSeconds.toFixed(2),
            thousands(rate),
            mb(row.peakRssBytes),
            goaRate ? `${(rate / goaRate).toFixed(2)}×` : "n/a",
            row.note,
          ];
        }),
        ...(goaccess ? [] : [["goaccess", "not installed", "", "", "", "", "", "", ""]]),
      ],
      ["left", "right", "right", "right", "right", "right", "right", "right", "left"],
    );

    const versions = [
      ...describeMachine(),
      `- goaccess: ${goaccess ? `${await versionOf([goaccess, "--version"])} (${goaccess}, default config)` : "not installed"}`,
      `- input: ${input} → ${thousands(built.inputRequests)} requests (format ${built.inputFormat}, ${built.inputRejected} rejected), repeated ${built.passes}× into ${thousands(built.lines)} combined lines, ${mb(built.bytes)} MB`,
      `- median of ${runCount} run${runCount === 1 ? "" : "s"}; peak RSS is the largest of the runs (ru_maxrss)`,
    ];
    process.stdout.write(`${versions.join("\n")}\n\n${table}\n`);
    if (!ownDir || values.keep) log(`kept ${logPath}`);
    return EXIT.ok;
  } finally {
    if (ownDir && !values.keep) rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await runBench(main, log);
