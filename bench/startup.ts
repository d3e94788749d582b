#!/usr/bin/env bun
/**
 * The single executable: its size, how long `dist/moat serve` takes from spawn to the first served
 * `GET /health` and to the first `POST /check` answer, and its memory once idle.
 *
 *   bun run bench:startup [--runs N] [--idle-seconds S] [--build]
 *
 * Builds dist/moat when it is missing (or with --build). Every run starts with a fresh data directory
 * (new database, migrations applied); "cold" runs also get a fresh cache directory, so onnxruntime's
 * library is unpacked from the binary again, while "warm" runs share one cache populated beforehand.
 * The operating system's page cache is warm in both (the binary was just read). Medians of N runs.
 * Progress on stderr, the table on stdout.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { EXIT } from "../cli/exit-codes.ts";
import { describeMachine } from "./lib/machine.ts";
import { median, processMemory } from "./lib/measure.ts";
import { intOption, parseBenchArgs } from "./lib/args.ts";
import { waitForHealth } from "./lib/health.ts";
import { BenchError, runBench } from "./lib/run.ts";
import { markdownTable } from "./lib/table.ts";
import { freePort } from "../test/helpers/nginx.ts";

const ROOT = resolve(import.meta.dir, "..");
const BINARY = join(ROOT, "dist", "moat");
const log = (msg: string) => process.stderr.write(`bench:startup: ${msg}\n`);
/** How often the server is probed while it starts: the start-up times are this coarse. */
const POLL_MS = 5;
const START_DEADLINE_MS = 60_000;
const USAGE = "usage: bun run bench:startup [--runs N] [--idle-seconds S] [--build]";
const CHECK_BODY = JSON.stringify({ method: "GET", path: "/search", query_params: { q: "<script>alert(1)</script>" } });

interface Run {
  healthMs: number;
  checkMs: number;
  idleRssBytes: number;
  peakRssBytes: number;
}

async function startOnce(cacheDir: string | null, idleSeconds: number): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), "moat-bench-startup-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const proc = Bun.spawn([BINARY, "serve", "--port", String(port), "-c", "/dev/null", "--log-level", "error"], {
    cwd: dir,
    // No Bun, no node_modules: the binary alone, as on a server.
    env: { PATH: "/usr/bin:/bin", HOME: dir, MOAT_STORAGE_DATA_DIR: join(dir, "data"), MOAT_CACHE_DIR: cacheDir ?? join(dir, "cache"), MOAT_SECURITY_NGINX_CONF: "" },
    stdout: "ignore",
    stderr: "inherit",
  });
  try {
    await waitForHealth("dist/moat serve", base, proc, { pollMs: POLL_MS, deadlineMs: START_DEADLINE_MS });
    const healthMs = performance.now() - started;
    const check = await fetch(`${base}/check`, { method: "POST", headers: { "content-type": "application/json" }, body: CHECK_BODY });
    const verdict = (await check.json()) as { is_anomaly?: boolean };
    const checkMs = performance.now() - started;
    if (!check.ok || verdict.is_anomaly !== true) throw new BenchError(`POST /check answered ${check.status} ${JSON.stringify(verdict)}`, EXIT.software);
    await Bun.sleep(idleSeconds * 1000);
    const memory = processMemory(proc.pid);
    return { healthMs, checkMs, idleRssBytes: memory.rss, peakRssBytes: memory.peak };
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseBenchArgs({ args: argv, options: { runs: { type: "string" }, "idle-seconds": { type: "string" }, build: { type: "boolean" } } }, USAGE);
  const runs = intOption("--runs", values.runs, 5, USAGE);
  const idleSeconds = Number(values["idle-seconds"] ?? 5);
  if (!(idleSeconds >= 0)) throw new BenchError(`--idle-seconds must be a number ≥ 0, got ${values["idle-seconds"]}\n${USAGE}`, EXIT.usage);
  if (values.build || !existsSync(BINARY)) {
    log("bun run build");
    const build = Bun.spawnSync([process.execPath, "run", "build"], { cwd: ROOT, stdout: "ignore", stderr: "pipe" });
    if (!build.success) throw new BenchError(`bun run build failed:\n${build.stderr.toString()}`, EXIT.software);
  }
  const sizeBytes = statSync(BINARY).size;

  const warmCache = mkdtempSync(join(tmpdir(), "moat-bench-cache-"));
  try {
    const results: Record<"cold" | "warm", Run[]> = { cold: [], warm: [] };
    log("populating the shared cache (one start, not counted)");
    await startOnce(warmCache, 0);
    for (let i = 1; i <= runs; i++) {
      for (const kind of ["cold", "warm"] as const) {
        const r = await startOnce(kind === "cold" ? null : warmCache, idleSeconds);
        results[kind].push(r);
        log(`run ${i}/${runs} ${kind}: /health ${r.healthMs.toFixed(0)} ms, first /check ${r.checkMs.toFixed(0)} ms, RSS idle ${(r.idleRssBytes / 2 ** 20).toFixed(0)} MB`);
      }
    }
    const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
    const ms = (v: number) => `${v.toFixed(0)} ms`;
    const row = (label: string, rs: Run[]) => [
      label,
      ms(median(rs.map((r) => r.healthMs))),
      ms(median(rs.map((r) => r.checkMs))),
      mb(median(rs.map((r) => r.idleRssBytes))),
      mb(median(rs.map((r) => r.peakRssBytes))),
    ];
    console.log(describeMachine().join("\n"));
    console.log(`- dist/moat: ${sizeBytes.toLocaleString("en-US")} bytes (${(sizeBytes / 2 ** 20).toFixed(0)} MiB); median of ${runs} runs each; fresh data directory every run; probed every ${POLL_MS} ms; RSS after ${idleSeconds} s idle\n`);
    console.log(
      markdownTable(
        ["start", "spawn → first /health", "spawn → first /check answer", "RSS at idle", "peak RSS"],
        [row("cold (fresh cache: onnxruntime unpacked)", results.cold), row("warm (onnxruntime already unpacked)", results.warm)],
      ),
    );
    return EXIT.ok;
  } finally {
    rmSync(warmCache, { recursive: true, force: true });
  }
}

if (import.meta.main) await runBench(main, log);
