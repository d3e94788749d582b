/** The detection commands end to end: train a site model from a log, scan, check and eval with it. */
import { describe, expect, test } from "bun:test";
import { statSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { shopLogLines } from "../helpers/site-traffic.ts";

const dir = tempDir();
const trainLog = join(dir, "train.log");
writeFileSync(trainLog, shopLogLines(3000, 5).join("\n") + "\n");
const modelDir = join(dir, "model");
const attackLine = '203.0.113.9 - - [24/Nov/2026:12:00:00 +0000] "GET /products?id=1%27%20UNION%20SELECT%20password%20FROM%20users--&color=red HTTP/1.1" 200 10 "-" "sqlmap/1.8"';

describe("moat train / scan / check / eval", () => {
  test("train --from writes a site model and prints its calibration", () => {
    const r = runCli(["train", "--from", trainLog, "--out", modelDir, "--target-fpr", "0.01"]);
    expect(r.code).toBe(0);
    expect(existsSync(join(modelDir, "site.onnx"))).toBe(true);
    // Learned from the site's traffic: the model directory is its user's alone.
    expect((statSync(modelDir).mode & 0o777).toString(8)).toBe("700");
    expect(r.stdout).toMatch(/threshold\s+0\.\d+ for target FPR 0\.01/);
    expect(r.stdout).toMatch(/calibration FPR\s+\d+\.\d+% on \d+ held-out requests/);
  });

  test("scan --ndjson adds score, isAnomaly, attackType and reasons; the summary counts attack types", () => {
    const log = join(dir, "mixed.log");
    writeFileSync(log, [...shopLogLines(50, 77), attackLine].join("\n") + "\n");
    const r = runCli(["scan", log, "--model", modelDir, "--ndjson"]);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(rows).toHaveLength(51);
    const last = rows[50];
    expect(last).toMatchObject({ isAnomaly: true, attackType: "sqli" });
    expect(last.reasons[0]).toMatchObject({ field: "query.id", detector: "generic" });
    for (const row of rows) {
      expect(row.score).toBeWithin(0, 1 + Number.EPSILON);
      expect(typeof row.isAnomaly).toBe("boolean");
    }
    expect(r.stderr).toMatch(/flagged\s+\d+ of 51/);
    expect(r.stderr).toMatch(/sqli\s+1/);
  });

  test("check exits 1 for an attack and 0 for a benign request; --json gives the verdict", () => {
    const bad = runCli(["check", "--json", "GET /products?id=1%20or%201%3D1--&color=red", "--model", modelDir]);
    expect(bad.code).toBe(1);
    const { verdict } = JSON.parse(bad.stdout);
    expect(verdict).toMatchObject({ isAnomaly: true, attackType: "sqli" });
    // The site model's scores are mapped onto the generic model's scale: its threshold decides, and the site model is in the version.
    const site = JSON.parse(runCli(["model", "info", modelDir]).stdout) as { threshold: number; version: string };
    expect(verdict).toMatchObject({ modelVersion: expect.stringContaining(site.version) });
    expect(verdict.score).toBeGreaterThanOrEqual(verdict.threshold);
    const good = runCli(["check", "GET /products?id=42&color=red", "--model", modelDir]);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain("verdict   benign");
    expect(runCli(["check", "GET /search?q=hello"]).stdout).toContain("reasons   none");
    const raw = join(dir, "req.txt");
    writeFileSync(raw, "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nuser=admin%27--&pw=x\r\n");
    expect(runCli(["check", "--file", raw]).code).toBe(1);
    expect(runCli(["check", "GET /x", "--threshold", "7"]).code).toBe(2);
    expect(runCli(["check", "GET /x", "--model", join(dir, "missing")]).code).toBe(66);
  });

  test("eval with --benign/--attacks writes JSON and Markdown with the metrics", () => {
    const benign = join(dir, "benign.log");
    const attacks = join(dir, "attacks.log");
    writeFileSync(benign, shopLogLines(400, 123).join("\n") + "\n");
    writeFileSync(attacks, Array.from({ length: 20 }, () => attackLine).join("\n") + "\n");
    const out = join(dir, "report");
    const r = runCli(["eval", "--model", modelDir, "--benign", benign, "--attacks", attacks, "--out", out]);
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(`${out}.json`, "utf8"));
    expect(report.overall).toMatchObject({ n: 420, tp: 20, fn: 0 });
    expect(report.overall.fpr).toBeLessThan(0.05);
    expect(report.overall.auc).toBeGreaterThan(0.95);
    expect(readFileSync(`${out}.md`, "utf8")).toContain("| overall | 420 | 100.00% |");
  });

  test("eval --labels checks that labels and requests line up", () => {
    const labels = join(dir, "labels");
    writeFileSync(labels, "0\n1\n");
    const r = runCli(["eval", join(dir, "train.log"), "--labels", labels]);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain("has 2 labels for 3000 requests");
  });

  test("train --payloads and eval --inject refuse a folder without payload lists", () => {
    const empty = tempDir();
    const train = runCli(["train", "--from", trainLog, "--out", join(dir, "unused"), "--payloads", empty]);
    expect(train.code).toBe(66);
    expect(train.stderr).toContain(`no payload lists found in ${empty}`);
    expect(existsSync(join(dir, "unused", "site.onnx"))).toBe(false);
    const evaluated = runCli(["eval", "--benign", trainLog, "--inject", empty]);
    expect(evaluated.code).toBe(66);
    expect(evaluated.stderr).toContain(`no payload lists found in ${empty}`);
  });
});
