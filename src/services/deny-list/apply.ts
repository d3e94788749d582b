/** Deny lists: applying the file — written atomically, then the reload command — and the problem that is owed. */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";
import type { Store } from "../../store/db.ts";
import { readSettings } from "../../store/settings.ts";

/** A reload that hangs (a sudo prompt, a wedged nginx) must not hold the next rewrite forever. */
const RELOAD_TIMEOUT_MS = 30_000;
/**
 * The current failure to apply the deny list, kept in the settings table so that the security check,
 * a restarted `moat serve` and `moat ban` all see it; removed by the next sync that works.
 */
export const PROBLEM_KEY = "ban.problem";

export function storedProblem(store: Store): string | null {
  const problem = readSettings(store, [PROBLEM_KEY]).get(PROBLEM_KEY);
  return typeof problem === "string" ? problem : null;
}

/**
 * Writes `text` to `path` so that a reader sees the old file or the new one, never a part: a temporary
 * file in the same directory, fsync, rename over the target, fsync of the directory. Returns false
 * (and writes nothing) when the file already holds `text`.
 */
export function writeFileAtomically(path: string, text: string): boolean {
  try {
    if (readFileSync(path, "utf8") === text) return false;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    const fd = openSync(tmp, "wx", 0o644);
    try {
      writeFileSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  // The rename is durable once the directory is synced; some file systems refuse to sync one, which is no reason to fail.
  try {
    const dirFd = openSync(dir, "r");
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // best effort
  }
  return true;
}

/** Runs the reload command (argv, no shell) with a timeout; resolves to null when it succeeded, else what went wrong. */
export async function runReloadCommand(argv: string[], timeoutMs = RELOAD_TIMEOUT_MS): Promise<string | null> {
  let proc;
  try {
    proc = Bun.spawn(argv, { stdin: "ignore", stdout: "ignore", stderr: "pipe", timeout: timeoutMs, killSignal: "SIGKILL" });
  } catch (e) {
    return `cannot run ${argv[0]}: ${(e as Error).message}`;
  }
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  if (code === 0) return null;
  const said = stderr.trim().split("\n").slice(-3).join(" / ").slice(0, 500);
  if (proc.signalCode) return `${argv.join(" ")} was stopped by ${proc.signalCode}${proc.signalCode === "SIGKILL" ? ` (no answer within ${timeoutMs / 1000} s)` : ""}${said ? `: ${said}` : ""}`;
  return `${argv.join(" ")} exited with ${code}${said ? `: ${said}` : ""}`;
}
