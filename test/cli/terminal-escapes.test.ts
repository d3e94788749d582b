/**
 * Attacker text never drives the terminal: ESC sequences (colour, window title), CR, C1 controls, DEL
 * and bidi overrides from a log line, a request, a key name, a ban reason or a model file come out of
 * every command as visible escapes, and a line break in them cannot forge a line of output. JSON
 * output stays the exact JSON of the data.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, type RunResult } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { openStore } from "../../src/store/db.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { rawHttpParser } from "../../src/parse/raw-http.ts";
import { exportDenseLogisticOnnx } from "../../src/detect/onnx/dense.ts";
import { SITE_META_KEY } from "../../src/detect/site/model.ts";
import type { HttpRequest } from "../../src/core/http-request.ts";
import type { Verdict } from "../../src/detect/verdict.ts";

/** Red text, a new window title (OSC ... BEL), a carriage return, C1 CSI, DEL, bidi override and isolate, and a line break. */
const HOSTILE = "\x1b[31mred\x1b]0;pwned\x07\rCR\u009b1m\x7f\u202eevil\u2066\nFORGED";
/** Every character that must not reach the terminal raw (LF only as the end of a line of output). */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function expectHarmless(r: RunResult): void {
  for (const text of [r.stdout, r.stderr]) {
    const raw = RAW.exec(text)?.[0];
    expect(raw === undefined ? "nothing raw" : `raw U+${raw.charCodeAt(0).toString(16).padStart(4, "0")}`).toBe("nothing raw");
    expect(text.split("\n").filter((l) => l.startsWith("FORGED"))).toEqual([]);
  }
}

const dir = tempDir("moat-escapes-");
/** What nginx writes for control bytes in a request line (\xHH), which the parser decodes back to the bytes. */
const nginxEscaped = '"GET /a\\x1B[31mred\\x1B]0;pwned\\x07\\x0DCR\\x7F HTTP/1.1"';
const combined = `10.0.0.1 - - [24/Nov/2026:11:54:54 +0000] ${nginxEscaped} 200 3 "-" "ua"`;
const rawBytes = `10.0.0.2 - - [24/Nov/2026:11:54:55 +0000] "GET /b\x1b[31mraw\rCR\u202ebidi\u009b1m HTTP/1.1" 200 3 "-" "ua"`;

describe("moat scan", () => {
  const logs = join(dir, "logs");
  mkdirSync(logs);
  // A directory of logs can hold any file name: this one carries ESC, a bidi override and a line break.
  const oddName = join(logs, "x\x1b[2J\u202e\nFORGED.log");
  writeFileSync(join(logs, "access.log"), [combined, rawBytes, `broken \x1b]0;title\x07 line \u202e`].join("\n") + "\n");
  writeFileSync(oddName, combined + "\n");
  // A JSON log's escapes decode to any character, the line break included.
  const jsonLog = join(dir, "json.log");
  writeFileSync(jsonLog, JSON.stringify({ time: "2026-11-24T11:54:54+00:00", remote_addr: "10.0.0.3", method: "GET", uri: `/j${HOSTILE}`, protocol: "HTTP/1.1", status: 200 }) + "\n");
  const notALog = join(dir, "not-a-log.txt");
  writeFileSync(notALog, `${HOSTILE}\nmore\n`);

  test("the summary shows every control character as an escape, with detection on", () => {
    const r = runCli(["scan", logs, jsonLog, notALog]);
    expect(r.code).toBe(65); // not-a-log.txt fits no format
    expectHarmless(r);
    expect(r.stdout).toContain("/a\\x1b[31mred\\x1b]0;pwned\\x07\\rCR\\x7f");
    expect(r.stdout).toContain("/b\\x1b[31mraw\\rCR\\u202ebidi\\x9b1m");
    expect(r.stdout).toContain("/j\\x1b[31mred\\x1b]0;pwned\\x07\\rCR\\x9b1m\\x7f\\u202eevil\\u2066"); // cut at 60 characters
    expect(r.stdout).toContain("x\\x1b[2J\\u202e\\nFORGED.log (combined)");
    expect(r.stdout).toContain("rejected in");
    expect(r.stderr).toContain("not-a-log.txt: no known format fits");
  });

  test("--json and --ndjson are exact JSON of the data, with nothing raw in them", () => {
    const json = runCli(["scan", jsonLog, "--json", "--no-detect"]);
    expectHarmless(json);
    expect(JSON.parse(json.stdout).topPaths).toEqual([[`/j${HOSTILE}`, 1]]);
    const ndjson = runCli(["scan", jsonLog, "--ndjson"]);
    expectHarmless(ndjson);
    expect(JSON.parse(ndjson.stdout).path).toBe(`/j${HOSTILE}`);
    expect(ndjson.stdout).toContain("\\u202e"); // JSON's own escape: still the same string
  });
});

describe("moat explain and moat check", () => {
  test("explain shows a hostile line's fields escaped, and where an unreadable one fails", () => {
    const ok = runCli(["explain", rawBytes]);
    expect(ok.code).toBe(0);
    expectHarmless(ok);
    expect(ok.stdout).toContain("\\u202ebidi");
    const bad = runCli(["explain", "--format", "combined", `10.0.0.1 - - [24/Nov/2026:11:54:54 +0000] "GET /\u202e\x1b]0;t\x07 HTTP/1.1" OK 3 "-" "ua"`]);
    expect(bad.code).toBe(65);
    expectHarmless(bad);
    // The caret still points under the failing column once the escapes widen the text.
    const [snippet, caret] = bad.stderr.trimEnd().split("\n").slice(-2);
    expect(caret!.indexOf("^")).toBe(snippet!.indexOf(" OK 3") + 1);
  });

  test("check prints the request and the evidence escaped", () => {
    const r = runCli(["check", `10.0.0.1 - - [24/Nov/2026:11:54:54 +0000] "GET /a\\x1B]0;pwned\\x07?q=<script>alert(1)</script>\\x1B[31m HTTP/1.1" 200 3 "-" "ua"`]);
    expect(r.code).toBe(1);
    expectHarmless(r);
    expect(r.stdout).toContain("GET /a\\x1b]0;pwned\\x07?q=<script>alert(1)</script>\\x1b[31m");
  });
});

describe("stored attacker text: bans, API keys, exports, model files, doctor", () => {
  const db = join(dir, "moat.db");
  const config = join(dir, "moat.toml");
  writeFileSync(config, `[storage]\ndata_dir = "${dir}"\n\n[ban]\nfile = "${join(dir, "deny.conf")}"\n`);

  test("ban add and ban list", () => {
    const add = runCli(["ban", "add", "203.0.113.7", "--reason", `path ${HOSTILE}`, "--config", config, "--db", db]);
    expect(add.code).toBe(0);
    expectHarmless(add);
    const list = runCli(["ban", "list", "--config", config, "--db", db]);
    expectHarmless(list);
    expect(list.stdout).toContain("path \\x1b[31mred\\x1b]0;pwned\\x07\\rCR\\x9b1m\\x7f\\u202eevil\\u2066\\nFORGED");
    const json = runCli(["ban", "list", "--json", "--config", config, "--db", db]);
    expectHarmless(json);
    expect(JSON.parse(json.stdout)[0].reason).toBe(`path ${HOSTILE}`);
  });

  test("apikey create, list and revoke", () => {
    const create = runCli(["apikey", "create", `ci ${HOSTILE}`, "--db", db, "-c", "/dev/null"]);
    expect(create.code).toBe(0);
    expectHarmless(create);
    const list = runCli(["apikey", "list", "--db", db, "-c", "/dev/null"]);
    expectHarmless(list);
    expect(list.stdout).toContain("ci \\x1b[31mred");
    const revoke = runCli(["apikey", "revoke", "1", "--db", db, "-c", "/dev/null"]);
    expect(revoke.code).toBe(0);
    expectHarmless(revoke);
  });

  test("db export: CSV has one line a threat with the controls escaped; NDJSON keeps the exact text", () => {
    const exportDb = join(dir, "export.db");
    const store = openStore(exportDb);
    const request: HttpRequest = { ...(rawHttpParser.parse("GET /x?id=1 HTTP/1.1\nHost: x\n", { source: "t", line: 1 }) as HttpRequest), path: `/x${HOSTILE}`, query: `id=1'--${HOSTILE}`, time: Date.now(), clientIp: "203.0.113.9" };
    const verdict: Verdict = { score: 0.99, isAnomaly: true, threshold: 0.5, attackType: "sqli", severity: "critical", reasons: [], modelVersion: "m" };
    new StoreWriter(store).write({ requests: [request, request], verdicts: [verdict, verdict] });
    store.close();
    const csv = runCli(["db", "export", "--format", "csv", "--db", exportDb, "-c", "/dev/null"]);
    expect(csv.code).toBe(0);
    expectHarmless(csv);
    const lines = csv.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain("/x\\x1b[31mred\\x1b]0;pwned\\x07\\rCR\\x9b1m\\x7f\\u202eevil\\u2066\\nFORGED");
    const out = join(dir, "threats.csv");
    expect(runCli(["db", "export", "--format", "csv", "--db", exportDb, "-c", "/dev/null", "--out", out]).code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(csv.stdout);
    const ndjson = runCli(["db", "export", "--db", exportDb, "-c", "/dev/null"]);
    expectHarmless(ndjson);
    expect(JSON.parse(ndjson.stdout.split("\n")[0]!).request.path).toBe(`/x${HOSTILE}`);
  });

  test("model list and model info on a model file whose metadata is hostile", () => {
    const modelDir = join(dir, "model");
    mkdirSync(modelDir);
    const meta = { kind: "site", version: `v${HOSTILE}`, threshold: 0.5, trainedAt: `t${HOSTILE}`, calibration: { trainingRequests: 1 } };
    writeFileSync(join(modelDir, "site.onnx"), exportDenseLogisticOnnx({ w: Float32Array.of(1), b: 0 }, { [SITE_META_KEY]: JSON.stringify(meta) }));
    const list = runCli(["model", "list", modelDir]);
    expect(list.code).toBe(0);
    expectHarmless(list);
    expect(list.stdout).toContain("v\\x1b[31mred");
  });

  test("doctor quotes a log's first line and path escaped", () => {
    const log = join(dir, `odd\x1b[2J.log`);
    writeFileSync(log, `${HOSTILE}\n`);
    const r = runCli(["doctor", "--log", log, "--db", join(dir, "doctor.db"), "-c", "/dev/null", "--port", "0", "--nginx", "127.0.0.1:1"]);
    expectHarmless(r);
    expect(r.stdout).toContain("odd\\x1b[2J.log");
    expect(r.stdout).toContain("\\u202eevil");
  });
});
