/** `moat eval` on the named evaluation sets: the CRS tests and blazehttp's traffic, each report naming its split. */
import { describe, expect, test } from "bun:test";
import { dirname } from "node:path";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { blazeFixture, crsFixture } from "../training/eval/fixtures.ts";

describe("moat eval --crs-tests / --blazehttp", () => {
  test("--crs-tests prints the family, no-expect and placement tables of the split it used", () => {
    const r = runCli(["eval", "--crs-tests", crsFixture()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("## OWASP CRS regression tests, split: all");
    expect(r.stdout).toMatch(/\| 942 SQLi \| 2 \| [012] \| [\d.]+% \| 1 \|/);
    expect(r.stdout).toContain("### Protocol/other families");
    expect(r.stdout).toMatch(/\| no-expect tests \| 1 \|/);
    expect(r.stdout).toMatch(/\| json \| 1 \|/);
    expect(r.stdout).toMatch(/\| multipart \| 1 \|/);
    expect(r.stdout).toContain("malformed 942100-4");
  });

  test("--blazehttp measures one side's sites", () => {
    const r = runCli(["eval", "--blazehttp", blazeFixture(), "--split", "test"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("## blazehttp benign traffic, split: test");
    expect(r.stdout).toMatch(/\| 2 \| 1 \| [01] \| [\d.]+% \| [01] \| 2 \|/);
  });

  test("--blazehttp takes the folder that holds the requests file too; a folder without it is a clear error", () => {
    const r = runCli(["eval", "--blazehttp", dirname(blazeFixture()), "--split", "test"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("## blazehttp benign traffic, split: test");
    const empty = runCli(["eval", "--blazehttp", tempDir("moat-blaze-empty-")]);
    expect(empty.code).toBe(66);
    expect(empty.stderr).toContain("blazehttp requests file in the folder not found");
  });

  test("false positives are listed for the dev sites only", () => {
    const r = runCli(["eval", "--blazehttp", blazeFixture(), "--split", "test", "--show-fp", "5"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("the test sites are for measuring, not for tuning");
    expect(runCli(["eval", "--blazehttp", blazeFixture(), "--show-fp", "5"]).code).toBe(2); // the default split is all
  });

  test("a split other than dev, test or all, and a site model for the whole scorecard, are usage errors", () => {
    expect(runCli(["eval", "--crs-tests", crsFixture(), "--split", "train"]).stderr).toContain("--split must be one of dev, test, all");
    const r = runCli(["eval", "--datasets", crsFixture(), "--model", "/nonexistent"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--csic-model");
  });
});
