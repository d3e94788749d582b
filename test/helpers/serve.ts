/** Runs `moat serve` (or `moat hub`) from source as a child process, and waits on it. */
import type { Subprocess } from "bun";
import { CLI } from "./cli.ts";

export interface ServeProcess {
  proc: Subprocess;
  stderr: () => string;
}

const started = new Set<Subprocess>();

/** Kills every `moat serve` a test started and did not stop (a failed test): test/setup.ts, after the run. */
export function stopLeftoverServes(): void {
  for (const proc of started) if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  started.clear();
}

export function startServe(args: string[], env: Record<string, string> = {}, command: "serve" | "hub" = "serve"): ServeProcess {
  let err = "";
  const decoder = new TextDecoder(); // one streaming decoder: a character may be split across chunks
  const proc = Bun.spawn([process.execPath, CLI, command, "--port", "0", "-c", "/dev/null", ...args], {
    env: { ...process.env, MOAT_INGEST_START_AT: "beginning", MOAT_MIRROR_PORT: "0", ...env },
    stdout: "ignore",
    stderr: "pipe",
  });
  started.add(proc);
  (async () => {
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) err += decoder.decode(chunk, { stream: true });
  })();
  return { proc, stderr: () => err };
}

/** Waits for the "listening" log line of `serve` (started with `--port 0`); answers its base URL. */
export async function waitForListening(serve: ServeProcess, deadlineMs = 60_000): Promise<string> {
  const listening = /msg=listening .*port=(\d+)/;
  await waitFor("moat serve listening", () => listening.test(serve.stderr()), deadlineMs);
  return `http://127.0.0.1:${listening.exec(serve.stderr())![1]}`;
}

/** The port of the mirror's listener of `serve` (started with MOAT_MIRROR_PORT=0), once it listens. */
export async function waitForMirrorListening(serve: ServeProcess, deadlineMs = 60_000): Promise<number> {
  const listening = /listening for nginx's mirror.*port=(\d+)/;
  await waitFor("moat serve listening for nginx's mirror", () => listening.test(serve.stderr()), deadlineMs);
  return Number(listening.exec(serve.stderr())![1]);
}

/** A wait's `detail` on `serve`: what `state` gives now (JSON), then the end of moat serve's stderr. */
export function serveDetail(serve: ServeProcess, state: () => unknown): () => string {
  return () => `${JSON.stringify(state())}\nmoat serve's stderr:\n${serve.stderr().slice(-4000)}`;
}

/**
 * Polls `condition` (which may be async, e.g. a fetch) every 100 ms until it holds. On a timeout the
 * error carries `detail()` (what was seen last, a child's stderr), so that a failure in CI explains itself.
 */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, deadlineMs = 30_000, detail?: () => string): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${detail ? `\n${detail()}` : ""}`);
    await Bun.sleep(100);
  }
}
