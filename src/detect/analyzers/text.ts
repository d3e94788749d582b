/** Small text helpers the semantic analyzers share. */
import type { AttackClass } from "../classes.ts";
import type { Finding } from "./finding.ts";

/**
 * Lower-cases ASCII letters only, so every index of the result is the same index of the input
 * (`toLowerCase` may change the length of non-ASCII text, and evidence spans must point at the input).
 */
export function lowerAscii(s: string): string {
  if (!/[A-Z]/.test(s)) return s;
  // eslint-disable-next-line no-control-regex
  return /^[\u0000-\u007f]*$/.test(s) ? s.toLowerCase() : s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

export function finding(cls: AttackClass, rule: string, strength: number, start: number, end: number): Finding {
  return { class: cls, rule, strength: Math.min(1, Math.round(strength * 100) / 100), start, end };
}

/** Keeps the strongest finding of each rule: one construct repeated is one piece of evidence. */
export function strongestPerRule(findings: Finding[]): Finding[] {
  if (findings.length < 2) return findings;
  const best = new Map<string, Finding>();
  for (const f of findings) {
    const seen = best.get(f.rule);
    if (!seen || f.strength > seen.strength) best.set(f.rule, f);
  }
  return [...best.values()];
}

/** A character code with ASCII letters lower-cased (what `lowerAscii` does to each character). */
export const lowerAsciiCode = (c: number) => (c >= 65 && c <= 90 ? c | 32 : c);

export const isAsciiLetter = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
export const isAsciiDigit = (c: number) => c >= 48 && c <= 57;
/** An ASCII letter, digit or `_`: a character of a name, as a regex's `\w` reads it. */
export const isWordCode = (c: number) => isAsciiLetter(c) || isAsciiDigit(c) || c === 95;
/** Space, tab, CR, LF, VT, FF. */
export const isSpaceCode = (c: number) => c === 32 || (c >= 9 && c <= 13);

/** The first index in [0, n) where `before` turns false, `before` holding for a prefix only (a binary search). */
export function partitionPoint(n: number, before: (i: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (before(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
/** Whitespace above ASCII, as a regex's `\s` reads it. */
export const isWideSpace = (c: number) =>
  c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;

/**
 * A text with each `+` read as a space, or null when it has no `+` or has real spaces. Tools and people
 * write a space as `+` (`/item/1+OR+1=1`, `/x/;+id`, `;cat+/etc/passwd`), as in a query string, and a
 * server that routes paths through a query-string parser, or an application that form-decodes a value
 * once more, reads it so. Same length: evidence spans still hold.
 */
export function plusAsSpace(text: string): string | null {
  return text.indexOf("+") === -1 || text.indexOf(" ") !== -1 ? null : text.replaceAll("+", " ");
}

/**
 * A line break written as the escape `\n` or `\r` at i: what a string literal, printf, `echo -e` or a
 * JSON decoder turns into a real one. Whether it ends a word or a line is each analyzer's to say.
 */
export function escapedBreakAt(s: string, i: number): boolean {
  if (s.charCodeAt(i) !== 92) return false;
  const c = s.charCodeAt(i + 1);
  return c === 110 || c === 114;
}

/** A table of ASCII characters, for a quick membership test by character code. */
export function asciiSet(chars: string): Uint8Array {
  const set = new Uint8Array(128);
  for (const c of chars) set[c.charCodeAt(0)] = 1;
  return set;
}

/** Segments of one path judged again from their start, at most: a path is short, and each is a few passes over its rest. */
const MAX_INJECTED_SEGMENTS = 8;

/**
 * Segments of a route that may follow a value injected into a path (`/files/{name}/view`): where the
 * value ends is not known, so a reading ending at each of the last few slashes is tried.
 */
export const ROUTE_TAIL_SEGMENTS = 3;
/**
 * Longest path whose route tails are read: each is another pass over the rest of the path, and
 * nginx refuses a request line over 8 KB by default (`large_client_header_buffers 4 8k`), so a
 * longer path is no route and its passes would only multiply the work a hostile line costs.
 */
const ROUTE_TAIL_MAX_PATH = 8192;

/**
 * How an analyzer judges a path. The whole path is one leaf, so a value injected into a segment
 * (`/post/1 OR 1=1`, `/files/;id`) does not stand at the text's start, where analyzers judge how a
 * value opens: `analyze` runs on the path as a whole and again from each segment that holds one of the
 * `breaks` characters, to the path's end (the payload may hold `/` itself: `/x/;cat /etc/passwd`), to
 * the segment's end, and to each of the last ROUTE_TAIL_SEGMENTS slashes after it (a route parameter
 * with more of the route after it: `/files/;id/view`, where `id/view` would read as one program's
 * path; `/files/|/usr/bin/id/view`). All of it is done on the path as sent and, when it has `+` for
 * spaces, as a server that decodes them reads it. The strongest finding of each rule is kept, spans
 * on the path (`plusAsSpace` keeps the length). A character of `carried` first in a segment joins it
 * to the slash before, so the value began a segment earlier: SQL's comment `/**\/` used for a blank
 * (`/items/2/**\/OR/**\/1=1`).
 */
export function judgePath(path: string, breaks: Uint8Array, analyze: (text: string) => Finding[], carried?: Uint8Array): Finding[] {
  const found = [...fromSegments(path, breaks, analyze, carried)];
  const spaced = plusAsSpace(path);
  if (spaced !== null) found.push(...fromSegments(spaced, breaks, analyze, carried));
  return strongestPerRule(found);
}

function fromSegments(path: string, breaks: Uint8Array, analyze: (text: string) => Finding[], carried: Uint8Array | undefined): Finding[] {
  const found = [...analyze(path)];
  let tail: number[] | null = null; // found on the first injected segment: most paths have none
  let segment = 0;
  let previous = 0;
  let judged = 0;
  let passes = 0;
  for (let i = 0; i < path.length && passes < MAX_INJECTED_SEGMENTS; i++) {
    const c = path.charCodeAt(i);
    if (c === 47) {
      previous = segment;
      segment = i + 1;
      continue;
    }
    if (c >= 128) continue;
    // Where the injected value begins: this segment, or for a carried character first in it, the one before.
    let start = 0;
    if (breaks[c]) start = segment;
    else if (carried?.[c] && i === segment) start = previous;
    // Each start is read once, whichever character found it.
    if (start > 0 && start !== judged) {
      judged = start;
      passes++;
      const next = path.indexOf("/", i + 1);
      tail ??= routeTailSlashes(path);
      const ends = new Set([path.length, ...tail.filter((end) => end > i)]);
      if (next > 0) ends.add(next);
      for (const end of ends) for (const f of analyze(path.slice(start, end))) found.push({ ...f, start: f.start + start, end: f.end + start });
    }
  }
  return found;
}

/** Where the last ROUTE_TAIL_SEGMENTS slashes of a path are (a leading `/` is no route tail; none past ROUTE_TAIL_MAX_PATH). */
export function routeTailSlashes(path: string): number[] {
  const out: number[] = [];
  if (path.length > ROUTE_TAIL_MAX_PATH) return out;
  for (let end = path.lastIndexOf("/"); end > 0 && out.length < ROUTE_TAIL_SEGMENTS; end = path.lastIndexOf("/", end - 1)) out.push(end);
  return out;
}

/** The statement fields of tracing and logging conventions (OpenTelemetry, Datadog), lower case. */
const REPORTED_STATEMENTS = new Set(["db.statement", "db.query.text", "db.query", "sql.query"]);
/** The same fields as a path's end: a key with dots in it or nested objects (`{"db": {"statement": …}}`). */
const REPORTED_STATEMENT_PATH = new RegExp(`(?:^|[.\\]])(?:${[...REPORTED_STATEMENTS].map((f) => f.replaceAll(".", "\\.")).join("|")})$`, "i");

/**
 * A field of a JSON body where instrumentation reports the statement a database ran (`db.statement`, as
 * a key, a nested path or an attribute pair's name): trace and log shippers post SQL and Mongo queries
 * there on every span, and the collector that receives them runs none. The SQL and NoSQL analyzers leave
 * it. Only a JSON body's: a query, a form or JSON inside another value is where an application reads
 * parameters, and there the name is the attacker's to choose.
 */
export function reportsStatement(input: { name: string; path: string }): boolean {
  return input.path.startsWith("body.json") && input.path.indexOf("~") === -1 && (REPORTED_STATEMENTS.has(input.name.toLowerCase()) || REPORTED_STATEMENT_PATH.test(input.path));
}

/** A host name without its port or an IPv6 address's brackets, lower-cased; "" when the text has none. */
export function hostName(host: string): string {
  return host.replace(/:\d*$/, "").replace(/^\[|\]$/g, "").toLowerCase();
}
