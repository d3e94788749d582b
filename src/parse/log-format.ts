/**
 * Compiles an nginx `log_format` string into a parser. Each variable becomes a pattern whose shape
 * depends on the variable (a number, a timestamp, an address) and on the escaping
 * (`escape=default|json|none`); literals must match exactly. Matching takes time linear in the line
 * whatever the format (line-matcher.ts). When a line does not match, the
 * prefixes of the format are tried in turn to say exactly where and what was expected.
 */
import type { RequestOrigin } from "../core/http-request.ts";
import { assembleRequest } from "./assemble.ts";
import type { LogVars } from "./log-vars.ts";
import { unescapeApache, unescapeJson, unescapeNginx } from "./decode.ts";
import { lineMatcher, type FormatPart } from "./line-matcher.ts";
import { parseError, type ExplainedField, type Parser } from "./parser.ts";
import { alt, cls, lazyStar, lit, opt, plus, seq, star, times, type Pattern } from "./pattern.ts";

export type Escape = "default" | "json" | "none" | "apache";

type Token = { kind: "literal"; text: string } | { kind: "var"; name: string };

const DIGIT = cls("\\d");
const DIGITS = plus(DIGIT);
const NUMBER = alt(DIGITS, lit("-"));
const DECIMAL = alt(seq(DIGITS, opt(seq(lit("."), DIGITS))), lit("-"));
const TOKEN = star(cls('[^\\s"]'));
/** Any code unit, line separators and a lone CR included: a field that holds one (escape=none or json) is still a field. */
const ANY = cls("[\\s\\S]");
const SIGN = cls("[+-]");
const d = (n: number) => times(DIGIT, n);
const UPSTREAM_TIMES = seq(DECIMAL, star(seq(alt(lit(", "), lit(" : ")), DECIMAL)));
const VAR_PATTERNS: Record<string, { pattern: Pattern; what: string }> = {
  status: { pattern: alt(d(3), lit("-")), what: "a 3-digit status" },
  body_bytes_sent: { pattern: NUMBER, what: "a byte count" },
  bytes_sent: { pattern: NUMBER, what: "a byte count" },
  request_length: { pattern: NUMBER, what: "a byte count" },
  connection: { pattern: NUMBER, what: "a connection number" },
  connection_requests: { pattern: NUMBER, what: "a number" },
  pid: { pattern: NUMBER, what: "a process id" },
  server_port: { pattern: NUMBER, what: "a port" },
  remote_port: { pattern: NUMBER, what: "a port" },
  request_time: { pattern: DECIMAL, what: "seconds like 0.004" },
  // One time per upstream tried: `0.004`, `0.002, 0.003` (next server) or `0.001 : 0.002` (internal redirect).
  upstream_response_time: { pattern: UPSTREAM_TIMES, what: "seconds like 0.004, one per upstream" },
  upstream_connect_time: { pattern: UPSTREAM_TIMES, what: "seconds like 0.004, one per upstream" },
  upstream_header_time: { pattern: UPSTREAM_TIMES, what: "seconds like 0.004, one per upstream" },
  // nginx generates 32 hex digits: the shape tells `... $request_time $request_id` from other suffixes.
  request_id: { pattern: times(cls("[0-9a-f]"), 32), what: "a 32-hex-digit request id" },
  msec: { pattern: DECIMAL, what: "epoch seconds like 1700000000.123" },
  time_local: {
    pattern: seq(d(2), lit("/"), times(cls("[A-Za-z]"), 3), lit("/"), d(4), lit(":"), d(2), lit(":"), d(2), lit(":"), d(2), lit(" "), SIGN, d(4)),
    what: "a time like 24/Nov/2026:11:54:54 +0000",
  },
  time_iso8601: {
    pattern: seq(d(4), lit("-"), d(2), lit("-"), d(2), lit("T"), d(2), lit(":"), d(2), lit(":"), d(2), alt(seq(SIGN, d(2), lit(":"), d(2)), lit("Z"))),
    what: "an ISO-8601 time",
  },
  remote_addr: { pattern: TOKEN, what: "an address" },
  realip_remote_addr: { pattern: TOKEN, what: "an address" },
  server_addr: { pattern: TOKEN, what: "an address" },
  scheme: { pattern: TOKEN, what: "a scheme" },
  server_protocol: { pattern: TOKEN, what: "a protocol" },
};

/** The stock nginx `combined` format. */
export const COMBINED_FORMAT =
  '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';

/** `$name` and `${name}` → tokens. */
export function tokenize(format: string): Token[] {
  const tokens: Token[] = [];
  const re = /\$(?:\{([a-zA-Z0-9_]+)\}|([a-zA-Z0-9_]+))/g;
  let last = 0;
  for (let m = re.exec(format); m; m = re.exec(format)) {
    if (m.index > last) tokens.push({ kind: "literal", text: format.slice(last, m.index) });
    tokens.push({ kind: "var", name: (m[1] ?? m[2])! });
    last = re.lastIndex;
  }
  if (last < format.length) tokens.push({ kind: "literal", text: format.slice(last) });
  return tokens;
}

/**
 * Accepts the format the way users copy it: the bare string, or the nginx.conf fragment with
 * `escape=...` and one or more single-quoted pieces (which nginx concatenates).
 */
export function readLogFormat(spec: string, defaultEscape: Escape = "default"): { format: string; escape: Escape } {
  let rest = spec.trim().replace(/;$/, "");
  let escape = defaultEscape;
  const esc = /^escape=(default|json|none)\s+/.exec(rest);
  if (esc) {
    escape = esc[1] as Escape;
    rest = rest.slice(esc[0].length);
  }
  if (/^'(?:[^']*)'(?:\s+'[^']*')*$/.test(rest)) {
    rest = [...rest.matchAll(/'([^']*)'/g)].map((m) => m[1]).join("");
  }
  return { format: rest, escape };
}

function quotedPattern(escape: Escape): Pattern {
  switch (escape) {
    case "default": return star(cls('[^"]'));
    case "json":
    case "apache": return star(alt(cls('[^"\\\\]'), seq(lit("\\"), ANY)));
    case "none": return lazyStar(ANY);
  }
}

function unescaper(escape: Escape): (s: string) => string {
  switch (escape) {
    case "default": return unescapeNginx;
    case "json": return unescapeJson;
    case "apache": return unescapeApache;
    case "none": return (s) => s;
  }
}

interface CompiledToken extends FormatPart {
  /** What a person should expect here, for error messages. */
  what: string;
  varName?: string;
}

function compileTokens(tokens: Token[], escape: Escape): CompiledToken[] {
  return tokens.map((t, i) => {
    if (t.kind === "literal") return { pattern: lit(t.text), capture: false, literal: t.text, what: JSON.stringify(t.text) };
    const prev = tokens[i - 1];
    const next = tokens[i + 1];
    const quoted = prev?.kind === "literal" && prev.text.endsWith('"') && next?.kind === "literal" && next.text.startsWith('"');
    const known = VAR_PATTERNS[t.name];
    const pattern = known?.pattern ?? (quoted ? quotedPattern(escape) : next ? lazyStar(ANY) : star(ANY));
    return { pattern, capture: true, what: `$${t.name}${known ? ` (${known.what})` : ""}`, varName: t.name };
  });
}

/** The pieces a format compiles to, for tests of the matchers. */
export function formatParts(format: string, escape: Escape = "default"): FormatPart[] {
  return compileTokens(tokenize(format), escape);
}

export interface LogFormatParserOptions {
  name: string;
  format: string;
  escape?: Escape;
}

/**
 * Compiled parsers by name, format and escape. Compiling a format for the linear matcher takes tens of
 * milliseconds, and format detection compiles every candidate for each input: a scan of many files
 * compiled the same formats over and over. A parser holds no state between lines, so one can be shared.
 */
const compiledFormats = new Map<string, Parser>();

export function compileLogFormat(options: LogFormatParserOptions): Parser {
  const key = JSON.stringify([options.name, options.format, options.escape ?? "default"]);
  let parser = compiledFormats.get(key);
  if (!parser) compiledFormats.set(key, (parser = compileUncached(options)));
  return parser;
}

function compileUncached({ name, format, escape = "default" }: LogFormatParserOptions): Parser {
  const tokens = tokenize(format);
  if (!tokens.some((t) => t.kind === "var")) throw new Error(`log format ${JSON.stringify(format)} has no $variables`);
  const compiled = compileTokens(tokens, escape);
  const varNames = compiled.flatMap((c) => (c.varName ? [c.varName] : []));
  const matcher = lineMatcher(compiled);
  const unescape = unescaper(escape);

  function toVars(values: string[]): LogVars {
    const vars: LogVars = {};
    for (let i = 0; i < varNames.length; i++) vars[varNames[i]!] = unescape(values[i]!);
    return vars;
  }

  /** Where the line stops matching: the longest prefix of tokens that matches. */
  function diagnose(text: string, origin: RequestOrigin) {
    let column = 0;
    for (let k = 0; k < compiled.length; k++) {
      const end = matcher.prefixEnd(text, k + 1);
      if (end < 0) {
        const found = JSON.stringify(text.slice(column, column + 20));
        return parseError(name, text, origin, `expected ${compiled[k]!.what} at column ${column}, found ${found}`, { column, expected: compiled[k]!.what });
      }
      column = end;
    }
    return parseError(name, text, origin, `unexpected text after the last field at column ${column}`, { column, expected: "end of line" });
  }

  return {
    name,
    framing: "line",
    parse(text, origin) {
      const m = matcher.match(text);
      return m ? assembleRequest({ vars: toVars(m.values), origin }) : diagnose(text, origin);
    },
    explain(text, origin) {
      const m = matcher.match(text, true);
      if (!m) return { fields: [], result: diagnose(text, origin) };
      const fields: ExplainedField[] = varNames.map((n, i) => {
        const [start, end] = m.spans![i]!;
        return { name: `$${n}`, raw: m.values[i]!, value: unescape(m.values[i]!), start, end };
      });
      return { fields, result: assembleRequest({ vars: toVars(m.values), origin }) };
    },
  };
}
