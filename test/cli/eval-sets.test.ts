/** `moat eval` on the named evaluation sets: the CRS tests and blazehttp's traffic, each report naming its split. */
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
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

  test("--placements puts the payload lists' test split in every part of a request and every spelling", () => {
    const dir = tempDir("moat-placements-");
    mkdirSync(join(dir, "payloads"));
    // Enough distinct lines that both classes keep some on the test side of the content split.
    writeFileSync(join(dir, "payloads", "sqli.txt"), Array.from({ length: 40 }, (_, i) => `${i}' UNION SELECT password FROM users${i}--`).join("\n"));
    writeFileSync(join(dir, "payloads", "xss.txt"), Array.from({ length: 40 }, (_, i) => `<img src=x onerror=alert(${i})>`).join("\n"));
    const r = runCli(["eval", "--placements", dir, "--per-class", "3"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("## Payloads in every part of a request, in every spelling");
    expect(r.stdout).toContain("classes: sqli, xss");
    for (const row of ["query", "path segment", "header", "cookie", "urlencoded", "JSON", "multipart", "XML", "SOAP", "GraphQL"]) expect(r.stdout).toMatch(new RegExp(`\\| ${row} \\| [\\d.]+% \\(\\d/6\\)`));
    expect(r.stdout).toMatch(/\| all \| [\d.]+% \(\d+\/60\) \|/);
    expect(r.stdout).toContain("### By class, over every placement");
    expect(r.stdout).toMatch(/\| sqli \| [\d.]+% \(\d+\/30\) \|/);
    // These payloads are plain attacks: the shipped model finds them in the query as sent.
    expect(r.stdout).toMatch(/\| query \| 100\.0% \(6\/6\)/);
  });

  test("--placements measures the test split only, and needs payload lists", () => {
    expect(runCli(["eval", "--placements", crsFixture(), "--split", "dev"]).code).toBe(2);
    const none = runCli(["eval", "--placements", tempDir("moat-placements-none-")]);
    expect(none.code).toBe(66);
    expect(none.stderr).toContain("no payload list");
    expect(runCli(["eval", "--placements", crsFixture(), "--per-class", "0"]).code).toBe(2);
  });

  test("a split other than dev, test or all, and a site model for the whole scorecard, are usage errors", () => {
    expect(runCli(["eval", "--crs-tests", crsFixture(), "--split", "train"]).stderr).toContain("--split must be one of dev, test, all");
    const r = runCli(["eval", "--datasets", crsFixture(), "--model", "/nonexistent"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--csic-model");
  });
});
