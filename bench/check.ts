#!/usr/bin/env bun
/**
 * Inline checks over HTTP: `wrk` drives POST /check on a running `moat serve` at fixed concurrency.
 *
 *   bun run bench:check [--seconds S] [--connections C] [--threads T]
 *
 * The request bodies rotate through benign and attack requests (the project's own examples). Prints
 * requests/s and latency p50/p99 as wrk measured them, in a Markdown table.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { EXIT } from "../cli/exit-codes.ts";
import { describeMachine } from "./lib/machine.ts";
import { BenchError, runBench } from "./lib/run.ts";
import { markdownTable, thousands } from "./lib/table.ts";
import { freePort } from "../test/helpers/nginx.ts";

const ROOT = resolve(import.meta.dir, "..");
const log = (msg: string) => process.stderr.write(`bench:check: ${msg}\n`);

const BODIES = [
  { method: "GET", path: "/products", query_params: { id: "42", color: "red" }, headers: { "user-agent": "Mozilla/5.0" } },
  { method: "GET", path: "/search", query_params: { q: "red running shoes", page: "2" } },
  { method: "POST", path: "/login", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "user=alice&pass=secret" },
  { method: "GET", path: "/items", query_params: { id: "1' UNION SELECT password FROM users--" } },
  { method: "GET", path: "/search", query_params: { q: "<script>alert(1)</script>" } },
  { method: "GET", path: "/static/../../etc/passwd" },
];

/** A wrk script that rotates the bodies. */
function wrkScript(): string {
  const bodies = BODIES.map((b) => JSON.stringify(JSON.stringify(b))).join(",\n  ");
  return `local bodies = {\n  ${bodies}\n}\nlocal i = 0\nrequest = function()\n  i = (i % #bodies) + 1\n  return wrk.format("POST", "/check", { ["Content-Type"] = "application/json" }, bodies[i])\nend\n`;
}

/** wrk --latency prints "50%  1.23ms" lines; returns milliseconds. */
function latency(output: string, percentile: string): number {
  const m = new RegExp(`^\\s+${percentile}%\\s+([\\d.]+)(us|ms|s)`, "m").exec(output);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === "us" ? v / 1000 : m[2] === "s" ? v * 1000 : v;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { seconds: { type: "string" }, connections: { type: "string" }, threads: { type: "string" } } });
  const wrk = Bun.which("wrk");
  if (!wrk) throw new BenchError("wrk is not installed (Debian package wrk; .ci/setup installs it)", EXIT.software);
  const seconds = Number(values.seconds ?? 10);
  const connections = Number(values.connections ?? 16);
  const threads = Number(values.threads ?? 1);
  const dir = mkdtempSync(join(tmpdir(), "moat-bench-check-"));
  const port = await freePort();
  const serve = Bun.spawn([process.execPath, join(ROOT, "cli/index.ts"), "serve", "--port", String(port), "-c", "/dev/null", "--log-level", "warn"], {
    env: { ...process.env, MOAT_STORAGE_DATA_DIR: dir, MOAT_SECURITY_NGINX_CONF: "" },
    stdout: "ignore",
    stderr: "inherit",
  });
  try {
    const until = Date.now() + 20_000;
    for (;;) {
      const up = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
      if (up) break;
      if (Date.now() > until) throw new BenchError("moat serve did not start", EXIT.software);
      await Bun.sleep(100);
    }
    const probe = await fetch(`http://127.0.0.1:${port}/check`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(BODIES[3]) });
    if (!probe.ok) throw new BenchError(`POST /check answered ${probe.status}: ${await probe.text()}`, EXIT.software);
    const script = join(dir, "check.lua");
    writeFileSync(script, wrkScript());
    log(`wrk -t${threads} -c${connections} -d${seconds}s POST /check`);
    const run = Bun.spawnSync([wrk, `-t${threads}`, `-c${connections}`, `-d${seconds}s`, "--latency", "-s", script, `http://127.0.0.1:${port}/check`], { stdout: "pipe", stderr: "pipe" });
    const out = run.stdout.toString();
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
    const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? "0";
    console.log(describeMachine().join("\n"));
    console.log(`- wrk ${threads} thread(s), ${connections} connections, ${seconds} s; bodies rotate through 3 benign and 3 attack requests; generic model only\n`);
    console.log(
      markdownTable(
        ["path", "requests/s", "p50", "p99", "non-2xx", "goal"],
        [["moat serve POST /check", thousands(rps), `${latency(out, "50").toFixed(2)} ms`, `${latency(out, "99").toFixed(2)} ms`, errors, "≥ 10,000/s, p99 ≤ 5 ms"]],
      ),
    );
    return EXIT.ok;
  } finally {
    serve.kill("SIGTERM");
    await serve.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await runBench(main, log);
