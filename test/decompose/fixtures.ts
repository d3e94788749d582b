/** Small helpers for the decompose tests: requests from raw HTTP text, and a sink to hand a reader. */
import { isParseError, type HttpRequest } from "../../src/core/http-request.ts";
import { rawHttpParser } from "../../src/parse/raw-http.ts";
import { expandEncodings } from "../../src/decompose/encodings.ts";
import type { Leaf } from "../../src/decompose/leaf.ts";
import { DEFAULT_DECOMPOSE_LIMITS, type DecomposeLimits } from "../../src/decompose/limits.ts";
import { LeafSink } from "../../src/decompose/sink.ts";

/** A request parsed from raw HTTP lines (joined with CRLF, a blank line before the body). */
export function request(lines: string[], body = ""): HttpRequest {
  const parsed = rawHttpParser.parse(`${lines.join("\r\n")}\r\n\r\n${body}`, { source: "inline" });
  if (isParseError(parsed)) throw new Error(parsed.reason);
  return parsed;
}

/** A sink that expands nested encodings (as decompose does) or not (to test one reader alone). */
export function sink(options: { expand?: boolean; limits?: Partial<DecomposeLimits> } = {}): LeafSink {
  return new LeafSink({ ...DEFAULT_DECOMPOSE_LIMITS, ...options.limits }, options.expand ? expandEncodings : () => {});
}

/** The leaves a query value `q` gets, its encodings expanded. */
export function expandedQueryValue(text: string, limits: Partial<DecomposeLimits> = {}): LeafSink {
  const s = sink({ expand: true, limits });
  s.value("query", "query.q", "q", text);
  return s;
}

/** The leaf at a path (of a kind, when given); throws when there is none, so a test says what it missed. */
export function leafAt(leaves: Leaf[], path: string, kind?: Leaf["kind"]): Leaf {
  const found = leaves.find((l) => l.path === path && (kind === undefined || l.kind === kind));
  if (!found) throw new Error(`no leaf ${path}${kind ? ` (${kind})` : ""} among ${leaves.map((l) => `${l.path}:${l.kind}`).join(", ")}`);
  return found;
}

export function paths(leaves: Leaf[]): string[] {
  return leaves.map((l) => l.path);
}
