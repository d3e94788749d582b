/**
 * Every benchmark script loads and answers --help (usage, exit 0) without data or peers: CI runs no
 * benchmark, so this is what notices one that no longer starts (e.g. importing a test-only helper).
 */
import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers/cli.ts";

const BENCHES = readdirSync(join(ROOT, "bench")).filter((f) => f.endsWith(".ts"));

describe("benchmark scripts", () => {
  test("there are the seven the README documents", () => {
    expect(BENCHES.sort()).toEqual(["check.ts", "crs.ts", "detect.ts", "hub.ts", "parse.ts", "serve.ts", "startup.ts"]);
  });

  for (const file of BENCHES) {
    test(`${file} --help prints its usage and exits 0`, () => {
      const r = Bun.spawnSync([process.execPath, join(ROOT, "bench", file), "--help"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
      expect({ code: r.exitCode, stderr: r.stderr.toString() }).toEqual({ code: 0, stderr: "" });
      expect(r.stdout.toString()).toContain(`bench:${file.slice(0, -3)}`);
    });
  }
});
