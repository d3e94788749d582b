/**
 * Runs a command as a child process and measures it: wall time, CPU time and peak RSS.
 * Peak RSS comes from GNU time (`/usr/bin/time -f`), which reports the child's ru_maxrss; without it,
 * from Bun's own resource usage of the child (same source, so the numbers agree).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const GNU_TIME = "/usr/bin/time";

export interface Measurement {
  /** Wall-clock seconds from spawn to exit. */
  seconds: number;
  /** User + system CPU seconds, when known. */
  cpuSeconds: number | null;
  /** Peak resident set size in bytes, when known. */
  peakRssBytes: number | null;
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface MeasureOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Keep stdout (default true). Large outputs should go to a file instead. */
  captureStdout?: boolean;
}

export async function measureCommand(cmd: string[], options: MeasureOptions = {}): Promise<Measurement> {
  const useTime = existsSync(GNU_TIME);
  const dir = useTime ? mkdtempSync(join(tmpdir(), "moat-measure-")) : null;
  const timeFile = dir ? join(dir, "time") : "";
  const argv = useTime ? [GNU_TIME, "-o", timeFile, "-f", "%e %M %U %S", ...cmd] : cmd;
  try {
    const started = performance.now();
    const proc = Bun.spawn(argv, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdin: "ignore",
      stdout: options.captureStdout === false ? "ignore" : "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr] = await Promise.all([
      proc.stdout ? new Response(proc.stdout).text() : Promise.resolve(""),
      new Response(proc.stderr).text(),
    ]);
    const exitCode = await proc.exited;
    const seconds = (performance.now() - started) / 1000;
    let peakRssBytes: number | null = null;
    let cpuSeconds: number | null = null;
    if (useTime) {
      // GNU time prefixes "Command exited with non-zero status N" when the child fails: take the last line.
      const last = readFileSync(timeFile, "utf8").trim().split("\n").pop() ?? "";
      const [, maxKb, user, sys] = last.split(/\s+/).map(Number);
      if (Number.isFinite(maxKb)) peakRssBytes = maxKb! * 1024;
      if (Number.isFinite(user) && Number.isFinite(sys)) cpuSeconds = user! + sys!;
    } else {
      const usage = proc.resourceUsage();
      if (usage) {
        peakRssBytes = usage.maxRSS;
        cpuSeconds = Number(usage.cpuTime.total) / 1e6;
      }
    }
    return { seconds, cpuSeconds, peakRssBytes, exitCode, stdout, stderr };
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** VmRSS and VmHWM (peak RSS) of a running process, in bytes, from /proc (Linux); NaN when not listed. */
export function processMemory(pid: number | "self"): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb("VmRSS"), peak: kb("VmHWM") };
}

/** Peak RSS of the current process (VmHWM) in bytes, or the current RSS where /proc is missing. */
export function selfPeakRssBytes(): number {
  try {
    const { peak } = processMemory("self");
    if (Number.isFinite(peak)) return peak;
  } catch {
    // not Linux
  }
  return process.memoryUsage().rss;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
