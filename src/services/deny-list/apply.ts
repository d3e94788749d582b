/** Deny lists: applying the file — tested, written atomically, then the reload command — and the problem that is owed. */
import { mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { replaceFileAtomically } from "../../core/atomic-file.ts";
import { asc } from "drizzle-orm";
import type { Store } from "../../store/db.ts";
import { bans } from "../../store/schema.ts";
import { readSettings } from "../../store/settings.ts";
import type { BanRow } from "./rules.ts";

/** A reload or a test that hangs (a sudo prompt, a wedged nginx) must not hold the next rewrite forever. */
const COMMAND_TIMEOUT_MS = 30_000;
/**
 * The current failure to apply the deny list, kept in the settings table so that the security check,
 * a restarted `moat serve` and `moat ban` all see it; removed by the next sync that works.
 */
export const PROBLEM_KEY = "ban.problem";

export function storedProblem(store: Store): string | null {
  const problem = readSettings(store, [PROBLEM_KEY]).get(PROBLEM_KEY);
  return typeof problem === "string" ? problem : null;
}

/** What renderDenyFile() takes: every ban, oldest first (the order in which they keep their place under the cap). */
export function banRowsOldestFirst(store: Store): Pick<BanRow, "ip" | "expiresAt" | "simulated">[] {
  return store.db.select({ ip: bans.ip, expiresAt: bans.expiresAt, simulated: bans.simulated }).from(bans).orderBy(asc(bans.createdAt), asc(bans.ip)).all();
}

/** Whether the file at `path` holds exactly `text` (a missing file holds nothing). */
export function fileHolds(path: string, text: string): boolean {
  try {
    return readFileSync(path, "utf8") === text;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    return false;
  }
}

/**
 * Writes `text` to `path` so that a reader (nginx) sees the old file or the new one, never a part.
 * The file is 0644: it holds only addresses, and nginx, often another user, must read it.
 */
export function writeDenyFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  replaceFileAtomically(path, text, 0o644);
}

/** writeDenyFile() unless the file already holds `text`: returns false (and writes nothing) then. */
export function writeFileAtomically(path: string, text: string): boolean {
  if (fileHolds(path, text)) return false;
  writeDenyFile(path, text);
  return true;
}

/** Runs a command (argv, no shell: the reload or the test) with a timeout; resolves to null when it succeeded, else what went wrong. */
export async function runCommand(argv: string[], timeoutMs = COMMAND_TIMEOUT_MS): Promise<string | null> {
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
