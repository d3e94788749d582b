/** Runs the moat CLI from source as a child process, as a user would. */
import { join } from "node:path";

export const ROOT = join(import.meta.dir, "..", "..");
export const CLI = join(ROOT, "cli", "index.ts");

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { stdin?: Uint8Array | string; cwd?: string; env?: Record<string, string> } = {}): RunResult {
  const r = Bun.spawnSync([process.execPath, CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    // Always given: a child started without `env` gets the environment the test process started with,
    // not process.env as test/setup.ts changed it.
    env: { ...process.env, ...options.env },
    stdin: options.stdin === undefined ? "ignore" : typeof options.stdin === "string" ? Buffer.from(options.stdin) : options.stdin,
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}
