/**
 * The formats Moat reads, by name, and auto-detection from a file's first lines.
 */
import { compileLogFormat, readLogFormat } from "./log-format.ts";
import { createJsonParser } from "./json-lines.ts";
import { rawHttpParser, REQUEST_LINE } from "./raw-http.ts";
import type { Parser } from "./parser.ts";
import { createApacheParser, createCombinedParser, createMainParser, createVhostCombinedParser } from "./variants.ts";
import { chooseLineFormat } from "./detect.ts";

export { AmbiguousFormatError, FormatDetectionError } from "./detect.ts";

export const FORMAT_NAMES = ["auto", "combined", "main", "vhost-combined", "nginx", "json", "apache", "raw-http"] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];

export interface FormatOptions {
  format: FormatName;
  /** nginx `log_format` string, for `nginx` (implies it when format is auto). */
  logFormat?: string;
  /** JSON key mapping `variable → key path`, for `json`. */
  jsonMap?: Record<string, string>;
}

export function createParser(options: FormatOptions): Parser {
  switch (options.format) {
    case "combined":
      return createCombinedParser();
    case "main":
      return createMainParser();
    case "vhost-combined":
      return createVhostCombinedParser();
    case "nginx": {
      if (!options.logFormat) throw new Error("--format nginx needs --log-format '<the log_format string from nginx.conf>'");
      const { format, escape } = readLogFormat(options.logFormat);
      return compileLogFormat({ name: "nginx", format, escape });
    }
    case "json":
      return createJsonParser(options.jsonMap);
    case "apache":
      return createApacheParser();
    case "raw-http":
      return rawHttpParser;
    case "auto":
      if (options.logFormat) return createParser({ ...options, format: "nginx" });
      throw new Error("auto is resolved by detectFormat, not createParser");
  }
}

const SAMPLE = 20;
/** The line formats auto-detection tries, in order of preference when they read the lines alike. */
export const DETECTED_LINE_FORMATS = ["json", "combined", "main", "vhost-combined", "apache"] as const;

/**
 * The line format that fits the first lines (detect.ts says how, and when it refuses to guess). Raw
 * HTTP is recognised by its request line (its records span several lines, so per-line scoring does not apply).
 */
export function detectFormat(firstLines: string[], source: string, options: Omit<FormatOptions, "format"> = {}): Parser {
  const lines = firstLines.filter((l) => l.trim() !== "").slice(0, SAMPLE);
  if (REQUEST_LINE.test(lines[0] ?? "")) return rawHttpParser;
  const candidates = DETECTED_LINE_FORMATS.map((format) => createParser({ format, jsonMap: options.jsonMap }));
  return chooseLineFormat(candidates, lines, source, [...DETECTED_LINE_FORMATS, "raw-http"]);
}

/** The parser `options` name, or for auto (without a log_format) the one detected from the first lines. */
export function parserFor(options: FormatOptions, firstLines: string[], source: string): Parser {
  return options.format === "auto" && !options.logFormat ? detectFormat(firstLines, source, options) : createParser(options);
}
