/**
 * Progress for long work, on stderr, only when stderr is a terminal (never mixed into piped output).
 */
import { escapeControls } from "../src/core/control-chars.ts";
export interface Progress {
  update(state: { label: string; done: number; unit: string; fraction?: number | null }): void;
  finish(): void;
}

const INTERVAL_MS = 200;

function compact(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

export function createProgress(enabled = Boolean(process.stderr.isTTY)): Progress {
  const started = performance.now();
  let last = 0;
  let shown = false;
  return {
    update({ label, done, unit, fraction }) {
      if (!enabled) return;
      const now = performance.now();
      if (now - last < INTERVAL_MS) return;
      last = now;
      const rate = done / Math.max((now - started) / 1000, 1e-3);
      const pct = fraction === null || fraction === undefined ? "" : ` ${(Math.min(fraction, 1) * 100).toFixed(1)}%`;
      const text = `${escapeControls(label)}${pct}  ${compact(done)} ${unit}  ${compact(rate)} ${unit}/s`; // the label names an input
      process.stderr.write(`\r\x1b[2K${text.slice(0, (process.stderr.columns || 100) - 1)}`);
      shown = true;
    },
    finish() {
      if (shown) process.stderr.write("\r\x1b[2K");
    },
  };
}
