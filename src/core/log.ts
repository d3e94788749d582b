/**
 * Moat's own structured logs, on stderr, as logfmt or JSON lines, filtered by level. Values quote
 * attacker text (paths, reasons), so they go through safeJson: no control or bidi character is left raw.
 */
import { safeJson } from "./control-chars.ts";

export type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Fields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
}

function logfmtValue(v: string | number | boolean | null | undefined): string {
  const s = String(v ?? "");
  return /^[\w.:/@+-]+$/.test(s) ? s : safeJson(s);
}

export function createLogger(options: { level: Level; format: "json" | "logfmt"; write?: (line: string) => void }): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const emit = (level: Level, msg: string, fields: Fields = {}) => {
    if (ORDER[level] < ORDER[options.level]) return;
    const record = { time: new Date().toISOString(), level, msg, ...fields };
    write(options.format === "json" ? `${safeJson(record)}\n` : `${Object.entries(record).map(([k, v]) => `${k}=${logfmtValue(v)}`).join(" ")}\n`);
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
  };
}
