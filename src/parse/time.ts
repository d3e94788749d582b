/** Timestamps as nginx and Apache write them. */
import type { LogVars } from "./log-vars.ts";

const MONTHS: Record<string, number> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};

// Consecutive log lines mostly share their second: remember the last one.
let lastText = "";
let lastValue: number | null = null;

/** `24/Nov/2026:11:54:54 +0000` → epoch ms; null when malformed. */
function parseTimeLocal(s: string): number | null {
  if (s !== lastText) {
    lastValue = parseTimeLocalUncached(s);
    lastText = s;
  }
  return lastValue;
}

function parseTimeLocalUncached(s: string): number | null {
  const m = /^(\d{2})\/([A-Za-z]{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))? ([+-])(\d{2})(\d{2})$/.exec(s);
  if (!m) return null;
  const month = MONTHS[m[2]!];
  if (month === undefined) return null;
  const ms = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
  const utc = Date.UTC(+m[3]!, month, +m[1]!, +m[4]!, +m[5]!, +m[6]!, ms);
  const tz = (m[8] === "-" ? -1 : 1) * (+m[9]! * 60 + +m[10]!);
  return utc - tz * 60_000;
}

function parseIso(s: string): number | null {
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

/** The request time from whichever time variable the format carries. */
export function parseLogTime(vars: LogVars): number | null {
  if (vars.time_local) return parseTimeLocal(vars.time_local);
  if (vars.time_iso8601) return parseIso(vars.time_iso8601);
  if (vars.msec) {
    const n = Number(vars.msec);
    return Number.isFinite(n) ? Math.round(n * 1000) : null;
  }
  return null;
}
