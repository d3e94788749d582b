/** What every format parser offers. Parsers are pure: text in, request or typed error out. */
import type { ParseError, ParseResult, RequestOrigin } from "../core/http-request.ts";

/** One field as `moat explain` shows it. */
export interface ExplainedField {
  name: string;
  /** The text as it stood in the record (still escaped). */
  raw: string;
  /** After unescaping. */
  value: string;
  /** Column span in the record, when the format is positional. */
  start?: number;
  end?: number;
}

export interface Explanation {
  fields: ExplainedField[];
  result: ParseResult;
}

export interface Parser {
  name: string;
  /** Line formats take one line per record; raw HTTP takes blocks framed by `frameRawHttp`. */
  framing: "line" | "raw-http";
  parse(text: string, origin: RequestOrigin): ParseResult;
  explain(text: string, origin: RequestOrigin): Explanation;
}

export function parseError(format: string, text: string, origin: RequestOrigin, reason: string, at?: { column: number; expected: string }): ParseError {
  return { kind: "parse-error", format, reason, text, origin, ...(at ?? {}) };
}
