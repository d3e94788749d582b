import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { runCli } from "../helpers/cli.ts";
import { buildProgram } from "../../cli/index.ts";
import { tempDir } from "../helpers/tmp.ts";

const dir = tempDir();
const lines = [
  '10.0.0.1 - - [24/Nov/2026:11:54:54 +0000] "GET /a?q=1 HTTP/1.1" 200 3 "-" "ua"',
  '10.0.0.2 - - [24/Nov/2026:11:54:55 +0000] "POST /login HTTP/1.1" 302 0 "-" "ua"',
  "this line is broken",
  '10.0.0.1 - - [24/Nov/2026:11:54:56 +0000] "GET /a?q=2 HTTP/1.1" 404 9 "-" "ua"',
];
const log = join(dir, "access.log");
writeFileSync(log, lines.join("\n") + "\n");

describe("moat scan", () => {
  test("--ndjson writes one object per request in input order; the summary goes to stderr", () => {
    const r = runCli(["scan", log, "--ndjson"]);
    expect(r.code).toBe(0);
    const objs = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(objs.map((o) => [o.clientIp, o.method, o.path, o.query, o.status, o.origin.line])).toEqual([
      ["10.0.0.1", "GET", "/a", "q=1", 200, 1],
      ["10.0.0.2", "POST", "/login", "", 302, 2],
      ["10.0.0.1", "GET", "/a", "q=2", 404, 4],
    ]);
    expect(r.stderr).toContain("rejected   1");
    expect(r.stderr).toContain("line 3:");
  });

  test("--json summary: totals, parse errors, methods, statuses, top paths and clients", () => {
    const r = runCli(["scan", log, "--json", "--top", "1"]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ requests: 3, rejected: 1, topPaths: [["/a", 2]], topClients: [["10.0.0.1", 2]], inputs: [{ source: log, format: "combined" }] });
    expect(s.methods).toEqual([["GET", 2], ["POST", 1]]);
    expect(s.statuses).toEqual([["200", 1], ["302", 1], ["404", 1]]);
    expect(s.rejectedBySource[0]).toMatchObject({ count: 1, samples: [{ line: 3, text: "this line is broken" }] });
  });

  test("reads gzip from stdin", () => {
    const r = runCli(["scan", "-", "--json"], { stdin: gzipSync(lines.join("\n")) });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ requests: 3, inputs: [{ source: "stdin", format: "combined" }] });
  });

  test("exit codes: missing input 66, bad flag 2, unknown format 65", () => {
    const missing = runCli(["scan", join(dir, "nope.log")]);
    expect(missing.code).toBe(66);
    expect(missing.stderr).toContain("nope.log: no such file");
    expect(runCli(["scan", log, "--format", "xml"]).code).toBe(2);
    expect(runCli(["scan", log, "--top", "zero"]).code).toBe(2);
    expect(runCli(["scan"]).code).toBe(2);
    for (const args of [["db", "stats", "--bogus"], ["model", "list"], ["apikey", "revoke"]]) expect([args, runCli(args).code]).toEqual([args, 2]);
    const odd = join(dir, "odd.txt");
    writeFileSync(odd, "hello\nworld\n");
    const unknown = runCli(["scan", odd]);
    expect(unknown.code).toBe(65);
    expect(unknown.stderr).toContain("tried json, combined, main, vhost-combined, apache, raw-http");
    expect(unknown.stderr).toContain('"hello"');
  });

  test("an unusable format or an unreadable request is a clear error, never an internal one", () => {
    for (const args of [["scan", log, "--format", "nginx"], ["check", "--format", "nginx", "GET /x"], ["explain", "--format", "nginx", "x"]]) {
      const r = runCli(args);
      expect([args[0], r.code, r.stderr]).toEqual([args[0], 2, "moat: --format nginx needs --log-format '<the log_format string from nginx.conf>'\n"]);
    }
    expect(runCli(["scan", log, "--log-format", "no variables"]).stderr).toBe('moat: log format "no variables" has no $variables\n');
    const unreadable = runCli(["check", "hello world"]);
    expect(unreadable.code).toBe(65);
    expect(unreadable.stderr).toStartWith("moat: check: no known format fits (tried json, combined, main, vhost-combined, apache, raw-http)");
  });

  test("--log-format with a custom nginx format", () => {
    const custom = join(dir, "custom.log");
    writeFileSync(custom, '1.2.3.4|shop.example|GET /x?y=1 HTTP/1.1|200|0.004\n');
    const r = runCli(["scan", custom, "--ndjson", "--log-format", "$remote_addr|$host|$request|$status|$request_time"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ host: "shop.example", path: "/x", requestTime: 0.004 });
  });

  test("--help on every command", () => {
    const commands = buildProgram().commands.flatMap((c) => [[c.name()], ...c.commands.map((sub) => [c.name(), sub.name()])]);
    expect(commands.length).toBeGreaterThan(12);
    for (const names of [[], ...commands]) {
      const r = runCli([...names, "--help"]);
      expect([names, r.code]).toEqual([names, 0]);
      // A command with an alias is shown as `name|alias` (moat decisions|ban).
      expect(r.stdout).toMatch(new RegExp(`^Usage: moat${names.map((n) => ` ${n}(\\|[\\w-]+)?`).join("")} `));
    }
  }, 60_000); // one CLI process per command: slow on a loaded machine
});

describe("moat explain", () => {
  test("shows each field with its span, and the request", () => {
    const r = runCli(["explain", lines[0]!]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("format: combined");
    expect(r.stdout).toMatch(/\$status\s+64-67\s+"200"/);
    expect(r.stdout).toContain('"query": "q=1"');
  });
  test("points at the column where parsing failed, per candidate format", () => {
    const r = runCli(["explain", '10.0.0.1 - - [24/Nov/2026:11:54:54 +0000] "GET / HTTP/1.1" OK 3 "-" "ua"', "--format", "combined"]);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain("expected $status (a 3-digit status) at column 59");
    expect(r.stderr).toContain("^ here (column 59)");
    const auto = runCli(["explain", "nonsense"]);
    expect(auto.code).toBe(65);
    expect(auto.stderr).toContain("json: not valid JSON");
    expect(auto.stderr).toContain("combined: expected");
  });
  test("reads a raw HTTP request from stdin", () => {
    const r = runCli(["explain", "--format", "raw-http"], { stdin: "POST /f HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\na=%3Cscript%3E\r\n" });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("header host");
    expect(r.stdout).toContain('"value": "<script>"');
  });
});

describe("the quick start's bundled sample", () => {
  test("assets/samples/access.log is in the project and scans cleanly, with its attacks flagged by type", () => {
    const r = runCli(["scan", join(import.meta.dir, "../../assets/samples/access.log"), "--json"]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.requests).toBe(240);
    expect(s.rejected).toBe(0);
    const types = new Map<string, number>(s.detection.byAttackType);
    for (const t of ["sqli", "xss", "traversal", "cmdi", "log4shell", "scanner"]) expect(types.get(t)).toBeGreaterThan(0);
  });
});
