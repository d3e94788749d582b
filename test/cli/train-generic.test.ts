/** `moat train --generic`: calibrated as the shipped model is unless told otherwise; a folder it cannot calibrate on is refused at once. */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_GENERIC_BUILD } from "../../src/training/generic/build.ts";
import { runCli } from "../helpers/cli.ts";
import { miniDatasets } from "../helpers/mini-datasets.ts";
import { tempDir } from "../helpers/tmp.ts";

test("a folder without benign requests to calibrate on is a data error, before any training", () => {
  const empty = tempDir();
  const r = runCli(["train", "--generic", "--data", empty, "--out", join(empty, "out")]);
  expect(r.code).toBe(65);
  expect(r.stderr).toContain("holds no benign requests to calibrate the threshold on");
  expect(r.stderr).not.toContain("    at ");
});

test("without --target-fpr the threshold is calibrated to the shipped model's rate, not a site model's", () => {
  const out = join(tempDir(), "generic");
  const r = runCli(["train", "--generic", "--data", miniDatasets(), "--out", out]);
  expect([r.code, r.stderr.includes("internal error")]).toEqual([0, false]);
  const card = readFileSync(join(out, "MODEL_CARD.md"), "utf8");
  expect(card).toContain(`calibrated for a false-positive rate of ${DEFAULT_GENERIC_BUILD.targetFpr} per request`);
  // What the threshold rests on is shown: calibration's highest scores, highest first.
  const top = /Its highest scores were ([\d., ]+):/.exec(card)![1]!.split(", ").map(Number);
  expect(top.length).toBeGreaterThan(0);
  expect(top).toEqual([...top].sort((a, b) => b - a));
}, 180_000);
