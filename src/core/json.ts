/**
 * JSON from the network or a log, parsed with a nesting limit. `JSON.parse` itself copes with deep
 * nesting, but everything that walks the result afterwards (validators, serializers, our own
 * recursive walks) recurses once per level and dies with "Maximum call stack size exceeded" on a
 * few hundred KB of `[[[[...`. A linear pre-scan counts the nesting outside strings first, so a too
 * deep document is refused before anything is built from it.
 */

/** Nesting deeper than any real request body, log line or message needs. */
export const DEFAULT_MAX_JSON_DEPTH = 64;

/** The document nests deeper than the limit. */
export class JsonDepthError extends Error {
  constructor(readonly maxDepth: number) {
    super(`JSON nested deeper than ${maxDepth} levels`);
    this.name = "JsonDepthError";
  }
}

/**
 * One pass over `text` as JSON's lexer reads it, strings told apart from what is outside them: the
 * number of strings it holds (keys and values), or -1 as soon as `[` and `{` nest deeper than
 * `maxDepth`. It does not check the syntax, `JSON.parse` does that.
 */
function scan(text: string, maxDepth: number): number {
  let depth = 0;
  let strings = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      strings++;
      // Strings are most of a body's text: jump from quote to quote rather than read every character.
      const end = closingQuote(text, i);
      if (end < 0) return strings; // never closed: JSON.parse says so
      i = end;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return -1;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return strings;
}

/**
 * The index of the quote that closes the string opened at `open`, or -1: the next `"` after an even
 * run of backslashes (`\"` is escaped, `\\"` is not). Each backslash is read back once at most, so a
 * whole scan stays linear.
 */
function closingQuote(text: string, open: number): number {
  for (let from = open + 1; ; ) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return -1;
    let before = quote - 1;
    while (before > open && text.charCodeAt(before) === 0x5c) before--;
    if ((quote - 1 - before) % 2 === 0) return quote;
    from = quote + 1;
  }
}

/** True when `text` nests `[` and `{` (outside strings) deeper than `maxDepth`; stops at the first level too deep. */
export function nestsDeeperThan(text: string, maxDepth: number): boolean {
  return scan(text, maxDepth) < 0;
}

/**
 * `JSON.parse` for untrusted text: throws `JsonDepthError` when it nests deeper than `maxDepth`,
 * `SyntaxError` when it is not JSON.
 */
export function parseJson(text: string, maxDepth = DEFAULT_MAX_JSON_DEPTH): unknown {
  return parseJsonCountingStrings(text, maxDepth).doc;
}

/** `parseJson`, with the strings (keys and values) the text holds, counted by the same pre-scan: no second pass over a large body. */
export function parseJsonCountingStrings(text: string, maxDepth = DEFAULT_MAX_JSON_DEPTH): { doc: unknown; strings: number } {
  const strings = scan(text, maxDepth);
  if (strings < 0) throw new JsonDepthError(maxDepth);
  return { doc: JSON.parse(text), strings };
}
