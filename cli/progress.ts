/**
 * Progress for long work, on stderr, only when stderr is a terminal (never mixed into piped output).
 * When the share done is known: a percent and the time left, from the pace so far.
 */
import { escapeControls } from "../src/core/control-chars.ts";
export interface Progress {
  update(state: { label: string; done: number; unit: string; fraction?: number | null }): void;
  finish(): void;
}

/** Where the line goes: stderr, or a test's sink. */
export interface ProgressSink {
  write(text: string): unknown;
  columns?: number;
}

const INTERVAL_MS = 200;
/** Before this, the pace is mostly start-up (model loading, the first read): too early to tell the time left. */
const ETA_AFTER_MS = 1000;

function compact(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/** 42s, 3m07s, 1h05m. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** " 42.0% ETA 1m05s", or "" when the share done is not known. */
function share(fraction: number | null | undefined, elapsedMs: number): string {
  if (fraction === null || fraction === undefined) return "";
  const f = Math.min(Math.max(fraction, 0), 1);
  const eta = f > 0 && f < 1 && elapsedMs >= ETA_AFTER_MS ? ` ETA ${duration(((elapsedMs / 1000) * (1 - f)) / f)}` : "";
  return ` ${(f * 100).toFixed(1)}%${eta}`;
}

export function createProgress(enabled = Boolean(process.stderr.isTTY), sink: ProgressSink = process.stderr, now: () => number = () => performance.now()): Progress {
  const started = now();
  let last = -Infinity;
  let shown = false;
  return {
    update({ label, done, unit, fraction }) {
      if (!enabled) return;
      const t = now();
      if (t - last < INTERVAL_MS) return;
      last = t;
      const elapsed = t - started;
      const rate = done / Math.max(elapsed / 1000, 1e-3);
      const text = `${escapeControls(label)}${share(fraction, elapsed)}  ${compact(done)} ${unit}  ${compact(rate)} ${unit}/s`; // the label names an input
      sink.write(`\r\x1b[2K${text.slice(0, (sink.columns || 100) - 1)}`);
      shown = true;
    },
    finish() {
      if (shown) sink.write("\r\x1b[2K");
    },
  };
}
