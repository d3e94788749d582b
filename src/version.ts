/** Version information; the commit is baked in by `bun run build` (MOAT_COMMIT), or read from git in a checkout. */
import pkg from "../package.json" with { type: "json" };

declare const MOAT_COMMIT: string | undefined;

function commitFromGit(): string {
  try {
    const r = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: import.meta.dir, stderr: "ignore" });
    return r.success ? r.stdout.toString().trim() : "unknown";
  } catch {
    return "unknown";
  }
}

export const VERSION: string = pkg.version;
export const COMMIT: string = typeof MOAT_COMMIT === "string" ? MOAT_COMMIT : commitFromGit();
