/**
 * A configuration mistake as the operator meets it on the command line: the file and line to open, the
 * values a key allows, and a MOAT_ variable that no part of Moat reads, named with the one meant.
 */
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, ROOT } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

const dir = tempDir("moat-config-");
const db = join(dir, "moat.db");

/** `moat db stats` with `env` added to a clean environment (no MOAT_ variable of the test runner's). */
function stats(args: string[], env: Record<string, string> = {}) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MOAT_")));
  const r = Bun.spawnSync([process.execPath, CLI, "db", "stats", "--db", db, ...args], { cwd: ROOT, env: { ...base, ...env }, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe("configuration errors on the command line", () => {
  test("a value outside a key's set names the file's line and lists the allowed values; exit 2", () => {
    const file = join(dir, "moat.toml");
    writeFileSync(file, '# Moat\n[server]\nport = 8080\n\n[detect]\nmode = "blok"\n\n[log]\nlevel = "verbose"\n');
    const r = stats(["-c", file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      [
        "moat: invalid configuration:",
        `  - detect.mode: must be one of "detect", "block", got "blok" (from ${file}:6)`,
        `  - log.level: must be one of "debug", "info", "warn", "error", got "verbose" (from ${file}:9)`,
        "",
      ].join("\n"),
    );
  });

  test("a TOML syntax error names its line", () => {
    const file = join(dir, "broken.toml");
    writeFileSync(file, '[server]\nport = 8080\nhost = "127.0.0.1\n');
    const r = stats(["-c", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toStartWith(`moat: invalid configuration:\n  - ${file}:3: TOML Parse error:`);
  });

  test("an unknown MOAT_ variable is one warning line naming the closest known one; the command still runs", () => {
    const r = stats(["-c", "/dev/null", "-o", "json"], { MOAT_SERVR_PORT: "9000", MOAT_CONFIG: "/dev/null", MOAT_CACHE_DIR: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("moat: MOAT_SERVR_PORT is not a Moat setting and is ignored (did you mean MOAT_SERVER_PORT?)\n");
    expect(JSON.parse(r.stdout)).toMatchObject({ db });
  });

  test("with a configuration that fails, the unknown variable is shown too: it may be why", () => {
    const r = stats(["-c", "/dev/null"], { MOAT_DETECT_MODE: "blok", MOAT_DETECT_MOD: "block" });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      [
        "moat: MOAT_DETECT_MOD is not a Moat setting and is ignored (did you mean MOAT_DETECT_MODE?)",
        "moat: invalid configuration:",
        '  - detect.mode: must be one of "detect", "block", got "blok" (from MOAT_DETECT_MODE)',
        "",
      ].join("\n"),
    );
  });
});
