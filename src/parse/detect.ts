/**
 * Choosing a line format from a file's first lines. A format fits a line when it parses it and reads an
 * IP address as the client: Apache's format parses a vhost-prefixed line too, with the vhost as the
 * client, and must not win on that. When formats that read the lines differently fit equally well, no
 * guess is made: the operator confirms one with --format.
 */
import { isParseError, type HttpRequest } from "../core/http-request.ts";
import { isAddress, keyFieldsOf } from "./key-fields.ts";
import type { Parser } from "./parser.ts";

export class FormatDetectionError extends Error {
  constructor(readonly tried: string[], readonly firstLine: string, readonly source: string, note = "") {
    super(`${source}: no known format fits (tried ${tried.join(", ")}).${note} First line: ${JSON.stringify(firstLine.slice(0, 300))}. Pass --format, or --log-format '<your nginx log_format>'.`);
    this.name = "FormatDetectionError";
  }
}

/** Several formats fit but read the lines differently. A FormatDetectionError, so that callers treat it as one. */
export class AmbiguousFormatError extends FormatDetectionError {
  constructor(readonly candidates: string[], firstLine: string, source: string, difference: string) {
    super(candidates, firstLine, source);
    this.message = `${source}: the first lines fit several formats that read them differently (${candidates.join(", ")}): ${difference}. Confirm the right one with --format ${candidates.join(" or --format ")}, or give your nginx log_format with --log-format.`;
    this.name = "AmbiguousFormatError";
  }
}

interface Fit {
  parser: Parser;
  /** Per line: the request when the format fits it, else null. */
  requests: (HttpRequest | null)[];
  /** Lines that parse, fitting or not. */
  parsed: number;
  score: number;
}

function fitOf(parser: Parser, lines: string[], source: string): Fit {
  let parsed = 0;
  const requests = lines.map((text) => {
    const r = parser.parse(text, { source });
    if (isParseError(r)) return null;
    parsed++;
    // `-` (nginx's empty) stays a fit: empty fields are counted and warned about once the format is chosen.
    return r.clientIp === "" || isAddress(r.clientIp) ? r : null;
  });
  return { parser, requests, parsed, score: requests.filter(Boolean).length };
}

const describe = (r: HttpRequest) => `client ${JSON.stringify(r.clientIp)}, ${JSON.stringify(`${r.method} ${r.path}`)}, status ${r.status}`;

/** The first line two fits both read, but differently; null when they agree on every line. */
function difference(a: Fit, b: Fit): string | null {
  for (let i = 0; i < a.requests.length; i++) {
    const ra = a.requests[i];
    const rb = b.requests[i];
    if (ra && rb && keyFieldsOf(ra) !== keyFieldsOf(rb)) {
      return `line ${i + 1} is ${describe(ra)} as ${a.parser.name} but ${describe(rb)} as ${b.parser.name}`;
    }
  }
  return null;
}

/**
 * The candidate (in order of preference) that fits most of `lines`. Fails when none fits at least half
 * of them, or when another fits as many lines and reads one of them differently.
 */
export function chooseLineFormat(candidates: Parser[], lines: string[], source: string, tried: string[]): Parser {
  const fits = candidates.map((p) => fitOf(p, lines, source));
  const best = fits.reduce((a, b) => (b.score > a.score ? b : a));
  if (best.score === 0 || best.score * 2 < lines.length) {
    const misread = fits.find((f) => f.parsed * 2 >= lines.length && f.parsed > f.score);
    const note = misread ? ` ${misread.parser.name} parses the lines but reads no IP address as the client (e.g. ${JSON.stringify(firstClient(misread, lines, source))}); pass --format ${misread.parser.name} if that is right.` : "";
    throw new FormatDetectionError(tried, lines[0] ?? "", source, note);
  }
  const rivals = fits.filter((f) => f !== best && f.score === best.score && difference(best, f) !== null);
  if (rivals.length) throw new AmbiguousFormatError([best, ...rivals].map((f) => f.parser.name), lines[0] ?? "", source, difference(best, rivals[0]!)!);
  return best.parser;
}

function firstClient(fit: Fit, lines: string[], source: string): string {
  for (const text of lines) {
    const r = fit.parser.parse(text, { source });
    if (!isParseError(r) && r.clientIp !== "" && !isAddress(r.clientIp)) return r.clientIp;
  }
  return "";
}
