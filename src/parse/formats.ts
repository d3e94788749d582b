/**
 * The formats Moat reads, by name, and auto-detection from a file's first lines.
 */
import { compileLogFormat, COMBINED_FORMAT, readLogFormat } from "./log-format.ts";
import { createJsonParser } from "./json-lines.ts";
import { rawHttpParser, REQUEST_LINE } from "./raw-http.ts";
import { isParseError, type ParseResult } from "../core/http-request.ts";
import type { Parser } from "./parser.ts";

export const FORMAT_NAMES = ["auto", "combined", "nginx", "json", "apache", "raw-http"] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];

export interface FormatOptions {
  format: FormatName;
  /** nginx `log_format` string, for `nginx` (implies it when format is auto). */
  logFormat?: string;
  /** JSON key mapping `variable → key path`, for `json`. */
  jsonMap?: Record<string, string>;
}

const APACHE_COMBINED = '$remote_addr $remote_ident $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';
const APACHE_COMMON = '$remote_addr $remote_ident $remote_user [$time_local] "$request" $status $body_bytes_sent';

/** Runs the variants in turn and keeps the first success; when all fail, the first variant's answer. */
function firstSuccess<T>(variants: Parser[], run: (p: Parser) => T, resultOf: (t: T) => ParseResult): T {
  const first = run(variants[0]!);
  if (!isParseError(resultOf(first))) return first;
  for (const p of variants.slice(1)) {
    const r = run(p);
    if (!isParseError(resultOf(r))) return r;
  }
  return first;
}

/** Apache combined, falling back to common; errors are reported against combined. */
function createApacheParser(): Parser {
  const variants = [APACHE_COMBINED, APACHE_COMMON].map((format) => compileLogFormat({ name: "apache", format, escape: "apache" }));
  return {
    name: "apache",
    framing: "line",
    parse: (text, origin) => firstSuccess(variants, (p) => p.parse(text, origin), (r) => r),
    explain: (text, origin) => firstSuccess(variants, (p) => p.explain(text, origin), (e) => e.result),
  };
}

export function createParser(options: FormatOptions): Parser {
  switch (options.format) {
    case "combined":
      return compileLogFormat({ name: "combined", format: COMBINED_FORMAT });
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

export class FormatDetectionError extends Error {
  constructor(readonly tried: string[], readonly firstLine: string, readonly source: string) {
    super(`${source}: no known format fits (tried ${tried.join(", ")}). First line: ${JSON.stringify(firstLine.slice(0, 300))}. Pass --format, or --log-format '<your nginx log_format>'.`);
    this.name = "FormatDetectionError";
  }
}

const SAMPLE = 20;
/** The line formats auto-detection scores, in order of preference on a tie. */
export const DETECTED_LINE_FORMATS = ["json", "combined", "apache"] as const;

/**
 * Picks the format that parses most of the first lines. Raw HTTP is recognised by its request line
 * (its records span several lines, so per-line scoring does not apply).
 */
export function detectFormat(firstLines: string[], source: string, options: Omit<FormatOptions, "format"> = {}): Parser {
  const lines = firstLines.filter((l) => l.trim() !== "").slice(0, SAMPLE);
  const first = lines[0] ?? "";
  if (REQUEST_LINE.test(first)) return rawHttpParser;
  const candidates = DETECTED_LINE_FORMATS.map((format) => createParser({ format, jsonMap: options.jsonMap }));
  let best: Parser | null = null;
  let bestScore = 0;
  for (const parser of candidates) {
    const score = lines.filter((l) => !isParseError(parser.parse(l, { source }))).length;
    if (score > bestScore) {
      best = parser;
      bestScore = score;
    }
  }
  if (!best || bestScore * 2 < lines.length) throw new FormatDetectionError([...candidates.map((c) => c.name), "raw-http"], first, source);
  return best;
}

/** The parser `options` name, or for auto (without a log_format) the one detected from the first lines. */
export function parserFor(options: FormatOptions, firstLines: string[], source: string): Parser {
  return options.format === "auto" && !options.logFormat ? detectFormat(firstLines, source, options) : createParser(options);
}
