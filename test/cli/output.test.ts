/**
 * `-o table|json|csv` on every listing, as a script or a spreadsheet reads it: the same rows in each
 * format, `--json` as the older spelling of `-o json`, CSV cells that a spreadsheet would evaluate
 * defused as `moat db export` defuses them, and examples in each listing's --help. And a closed pipe
 * (`moat db export | head -1`) ends quietly with 0.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { openStore } from "../../src/store/db.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { createKey } from "../../src/api/auth/keys.ts";
import { rawHttpParser } from "../../src/parse/raw-http.ts";
import { exportDenseLogisticOnnx } from "../../src/detect/onnx/dense.ts";
import { SITE_META_KEY } from "../../src/detect/site/model.ts";
import type { HttpRequest } from "../../src/core/http-request.ts";
import type { Verdict } from "../../src/detect/verdict.ts";

const dir = tempDir("moat-output-");
const db = join(dir, "moat.db");
const config = join(dir, "moat.toml");
writeFileSync(config, `[storage]\ndata_dir = "${dir}"\n`);
/** What a spreadsheet would run: a forged X-Forwarded-For or a key name typed in the dashboard. */
const FORMULA = '=HYPERLINK("http://evil.example","x")';

// 3,000 threats (about 2 MB of NDJSON, far more than a pipe holds), two bans, two API keys.
{
  const store = openStore(db);
  const now = Date.now();
  const request = (i: number): HttpRequest => ({ ...(rawHttpParser.parse(`GET /items?id=${i}'-- HTTP/1.1\nHost: x\n`, { source: "t", line: i }) as HttpRequest), time: now, clientIp: "203.0.113.9" });
  const threat: Verdict = { score: 0.99, isAnomaly: true, threshold: 0.5, attackType: "sqli", severity: "critical", reasons: [], modelVersion: "m" };
  const requests = Array.from({ length: 3000 }, (_, i) => request(i));
  new StoreWriter(store).write({ requests, verdicts: requests.map(() => threat) });
  const ban = store.sqlite!.query("insert into bans (ip, reason, source, created_at, expires_at, simulated) values (?, ?, ?, ?, ?, 0)");
  ban.run("198.51.100.7", "banned by hand", "manual", now, null);
  ban.run("203.0.113.9", `5 threats, "quoted", the last ${FORMULA}`, "auto", now + 1, now + 3_600_000);
  createKey(store, "ci", { scope: "check", rateLimit: 0 });
  createKey(store, FORMULA);
  store.close();
}

const withDb = (...args: string[]) => runCli([...args, "--db", db, "--config", config]);

/** A CSV line's cells (quoted cells with "" inside, as RFC 4180 writes them). */
function csvCells(line: string): string[] {
  return [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].slice(0, -1).map(([, cell]) => (cell!.startsWith('"') ? cell!.slice(1, -1).replaceAll('""', '"') : cell!));
}

function csvRows(text: string): string[][] {
  return text.trimEnd().split("\n").map(csvCells);
}

describe("-o table|json|csv", () => {
  test("moat decisions list: the same bans as a table, JSON and CSV; --json is -o json; formula cells defused", () => {
    const table = withDb("decisions", "list");
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^IP\s+SOURCE\s+EXPIRES\s+REASON$/);
    expect(lines[1]).toMatch(/^203\.0\.113\.9\s+auto\s+until \d{4}-\S+\s+5 threats, "quoted", the last =HYPERLINK/);
    expect(lines[2]).toMatch(/^198\.51\.100\.7\s+manual\s+until removed\s+banned by hand$/);

    const json = withDb("decisions", "list", "-o", "json");
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout) as { ip: string; source: string; reason: string; expiresAt: number | null }[];
    expect(rows.map((r) => [r.ip, r.source, r.expiresAt === null])).toEqual([["203.0.113.9", "auto", false], ["198.51.100.7", "manual", true]]);
    expect(withDb("decisions", "list", "--json").stdout).toBe(json.stdout);
    expect(withDb("ban", "list", "--output", "json").stdout).toBe(json.stdout); // the alias, the long flag

    const csv = withDb("decisions", "list", "-o", "csv");
    expect([csv.code, csv.stderr]).toEqual([0, ""]);
    const cells = csvRows(csv.stdout);
    expect(cells[0]).toEqual(["ip", "source", "expires", "reason"]);
    expect(cells.slice(1).map((r) => r[0])).toEqual(["203.0.113.9", "198.51.100.7"]);
    expect(cells[1]![2]).toBe(`until ${new Date(rows[0]!.expiresAt!).toISOString()}`);
    expect(cells[1]![3]).toBe(`5 threats, "quoted", the last ${FORMULA}`); // a formula inside a cell is text already
  });

  test("moat apikey list: a key named like a formula is defused in CSV (as moat db export does), never in JSON", () => {
    const csv = withDb("apikey", "list", "-o", "csv");
    expect(csv.code).toBe(0);
    const cells = csvRows(csv.stdout);
    expect(cells[0]).toEqual(["id", "prefix", "status", "scope", "rate_limit", "created", "last_used", "name"]);
    expect(cells.slice(1).map((r) => [r[2], r[3], r[4], r[6], r[7]])).toEqual([
      ["active", "check", "unlimited", "never", "ci"],
      ["active", "admin", "server", "never", `'${FORMULA}`],
    ]);
    const json = JSON.parse(withDb("apikey", "list", "-o", "json").stdout) as { name: string; prefix: string }[];
    expect(json.map((k) => k.name)).toEqual(["ci", FORMULA]);
    expect(cells.slice(1).map((r) => r[1])).toEqual(json.map((k) => k.prefix));
    const table = withDb("apikey", "list").stdout.split("\n");
    expect(table[0]).toMatch(/^ID\s+PREFIX\s+STATUS\s+SCOPE\s+RATE LIMIT\s+CREATED\s+LAST USED\s+NAME$/);
    expect(table[2]).toEndWith(FORMULA); // a person reads the name as it is
  });

  test("moat db stats: one figure a row in the table and the CSV, an object in JSON", () => {
    // dbBytes left out: the write-ahead log is folded in between two runs.
    const { dbBytes, ...json } = JSON.parse(withDb("db", "stats", "--json").stdout) as Record<string, number | string>;
    expect(dbBytes).toBeGreaterThan(0);
    expect(json).toMatchObject({ requests: 3000, threats: 3000, db });
    expect(JSON.parse(withDb("db", "stats", "-o", "json").stdout)).toMatchObject(json);
    const cells = csvRows(withDb("db", "stats", "-o", "csv").stdout);
    expect(cells[0]).toEqual(["name", "value"]);
    const { dbBytes: csvBytes, ...csv } = Object.fromEntries(cells.slice(1));
    expect(Number(csvBytes)).toBeGreaterThan(0);
    expect(csv).toEqual(Object.fromEntries(Object.entries(json).map(([k, v]) => [k, String(v)])));
    const table = withDb("db", "stats").stdout.trimEnd().split("\n");
    expect(table[0]).toMatch(/^NAME\s+VALUE$/);
    expect(table).toContain(`threats        3000`);
  });

  test("moat model list: --json works (it did not), and CSV has the same models", () => {
    const modelDir = join(dir, "model");
    mkdirSync(modelDir);
    const meta = { kind: "site", version: "site-2026-12-04-abc", threshold: 0.3402205109596253, trainedAt: "2026-12-04T10:00:00.000Z", calibration: { trainingRequests: 1234 } };
    writeFileSync(join(modelDir, "site.onnx"), exportDenseLogisticOnnx({ w: Float32Array.of(1), b: 0 }, { [SITE_META_KEY]: JSON.stringify(meta) }));
    const json = runCli(["model", "list", modelDir, "--json"]);
    expect([json.code, json.stderr]).toEqual([0, ""]);
    expect(JSON.parse(json.stdout)).toEqual([{ state: "live", version: meta.version, threshold: meta.threshold, trainedAt: meta.trainedAt, trainingRequests: 1234, file: join(modelDir, "site.onnx") }]);
    expect(csvRows(runCli(["model", "list", modelDir, "-o", "csv"]).stdout)).toEqual([
      ["state", "version", "threshold", "trained", "requests", "file"],
      ["live", meta.version, "0.3402", meta.trainedAt, "1234", join(modelDir, "site.onnx")],
    ]);
    expect(runCli(["model", "list", modelDir]).stdout.split("\n")[1]).toMatch(/^live\s+site-2026-12-04-abc\s+0\.3402\s+2026-12-04T10:00:00\.000Z\s+1234\s+\S+site\.onnx$/);
  });

  test("an unknown format is a usage error naming the choices; every listing's --help has examples", () => {
    const r = withDb("db", "stats", "-o", "xml");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Allowed choices are table, json, csv");
    for (const args of [["decisions", "list"], ["apikey", "list"], ["model", "list"], ["db", "stats"], ["doctor"]]) {
      const help = runCli([...args, "--help"]);
      expect([args, help.code]).toEqual([args, 0]);
      expect(help.stdout).toContain(`\nExamples:\n  $ moat ${args.join(" ")}`);
    }
  });
});

describe("a closed pipe", () => {
  /** Runs `moat <args> | head -1` under `set -o pipefail`: moat's own exit code and stderr decide. */
  const headOne = (args: string) => Bun.spawnSync(["bash", "-c", `set -o pipefail; ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} ${args} | head -1`], { env: process.env, stdout: "pipe", stderr: "pipe" });

  test("moat db export | head -1 exits 0 and says nothing, in NDJSON and CSV", () => {
    for (const format of ["ndjson", "csv"]) {
      const r = headOne(`db export --format ${format} --db ${db} -c /dev/null`);
      expect({ format, code: r.exitCode, stderr: r.stderr.toString() }).toEqual({ format, code: 0, stderr: "" });
      expect(r.stdout.toString().split("\n").filter(Boolean)).toHaveLength(1);
    }
  });

  test("moat scan --ndjson | head -1 too", () => {
    const log = join(dir, "big.log");
    writeFileSync(log, '1.2.3.4 - - [24/Nov/2026:11:54:54 +0000] "GET /x HTTP/1.1" 200 3 "-" "ua"\n'.repeat(20_000));
    const r = headOne(`scan --no-detect --ndjson ${log}`);
    expect([r.exitCode, r.stderr.toString()]).toEqual([0, ""]);
    expect(JSON.parse(r.stdout.toString())).toMatchObject({ path: "/x" });
  });
});
