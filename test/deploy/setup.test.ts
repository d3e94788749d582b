/**
 * The user's set-up (`npm start` runs .ci/setup) must never touch the user's system: on a real web
 * server, stopping nginx or installing a module into it takes the site down. The script is run for
 * real with every system command it could reach replaced by a recorder on PATH, so what it would
 * have done is exactly what the recorder saw.
 */
import { describe, expect, test } from "bun:test";
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

const BUN_VERSION: string = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).engines.bun;
/** What the scripts may run for real: the shell's helpers. Every other program on the system is a recorder. */
const REAL = new Set(["bash", "sh", "dirname", "id", "env", "node"]);

/** A directory with a recorder for every program in the system's bin directories, and for npm and bun. */
function recorderDir(log: string): string {
  const bin = tempDir("moat-setup-bin-");
  const names = new Set(["npm", "bun", ...["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"].flatMap((d) => (existsSync(d) ? readdirSync(d) : []))]);
  for (const name of names) {
    if (REAL.has(name) || !/^[\w.+-]+$/.test(name)) continue;
    const path = join(bin, name);
    // `bun --version` answers the pinned version so the script sees Bun as installed; everything else only records.
    writeFileSync(path, `#!/bin/sh\necho "${name} $*" >> "${log}"\n[ "${name} $1" = "bun --version" ] && echo "${BUN_VERSION}"\nexit 0\n`);
    chmodSync(path, 0o755);
  }
  return bin;
}

function runSetup(script: string): string[] {
  const work = tempDir("moat-setup-");
  mkdirSync(join(work, ".ci"));
  cpSync(join(ROOT, ".ci", script), join(work, ".ci", script));
  cpSync(join(ROOT, "package.json"), join(work, "package.json"));
  const log = join(work, "calls.log");
  const bin = recorderDir(log);
  const node = Bun.which("node");
  if (!node) throw new Error("node is not on PATH");
  // node is real (the script reads package.json with it); /bin and /usr/bin give the shell utilities, after the recorders.
  const r = Bun.spawnSync(["bash", join(work, ".ci", script)], {
    cwd: work,
    env: { PATH: `${bin}:${join(node, "..")}:/usr/bin:/bin`, HOME: work }, // the recorders come first
    stdout: "pipe",
    stderr: "pipe",
  });
  if (r.exitCode !== 0) throw new Error(`${script} failed: ${r.stderr.toString()}`);
  return existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [];
}

describe("set-up scripts", () => {
  test("the user's set-up runs Bun and nothing else of the system: no package, no service, no process ended", () => {
    expect(runSetup("setup")).toEqual(["bun --version", "bun install --frozen-lockfile"]);
  });

  test("the developers' set-up only asks dpkg and installs packages: no service stopped, no process ended", () => {
    const calls = runSetup("dev-setup");
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.filter((c) => !/^(dpkg -s |apt-get (update|install) )/.test(c))).toEqual([]);
  });

  test("npm start sets up and then starts moat serve on the bundled sample", () => {
    const start: string = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts.start;
    expect(start).toStartWith("bash .ci/setup && ");
    expect(start).toContain("serve --log assets/samples/access.log");
  });
});
