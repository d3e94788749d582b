/** `moat db export` as a SIEM feed would run it, on a database written by the store's own writer. */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { openStore } from "../../src/store/db.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { writeSetting } from "../../src/store/settings.ts";
import { rawHttpParser } from "../../src/parse/raw-http.ts";
import type { HttpRequest } from "../../src/core/http-request.ts";
import type { Verdict } from "../../src/detect/verdict.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

const dir = tempDir();
const db = join(dir, "moat.db");
const now = Date.now();
const FORMULA = '=HYPERLINK("http://evil.example")';
const request = (target: string, time: number, clientIp = "203.0.113.9"): HttpRequest => ({ ...(rawHttpParser.parse(`GET ${target} HTTP/1.1\nHost: x\n`, { source: "t", line: 1 }) as HttpRequest), time, clientIp });
const threat: Verdict = { score: 0.99, isAnomaly: true, threshold: 0.5, attackType: "sqli", severity: "critical", reasons: [], modelVersion: "m" };

// 1,001 recent threats (more than one page of the export), one of them with a formula for a client
// address (a forged X-Forwarded-For), and one threat three days old.
{
  const store = openStore(db);
  const recent = Array.from({ length: 1001 }, (_, i) => request(`/items?id=${i}'--`, now - 60_000, i === 500 ? FORMULA : undefined));
  new StoreWriter(store).write({ requests: [request("/old?id=1'--", now - 3 * 86_400_000), ...recent], verdicts: Array.from({ length: 1002 }, () => threat) });
  store.close();
}
const exportDb = (...args: string[]) => runCli(["db", "export", "--db", db, "-c", "/dev/null", ...args]);

describe("moat db export", () => {
  test("NDJSON: every threat once, in id order across pages, with its JSON columns as objects", () => {
    const r = exportDb();
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(rows).toHaveLength(1002);
    expect(rows.map((x) => x.id)).toEqual(Array.from({ length: 1002 }, (_, i) => i + 1));
    expect(rows[0]).toMatchObject({ kind: "threat", endpoint: "/old", attack_type: "sqli", reasons: [], request: { path: "/old", query: "id=1'--" } });
  });

  test("--range keeps the recent ones only", () => {
    const rows = exportDb("--range", "24h").stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(rows).toHaveLength(1001);
    expect(rows.every((x) => x.time >= now - 86_400_000)).toBe(true);
  });

  test("CSV to a file: one header, one line a threat, formula-looking cells defused", () => {
    const out = join(dir, "threats.csv");
    const r = exportDb("-o", "csv", "--range", "1h", "--out", out);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, "", ""]);
    const lines = readFileSync(out, "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(1 + 1001);
    expect(lines[0]!.split(",").slice(0, 5)).toEqual(["id", "time", "client_ip", "method", "endpoint"]);
    const formulaLine = lines.find((l) => l.includes("HYPERLINK"))!;
    expect(formulaLine.split(",")[2]).toBe(`"'${FORMULA.replaceAll('"', '""')}"`);
  });

  test("a file that cannot be written and a bad range are clear errors, not crashes", () => {
    const unwritable = exportDb("--out", join(dir, "missing", "out.ndjson"));
    expect(unwritable.code).toBe(66);
    expect(unwritable.stderr).toStartWith("moat: ENOENT");
    expect(unwritable.stderr.trim().split("\n")).toHaveLength(1);
    const badRange = exportDb("--range", "soon");
    expect(badRange.code).toBe(2);
    expect(badRange.stderr).toContain('invalid range "soon"');
  });

  test("-o names the format as in every listing; a path given to it says where the file option went; --format still works", () => {
    expect(exportDb("-o", "csv", "--range", "1h").stdout.split("\n")[0]).toStartWith("id,time,client_ip");
    expect(exportDb("--format", "csv", "--range", "1h").stdout).toBe(exportDb("-o", "csv", "--range", "1h").stdout);
    const path = exportDb("-o", join(dir, "threats.ndjson"));
    expect(path.code).toBe(2);
    expect(path.stderr).toContain("the formats are ndjson and csv: -o names the format, as in every listing; write to a file with --out <file>");
    expect(exportDb("-o", "xml").stderr).toContain("the formats are ndjson and csv");
    expect(exportDb("-o", "json").stderr).toContain("the formats are ndjson and csv (ndjson is JSON, an object a line)");
    const both = exportDb("-o", "csv", "--format", "ndjson");
    expect([both.code, both.stderr.trim()]).toEqual([2, "moat: -o csv and --format ndjson disagree: give one of them"]);
    // A usage error: no database is opened, let alone created, for it.
    const nowhere = join(tempDir(), "never.db");
    expect(runCli(["db", "export", "--db", nowhere, "-c", "/dev/null", "-o", "csv", "--format", "ndjson"]).code).toBe(2);
    expect(existsSync(nowhere)).toBe(false);
  });
});

describe("moat db prune", () => {
  test("applies the retention limits set from the dashboard, which override the configuration file", () => {
    const pruneDb = join(tempDir(), "moat.db");
    const store = openStore(pruneDb);
    const benign: Verdict = { ...threat, score: 0.01, isAnomaly: false, attackType: null, severity: "none" };
    const requests = Array.from({ length: 2500 }, (_, i) => request(`/page/${i}`, now - 60_000 + i));
    new StoreWriter(store).write({ requests, verdicts: requests.map(() => benign) });
    // What PUT /api/settings/retention stores (src/services/runtime-settings.ts): the config file says 1,000,000.
    writeSetting(store, "retention", { traffic_rows: 1000, max_age_days: 30, max_db_mb: 2048 }, now);
    store.close();
    const r = runCli(["db", "prune", "--db", pruneDb, "-c", "/dev/null"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toStartWith("deleted 1500 traffic rows");
    const after = openStore(pruneDb);
    expect(after.sqlite!.query<{ n: number }, []>("select count(*) as n from traffic").get()!.n).toBe(1000);
    after.close();
  });
});
