#!/usr/bin/env bun
/**
 * OWASP CRS on the CSIC 2010 test requests, at paranoia levels 1–4: the baseline Moat is compared with.
 *
 *   bun run bench:crs [--data ../shared/datasets] [--levels 1,2,3,4] [--limit N] [--out FILE.md]
 *                     [--concurrency C]
 *
 * 1. Reads csic2010/normalTrafficTest.txt.gz (benign) and csic2010/anomalousTrafficTest.txt.gz
 *    (anomalous) with Moat's reader, full requests with their POST bodies; and the test split of
 *    legit-queries (real benign query strings of many sites, the split the generic model's card
 *    reports), each sent as `GET /?<query>` with a browser's headers.
 * 2. Rewrites each one as a raw HTTP/1.1 request: origin-form target (`/path?query`, the files use
 *    absolute URLs), Host set to the test server, the dataset's `Accept-Charset` artifact dropped,
 *    Content-Length recomputed from the body bytes, `Connection: close`.
 * 3. For each level, starts a real nginx on 127.0.0.1 with ModSecurity v3 and the Debian CRS
 *    (installed with apt-get when missing and running as root), checks it with known requests, and
 *    sends every request over TCP from a small pool of connections. 403 = flagged by CRS.
 * 4. Prints machine, versions and a Markdown table on stdout (and to --out); every response other
 *    than 200/403 is counted and shown. Progress goes to stderr.
 *
 * Exit codes: 2 bad arguments, 65 a dataset file holds no request, 66 the dataset is missing,
 * 69 ModSecurity/CRS is missing and cannot be installed, 70 the WAF failed its sanity checks or the
 * run broke down, 74 --out cannot be written.
 */
import { accessSync, constants, existsSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { dirname, join, resolve } from "node:path";
import type { HttpRequest } from "../src/core/http-request.ts";
import { readRequests } from "../src/ingest/read.ts";
import { Rejections } from "../src/parse/rejections.ts";
import { LEGIT_QUERIES_FILE, legitQueries } from "../src/training/corpus/datasets.ts";
import { BenchError, runBench } from "./lib/run.ts";
import { intOption, parseBenchArgs, positiveInt } from "./lib/args.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { markdownTable, thousands } from "./lib/table.ts";
import { describeMachine } from "./lib/machine.ts";
import {
  crsInfo,
  debVersion,
  ensureModSecurity,
  nginxVersion,
  startCrsNginx,
  type CrsInfo,
  type CrsServer,
} from "./lib/modsecurity.ts";

const ROOT = resolve(import.meta.dir, "..");
const DEFAULT_CONCURRENCY = 12;
const REQUEST_TIMEOUT_MS = 30_000;
/** A level is abandoned when this many requests in a row get no response at all (nginx died). */
const MAX_CONSECUTIVE_FAILURES = 200;
const PROGRESS_EVERY_MS = 5_000;
/** Set from the command line. */
const options = { concurrency: DEFAULT_CONCURRENCY };

/** The request sets: CSIC's two test files, and the held-out test split of real benign queries of many sites. */
const FILES = [
  { label: "benign", file: "csic2010/normalTrafficTest.txt.gz", expected: 36_000 },
  { label: "anomalous", file: "csic2010/anomalousTrafficTest.txt.gz", expected: 25_065 },
  { label: "legit", file: LEGIT_QUERIES_FILE, expected: 2_416 },
] as const;
type Label = (typeof FILES)[number]["label"];


const log = (msg: string) => process.stderr.write(`bench:crs: ${msg}\n`);

// ---------------------------------------------------------------------------------------------
// Requests on the wire.

/** What is needed to write a request; headers as [name, value] in order. */
interface WireRequest {
  method: string;
  target: string;
  headers: [string, string][];
  body: string | null;
}

/** Headers the bench sets itself, or drops (`accept-charset`: the CSIC artifact CRS flags at every level). */
const REPLACED = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive", "accept-charset"]);

/** `cache-control` → `Cache-Control` (the parser lower-cases names; case does not matter to HTTP). */
function headerCase(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

/** A parsed CSIC request as it goes to the test server (origin-form target: the parser strips `http://host`). */
function fromDataset(req: HttpRequest): WireRequest {
  const path = req.path === "" ? "/" : req.path;
  return {
    method: req.method,
    target: req.query ? `${path}?${req.query}` : path,
    headers: req.headers,
    body: req.body,
  };
}

/**
 * The raw bytes: request line, the request's headers in their order with Host replaced (where it
 * was), Accept-Charset dropped, then `Connection: close` and Content-Length from the body's bytes.
 */
function toWire(req: WireRequest, host: string): Buffer {
  const body = req.body === null ? null : Buffer.from(req.body, "utf8");
  let head = `${req.method} ${req.target} HTTP/1.1\r\n`;
  let hostSent = false;
  for (const [name, value] of req.headers) {
    const lower = name.toLowerCase();
    if (lower === "host" && !hostSent) {
      head += `Host: ${host}\r\n`;
      hostSent = true;
    }
    if (REPLACED.has(lower)) continue;
    head += `${headerCase(lower)}: ${value}\r\n`;
  }
  if (!hostSent) head = head.replace("\r\n", `\r\nHost: ${host}\r\n`);
  head += "Connection: close\r\n";
  const needsLength = body !== null || req.method === "POST" || req.method === "PUT";
  if (needsLength) head += `Content-Length: ${body?.length ?? 0}\r\n`;
  head += "\r\n";
  return body ? Buffer.concat([Buffer.from(head, "latin1"), body]) : Buffer.from(head, "latin1");
}

/** A response status, or why there was none. */
type Outcome = { status: number } | { error: string };

/** Sends one request on a fresh connection and reads the status line of the answer. */
function exchange(port: number, bytes: Buffer): Promise<Outcome> {
  return new Promise((resolvePromise) => {
    let head = "";
    let settled = false;
    const status = (): number | null => {
      const m = /^HTTP\/\d\.\d (\d{3})/.exec(head);
      return m ? Number(m[1]) : null;
    };
    const settle = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolvePromise(outcome);
    };
    const socket = connect(port, "127.0.0.1", () => socket.write(bytes));
    socket.setNoDelay(true);
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => settle({ error: "timeout" }));
    socket.on("data", (chunk: Buffer) => {
      if (head.length < 64) head += chunk.toString("latin1", 0, Math.min(chunk.length, 64));
    });
    socket.on("end", () => {
      const s = status();
      settle(s === null ? { error: head ? "unparsable response" : "closed without a response" } : { status: s });
    });
    socket.on("error", (e: NodeJS.ErrnoException) => {
      // nginx may answer (e.g. 400) and close while the rest of the request is still being sent.
      const s = status();
      settle(s === null ? { error: e.code ?? e.message } : { status: s });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Counting.

interface Tally {
  n: number;
  /** Responses by status. */
  statuses: Map<number, number>;
  /** Requests that got no HTTP response, by reason. */
  failures: Map<string, number>;
}

const newTally = (): Tally => ({ n: 0, statuses: new Map(), failures: new Map() });
const bump = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);
const count = (t: Tally, status: number) => t.statuses.get(status) ?? 0;
const sumOf = (m: Map<unknown, number>) => [...m.values()].reduce((a, b) => a + b, 0);
/** Requests whose answer was neither 200 nor 403 (any other status, or none). */
const errorsOf = (t: Tally) => t.n - count(t, 200) - count(t, 403);

interface LevelResult {
  level: number;
  tallies: Record<Label, Tally>;
  seconds: number;
}

async function runPool(server: CrsServer, requests: WireRequest[], tally: Tally, what: string): Promise<void> {
  const host = `localhost:${server.port}`;
  const concurrency = Math.min(options.concurrency, requests.length);
  let next = 0;
  let done = 0;
  let consecutiveFailures = 0;
  const started = performance.now();
  const progress = setInterval(() => {
    const s = (performance.now() - started) / 1000;
    log(`${what}: ${thousands(done)} / ${thousands(requests.length)} (${thousands(done / s)} req/s, ${thousands(count(tally, 403))} flagged)`);
  }, PROGRESS_EVERY_MS);
  try {
    const worker = async () => {
      while (next < requests.length) {
        const req = requests[next++]!;
        const outcome = await exchange(server.port, toWire(req, host));
        tally.n++;
        done++;
        if ("status" in outcome) {
          bump(tally.statuses, outcome.status);
          consecutiveFailures = 0;
        } else {
          bump(tally.failures, outcome.error);
          if (++consecutiveFailures >= MAX_CONSECUTIVE_FAILURES) {
            throw new BenchError(`${what}: ${consecutiveFailures} requests in a row got no response (last: ${outcome.error}); see ${server.nginx.path("logs/error.log")}`, EXIT.software);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    clearInterval(progress);
  }
  const s = (performance.now() - started) / 1000;
  log(`${what}: ${thousands(done)} done in ${s.toFixed(1)} s (${thousands(done / s)} req/s), ${thousands(count(tally, 403))} flagged, ${thousands(errorsOf(tally))} neither 200 nor 403`);
}

// ---------------------------------------------------------------------------------------------
// Sanity checks: the WAF must pass a plain request and block a textbook SQL injection, in the query
// and in a POST body (which proves phase 2 inspects bodies).

const BROWSER_HEADERS: [string, string][] = [
  ["user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0"],
  ["accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"],
  ["accept-language", "en"],
  ["host", "placeholder"],
];
const FORM: [string, string] = ["content-type", "application/x-www-form-urlencoded"];
const SQLI = "1%27%20or%20%271%27%3D%271"; // 1' or '1'='1

const SANITY: { what: string; req: WireRequest; expect: number }[] = [
  { what: "plain GET", req: { method: "GET", target: "/tienda1/index.jsp", headers: BROWSER_HEADERS, body: null }, expect: 200 },
  { what: "GET ?id=1' or '1'='1", req: { method: "GET", target: `/tienda1/index.jsp?id=${SQLI}`, headers: BROWSER_HEADERS, body: null }, expect: 403 },
  { what: "plain POST body", req: { method: "POST", target: "/tienda1/publico/anadir.jsp", headers: [...BROWSER_HEADERS, FORM], body: "id=2&cantidad=3" }, expect: 200 },
  { what: "POST body id=1' or '1'='1", req: { method: "POST", target: "/tienda1/publico/anadir.jsp", headers: [...BROWSER_HEADERS, FORM], body: `id=${SQLI}` }, expect: 403 },
];

async function sanityCheck(server: CrsServer): Promise<void> {
  const host = `localhost:${server.port}`;
  const failed: string[] = [];
  for (const check of SANITY) {
    const outcome = await exchange(server.port, toWire(check.req, host));
    const got = "status" in outcome ? String(outcome.status) : `no response (${outcome.error})`;
    if (!("status" in outcome) || outcome.status !== check.expect) failed.push(`${check.what}: expected ${check.expect}, got ${got}`);
  }
  if (failed.length) {
    throw new BenchError(
      `CRS at paranoia level ${server.level} failed its sanity checks, so its numbers would mean nothing:\n  ${failed.join("\n  ")}\n` +
        `nginx error log: ${server.nginx.path("logs/error.log")}`,
      EXIT.software,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Input.

/** The legit-queries test split as browser GETs (the query strings were sent to many sites' various paths; `/` stands for them). */
function loadLegit(data: string, limit: number | null): { requests: WireRequest[]; rejected: number } {
  const queries = legitQueries(data, "test");
  if (!queries.length) throw new BenchError(`no query could be read from ${join(data, LEGIT_QUERIES_FILE)}`, EXIT.dataError);
  const requests = queries.slice(0, limit ?? queries.length).map((q): WireRequest => ({ method: "GET", target: `/?${q}`, headers: BROWSER_HEADERS, body: null }));
  return { requests, rejected: 0 };
}

async function loadFile(path: string, limit: number | null): Promise<{ requests: WireRequest[]; rejected: number }> {
  const rejections = new Rejections();
  const errors: string[] = [];
  const requests: WireRequest[] = [];
  const hooks = { onInputError: (_: unknown, e: Error) => { errors.push(e.message); } };
  outer: for await (const batch of readRequests([path], { format: "auto" }, rejections, hooks)) {
    for (const req of batch) {
      if (limit !== null && requests.length >= limit) break outer;
      requests.push(fromDataset(req));
    }
  }
  if (!requests.length) {
    const why = errors.length ? errors.join("; ") : `${rejections.total} records rejected`;
    throw new BenchError(`no request could be read from ${path}: ${why}`, EXIT.dataError);
  }
  return { requests, rejected: rejections.total };
}

// ---------------------------------------------------------------------------------------------

const USAGE = `usage: bun run bench:crs [--data DIR] [--levels 1,2,3,4] [--limit N] [--out FILE.md] [--concurrency C]

  --data DIR         the shared datasets folder, holding csic2010/ and legit-queries/ (default ../shared/datasets)
  --levels L         comma-separated CRS paranoia levels, 1–4 (default 1,2,3,4)
  --limit N          only the first N requests of each file (quick run)
  --out FILE.md      also write the report there
  --concurrency C    connections in flight (default ${DEFAULT_CONCURRENCY})

Needs the Debian packages nginx, libnginx-mod-http-modsecurity and modsecurity-crs; when they are
missing and the bench runs as root it installs them with apt-get.`;

function parseLevels(value: string): number[] {
  const levels = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (!levels.length) throw new BenchError(`--levels is empty\n${USAGE}`, EXIT.usage);
  const out: number[] = [];
  for (const l of levels) {
    if (!/^[1-4]$/.test(l)) throw new BenchError(`--levels: paranoia levels are 1, 2, 3 or 4, got ${JSON.stringify(l)}\n${USAGE}`, EXIT.usage);
    if (!out.includes(Number(l))) out.push(Number(l));
  }
  return out;
}

const pct = (k: number, n: number) => (n === 0 ? "n/a" : `${((100 * k) / n).toFixed(2)}%`);

function describeErrors(t: Tally): string {
  const parts: string[] = [];
  for (const [status, k] of [...t.statuses].sort((a, b) => a[0] - b[0])) {
    if (status !== 200 && status !== 403) parts.push(`${thousands(k)}× ${status}`);
  }
  for (const [why, k] of t.failures) parts.push(`${thousands(k)}× no response (${why})`);
  return parts.join(", ") || "none";
}

function report(results: LevelResult[], info: CrsInfo, meta: { data: string; loaded: Record<Label, { n: number; rejected: number; path: string }>; limit: number | null; concurrency: number; seconds: number }): string {
  const table = markdownTable(
    ["CRS paranoia level", "benign n", "FPR (benign flagged)", "anomalous n", "TPR (anomalous flagged)", "real benign queries n", "FPR on them"],
    results.map((r) => {
      const b = r.tallies.benign;
      const a = r.tallies.anomalous;
      const l = r.tallies.legit;
      return [
        `PL${r.level}`,
        thousands(b.n),
        `${pct(count(b, 403), b.n)} (${thousands(count(b, 403))})`,
        thousands(a.n),
        `${pct(count(a, 403), a.n)} (${thousands(count(a, 403))})`,
        thousands(l.n),
        `${pct(count(l, 403), l.n)} (${thousands(count(l, 403))})`,
      ];
    }),
  );
  const errorTable = markdownTable(
    ["CRS paranoia level", "class", "sent", "200", "403", "400 (nginx)", "other status", "no response", "errors (not 200/403)"],
    results.flatMap((r) =>
      FILES.map(({ label }) => {
        const t = r.tallies[label];
        const other = sumOf(t.statuses) - count(t, 200) - count(t, 403) - count(t, 400);
        return [`PL${r.level}`, label, thousands(t.n), thousands(count(t, 200)), thousands(count(t, 403)), thousands(count(t, 400)), thousands(other), thousands(sumOf(t.failures)), thousands(errorsOf(t))];
      }),
    ),
    ["left", "left", "right", "right", "right", "right", "right", "right", "right"],
  );
  const totalErrors = results.reduce((s, r) => s + FILES.reduce((e, { label }) => e + errorsOf(r.tallies[label]), 0), 0);
  const errorLines = results.flatMap((r) =>
    FILES.filter(({ label }) => errorsOf(r.tallies[label]) > 0).map(({ label }) => `- PL${r.level} ${label}: ${describeErrors(r.tallies[label])}`),
  );
  const setting = info.crs4Names ? "tx.blocking_paranoia_level = tx.detection_paranoia_level" : "tx.paranoia_level = tx.executing_paranoia_level";
  const lines = [
    "# OWASP CRS on CSIC 2010 (full requests) and on real benign queries",
    "",
    ...describeMachine(),
    `- nginx ${nginxVersion()}; ModSecurity ${debVersion("libmodsecurity3")} (libmodsecurity3), connector ${debVersion("libnginx-mod-http-modsecurity")} (libnginx-mod-http-modsecurity); ` +
      `OWASP CRS ${info.version} (Debian modsecurity-crs ${debVersion("modsecurity-crs")}, ${info.setupFile})`,
    `- CRS: ${setting} = level; anomaly scoring with the default inbound threshold (5); SecRuleEngine On, SecRequestBodyAccess On; ` +
      `nginx proxies to a second local server block that answers 200, so phase 2 (bodies, blocking evaluation) runs for every request`,
    `- data: ${meta.data}: ${FILES.map(({ label }) => `${label} ${meta.loaded[label].path} (${thousands(meta.loaded[label].n)} requests, ${meta.loaded[label].rejected} unreadable)`).join(", ")}` +
      (meta.limit !== null ? `; --limit ${thousands(meta.limit)}: first requests of each file only` : ""),
    "- requests: sent raw over TCP to 127.0.0.1, origin-form target, Host set to the test server, the `Accept-Charset` header removed, " +
      `Content-Length recomputed, Connection: close; ${meta.concurrency} connections in flight`,
    "- flagged = answered 403. FPR and TPR are over all requests sent; requests answered with anything else are not counted as flagged and are listed below",
    `- run time: ${meta.seconds.toFixed(0)} s (${results.map((r) => `PL${r.level} ${r.seconds.toFixed(0)} s`).join(", ")})`,
    "",
    table,
    "",
    `Responses other than 200/403 (errors): ${thousands(totalErrors)} in all.`,
    "",
    errorTable,
    ...(errorLines.length ? ["", ...errorLines] : []),
    "",
  ];
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseBenchArgs(
    {
      args: argv,
      allowPositionals: false,
      options: {
        data: { type: "string" },
        levels: { type: "string" },
        limit: { type: "string" },
        out: { type: "string" },
        concurrency: { type: "string" },
      },
    },
    USAGE,
  );
  const levels = parseLevels(values.levels ?? "1,2,3,4");
  const limit = values.limit === undefined ? null : positiveInt("--limit", values.limit, USAGE);
  options.concurrency = intOption("--concurrency", values.concurrency, DEFAULT_CONCURRENCY, USAGE, 256);
  const out = values.out === undefined ? null : resolve(values.out);
  if (out) {
    // Fail now rather than after a run of many minutes.
    try {
      accessSync(dirname(out), constants.W_OK);
    } catch {
      throw new BenchError(`cannot write ${out}: ${dirname(out)} is not a writable directory`, EXIT.ioError);
    }
  }

  // The dataset comes first: a missing folder is the commonest mistake and needs nothing installed.
  const data = resolve(values.data ?? join(ROOT, "..", "shared", "datasets"));
  if (!existsSync(data) || !statSync(data).isDirectory()) throw new BenchError(`dataset folder not found: ${data} (pass --data DIR, the folder holding csic2010/ and legit-queries/)`, EXIT.noInput);
  for (const { file } of FILES) {
    const p = join(data, file);
    if (!existsSync(p)) throw new BenchError(`dataset file not found: ${p}`, EXIT.noInput);
  }

  const started = performance.now();
  ensureModSecurity(log);
  const info = crsInfo();
  log(`OWASP CRS ${info.version}, module ${info.module}`);

  const loaded = {} as Record<Label, { n: number; rejected: number; path: string }>;
  const sets = {} as Record<Label, WireRequest[]>;
  for (const { label, file, expected } of FILES) {
    const path = join(data, file);
    const { requests, rejected } = label === "legit" ? loadLegit(data, limit) : await loadFile(path, limit);
    sets[label] = requests;
    loaded[label] = { n: requests.length, rejected, path: file };
    log(`${label}: ${thousands(requests.length)} requests from ${path}${rejected ? ` (${rejected} unreadable records skipped)` : ""}`);
    if (limit === null && requests.length !== expected) log(`warning: expected ${thousands(expected)} requests in ${file}, read ${thousands(requests.length)}`);
  }

  const results: LevelResult[] = [];
  for (const level of levels) {
    const levelStarted = performance.now();
    log(`PL${level}: starting nginx + ModSecurity + CRS`);
    const server = await startCrsNginx(level, info);
    try {
      await sanityCheck(server);
      log(`PL${level}: sanity checks passed (${SANITY.map((c) => `${c.what} → ${c.expect}`).join("; ")})`);
      const tallies = { benign: newTally(), anomalous: newTally(), legit: newTally() };
      for (const { label } of FILES) await runPool(server, sets[label], tallies[label], `PL${level} ${label}`);
      results.push({ level, tallies, seconds: (performance.now() - levelStarted) / 1000 });
    } finally {
      await server.stop();
    }
  }

  const text = report(results, info, { data, loaded, limit, concurrency: options.concurrency, seconds: (performance.now() - started) / 1000 });
  process.stdout.write(text);
  if (out) {
    try {
      writeFileSync(out, text);
    } catch (e) {
      throw new BenchError(`cannot write ${out}: ${(e as Error).message}`, EXIT.ioError);
    }
    log(`wrote ${out}`);
  }
  return EXIT.ok;
}

if (import.meta.main) await runBench(main, log);

