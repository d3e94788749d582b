/** Waiting for a `moat serve` under measurement to be ready: its `/health` answers once it serves. */
import type { Subprocess } from "bun";
import { EXIT } from "../../cli/exit-codes.ts";
import { BenchError } from "./run.ts";

/** Polls `${base}/health` every `pollMs` until it answers 2xx; fails if `proc` exits first or after `deadlineMs`. */
export async function waitForHealth(label: string, base: string, proc: Subprocess, { pollMs = 100, deadlineMs = 60_000 } = {}): Promise<void> {
  const started = performance.now();
  while (!(await fetch(`${base}/health`).then((r) => r.ok, () => false))) {
    if (proc.exitCode !== null) throw new BenchError(`${label} exited with ${proc.exitCode} before answering /health`, EXIT.software);
    if (performance.now() - started > deadlineMs) throw new BenchError(`${label} did not answer /health within ${deadlineMs / 1000} s`, EXIT.software);
    await Bun.sleep(pollMs);
  }
}
