/** moat scan over many inputs and damaged ones: every input is accounted for, and the scan always ends with its summary. */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { CLI, ROOT, runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

const line = (i: number) => `10.0.0.${i % 250} - - [24/Nov/2026:11:54:54 +0000] "GET /item/${i}?q=${i} HTTP/1.1" 200 3 "-" "ua"`;
const logText = (from: number, count: number) => Array.from({ length: count }, (_, i) => line(from + i)).join("\n") + "\n";

describe("moat scan given 1,000 explicit paths", () => {
  test("judges every file and exits 0 with the right total (the command line is far over onnxruntime's old 29 KB limit)", () => {
    // Long names as in a real log archive: about 90 KB of arguments. onnxruntime's telemetry, on by
    // default, recursed over the whole command line and died with SIGSEGV (exit 139) from about 29 KB.
    const dir = join(tempDir("moat-many-"), "var-log-nginx-archive-of-www.shop.example", "2026-11");
    mkdirSync(dir, { recursive: true });
    const paths = Array.from({ length: 1000 }, (_, i) => join(dir, `access-www.shop.example-2026-11-24-part-${String(i).padStart(4, "0")}.log`));
    paths.forEach((p, i) => writeFileSync(p, logText(i * 2, 2)));
    expect(paths.join(" ").length).toBeGreaterThan(60_000);
    const r = runCli(["scan", ...paths, "--json"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ requests: 2000, rejected: 0, failedInputs: [], detection: { flagged: 0 } });
    expect(s.inputs).toHaveLength(1000);
  }, 120_000);

  test("onnxruntime's telemetry stays off: no device id under HOME, no /tmp/mat-debug-<pid>.log", () => {
    const home = tempDir("moat-home-");
    const r = Bun.spawnSync([process.execPath, CLI, "check", "--json", "GET /?q=1"], { cwd: ROOT, env: { ...process.env, HOME: home }, stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout.toString()).verdict.isAnomaly).toBe(false);
    expect(existsSync(join(home, ".cache", "Microsoft"))).toBe(false);
    expect(existsSync(join(tmpdir(), `mat-debug-${r.pid}.log`))).toBe(false);
    expect(existsSync(`/tmp/mat-debug-${r.pid}.log`)).toBe(false);
  });
});

describe("moat scan with a damaged .gz among good files", () => {
  const dir = tempDir("moat-gz-");
  const good1 = join(dir, "a-good.log");
  const good2 = join(dir, "d-good.log.gz");
  writeFileSync(good1, logText(0, 10));
  writeFileSync(good2, gzipSync(logText(100, 10)));
  // 1,000 whole lines compressed, cut at half: gunzip gives a good first part, then "unexpected end of file".
  const full = gzipSync(logText(1000, 1000));
  const truncated = join(dir, "b-truncated.log.gz");
  writeFileSync(truncated, full.subarray(0, full.length >> 1));
  // A gzip header followed by bytes that are no deflate stream.
  const garbage = join(dir, "c-garbage.log.gz");
  writeFileSync(garbage, Buffer.concat([full.subarray(0, 10), Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 97 + 13) % 256))]));

  test("each damaged input is counted as failed with its reason; the others are read, the summary printed, exit 65", () => {
    const r = runCli(["scan", good1, truncated, garbage, good2, "--json", "--no-detect"]);
    expect(r.code).toBe(65);
    const s = JSON.parse(r.stdout);
    expect(s.failedInputs.map((f: { source: string }) => f.source)).toEqual([truncated, garbage]);
    const [cut, bad] = s.failedInputs.map((f: { error: string }) => f.error);
    expect(cut).toStartWith(`${truncated}: the gzip data is truncated or corrupt (unexpected end of file); lines 1-`);
    expect(bad).toMatch(/^.*c-garbage\.log\.gz: the gzip data is truncated or corrupt \(.+\); no line could be read$/);
    // The complete lines of the truncated file's good part count; its cut last line does not.
    const readFromCut = Number(/lines 1-(\d+) were read$/.exec(cut)![1]);
    expect(readFromCut).toBeGreaterThan(100);
    expect(readFromCut).toBeLessThan(1000);
    expect(s.requests).toBe(10 + readFromCut + 10);
    expect(s.rejected).toBe(0);
    expect(s.inputs.map((i: { source: string }) => i.source)).toEqual([good1, truncated, good2]);
    expect(r.stderr).toContain(`moat: ${truncated}: the gzip data is truncated or corrupt`);
    expect(r.stderr).toContain(`moat: ${garbage}: the gzip data is truncated or corrupt`);
  });

  test("a truncated gzip on stdin too", () => {
    const r = runCli(["scan", "-", "--json", "--no-detect"], { stdin: full.subarray(0, full.length >> 1) });
    expect(r.code).toBe(65);
    const s = JSON.parse(r.stdout);
    expect(s.failedInputs).toEqual([{ source: "stdin", error: expect.stringMatching(/^stdin: the gzip data is truncated or corrupt \(unexpected end of file\); lines 1-\d+ were read$/) }]);
    expect(s.requests).toBeGreaterThan(100);
  });

  test("the human summary names the failed inputs", () => {
    const r = runCli(["scan", good1, truncated, good2, "--no-detect"]);
    expect(r.code).toBe(65);
    expect(r.stdout).toStartWith("requests   ");
    expect(r.stdout).toContain(`failed     ${truncated}: the gzip data is truncated or corrupt (unexpected end of file); lines 1-`);
    expect(r.stdout).not.toContain("internal error");
  });
});
