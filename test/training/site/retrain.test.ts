/** Retraining: the regression gate's rule, and a retrain through the CLI that keeps the old model for rollback. */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gateVerdict } from "../../../src/training/site/retrain.ts";
import { promote, rejectedPath, siteModelFiles } from "../../../src/detect/site/model-dir.ts";
import { runCli } from "../../helpers/cli.ts";
import { tempDir } from "../../helpers/tmp.ts";
import { shopLogLines } from "../../helpers/site-traffic.ts";

describe("regression gate", () => {
  const live = { version: "live", fpr: 0.002, tpr: 0.98 };
  test("passes when the candidate is no worse on both counts", () => {
    expect(gateVerdict(live, { version: "c", fpr: 0.002, tpr: 0.99 })).toEqual({ pass: true, failures: [] });
    expect(gateVerdict(null, { version: "c", fpr: 0.5, tpr: 0 }).pass).toBe(true);
  });
  test("fails on a higher FPR or a lower TPR, and says which", () => {
    const worse = gateVerdict(live, { version: "c", fpr: 0.003, tpr: 0.97 });
    expect(worse.pass).toBe(false);
    expect(worse.failures).toHaveLength(2);
    expect(worse.failures[0]).toContain("false-positive rate on held-out recent traffic rose from 0.200% to 0.300%");
    expect(worse.failures[1]).toContain("detection rate on the attack corpus fell from 98.00% to 97.00%");
  });
});

describe("a site model directory", () => {
  test("promote keeps every replaced model, even when a version comes back; the listing names each file's state", () => {
    const dir = tempDir();
    const bytes = (v: string) => new TextEncoder().encode(v);
    promote(dir, bytes("A"), "a");
    promote(dir, bytes("B"), "b"); // keeps A as 00000001-replaced-before-b
    promote(dir, bytes("A"), "a"); // keeps B as 00000002-replaced-before-a
    promote(dir, bytes("B"), "b"); // keeps A again, as 00000003-replaced-before-b: the sequence makes every name new
    const history = readdirSync(join(dir, "history")).sort();
    expect(history).toEqual(["00000001-replaced-before-b.onnx", "00000002-replaced-before-a.onnx", "00000003-replaced-before-b.onnx"]);
    expect(history.map((f) => readFileSync(join(dir, "history", f), "utf8"))).toEqual(["A", "B", "A"]);
    writeFileSync(rejectedPath(dir, "c"), "C");
    expect(siteModelFiles(dir).map((f) => f.state)).toEqual(["live", "replaced", "replaced", "replaced", "rejected"]);
    expect(siteModelFiles(dir, 1).map((f) => f.state)).toEqual(["live", "replaced", "rejected"]);
    expect(siteModelFiles(join(dir, "missing"))).toEqual([]);
  });
});

describe("moat train over a live model", () => {
  test("gates the candidate, promotes it, keeps the old one, and model rollback restores it", () => {
    const dir = tempDir();
    const model = join(dir, "model");
    writeFileSync(join(dir, "a.log"), shopLogLines(2500, 11).join("\n") + "\n");
    writeFileSync(join(dir, "b.log"), shopLogLines(2500, 12).join("\n") + "\n");
    expect(runCli(["train", "--from", join(dir, "a.log"), "--out", model]).code).toBe(0);
    const first = readFileSync(join(model, "site.onnx"));
    const second = runCli(["train", "--from", join(dir, "b.log"), "--out", model]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/regression gate on \d+ held-out recent requests and \d+ attacks/);
    expect(second.stdout).toContain("passed");
    expect(readFileSync(join(model, "site.onnx")).equals(first)).toBe(false);
    expect(readdirSync(join(model, "history"))).toHaveLength(1);
    const list = runCli(["model", "list", model]).stdout.trim().split("\n").slice(1); // after the header row
    expect(list.map((l) => l.split(/\s+/)[0])).toEqual(["live", "replaced"]);
    const info = JSON.parse(runCli(["model", "info", model]).stdout);
    // The live profile's endpoints are the ones its training counted (the shop fixture has at least 9).
    // Checked before toMatchObject: Bun 1.4.5's toMatchObject writes `expect.any(Number)` into `info`.
    expect(info.endpoints).toBe(info.calibration.endpoints);
    expect(info.endpoints).toBeGreaterThanOrEqual(9);
    expect(info).toMatchObject({ kind: "site", endpoints: expect.any(Number) });
    const secondModel = readFileSync(join(model, "site.onnx"));
    const back = runCli(["model", "rollback", model]);
    expect(back.code).toBe(0);
    expect(readFileSync(join(model, "site.onnx")).equals(first)).toBe(true);
    // The model the rollback replaced is kept: a second rollback undoes the first.
    expect(runCli(["model", "rollback", model]).code).toBe(0);
    expect(readFileSync(join(model, "site.onnx")).equals(secondModel)).toBe(true);
    expect(readdirSync(join(model, "history"))).toHaveLength(1);
  });
});
