/**
 * Where in a long bare value a script construct can start, found in one pass that reads each word once
 * (a regex alternation of these names costs ~6 ms per MB, a search per name several times this pass):
 * a dialog or eval called or passed, a rarer sensitive name, a `document.x` sink or an assignment
 * that navigates, an identifier escape of an ASCII letter, a computed key that may fold to a
 * constant. A word alone (`location` in JSON, `confirm` in prose) is not a candidate: most values
 * have none, and a long one is read only around them.
 */

/** ASCII identifier characters, as a table: the pass below reads every character of the value. */
const IDENT = new Uint8Array(128);
for (let c = 0; c < 128; c++) IDENT[c] = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 36 || c === 95 ? 1 : 0;
const isIdent = (c: number) => c < 128 && IDENT[c] === 1;
const isBlank = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

/**
 * Longest block comment stepped over around a name (`alert/*x*\/(1)`, `document/*a*\/.cookie`): a
 * bound, so that a megabyte of unclosed `alert/*` costs a short look per name, not a search to the end.
 */
const MAX_COMMENT = 64;

/** The index after the block comment that opens at i (`/*`), or -1 when none closes within MAX_COMMENT. */
function commentEndAt(s: string, i: number): number {
  const limit = Math.min(s.length - 1, i + MAX_COMMENT);
  for (let k = i + 2; k < limit; k++) if (s.charCodeAt(k) === 42 && s.charCodeAt(k + 1) === 47) return k + 2;
  return -1;
}

/** The index where the block comment that closes just before i (`*\/`) opens, or -1. */
function commentStartBefore(s: string, i: number): number {
  const limit = Math.max(0, i - MAX_COMMENT);
  for (let k = i - 3; k >= limit; k--) if (s.charCodeAt(k) === 47 && s.charCodeAt(k + 1) === 42) return k;
  return -1;
}

/** The next character that is no blank and in no block comment (JavaScript reads a comment as a space). */
function nextNonBlank(s: string, i: number): number {
  for (;;) {
    while (i < s.length && isBlank(s.charCodeAt(i))) i++;
    const after = s.charCodeAt(i) === 47 && s.charCodeAt(i + 1) === 42 ? commentEndAt(s, i) : -1;
    if (after === -1) return s.charCodeAt(i);
    i = after;
  }
}

function prevNonBlank(s: string, i: number): number {
  for (;;) {
    while (i > 0 && isBlank(s.charCodeAt(i - 1))) i--;
    const open = i >= 4 && s.charCodeAt(i - 1) === 47 && s.charCodeAt(i - 2) === 42 ? commentStartBefore(s, i) : -1;
    if (open === -1) return i > 0 ? s.charCodeAt(i - 1) : -1;
    i = open;
  }
}

/** Called (`(`, a template), called indirectly (`.call`), or passed as a value (`=alert`, `(alert)`, `,eval`). */
function calledOrPassed(s: string, at: number, len: number): boolean {
  const next = nextNonBlank(s, at + len);
  if (next === 40 || next === 96 || next === 46) return true;
  const prev = prevNonBlank(s, at);
  return prev === 61 || prev === 40 || prev === 44;
}

/** A member (`document.cookie`) or an assignment (`location = ...`, not `==`). */
function memberOrAssigned(s: string, at: number, len: number): boolean {
  if (prevNonBlank(s, at) === 46) return true;
  let k = at + len;
  while (k < s.length && isBlank(s.charCodeAt(k))) k++;
  if (s.charCodeAt(k) === 43) k++;
  return s.charCodeAt(k) === 61 && s.charCodeAt(k + 1) !== 61;
}

type Check = (s: string, at: number, len: number) => boolean;

const anyUse: Check = () => true;
const called: Check = (s, at, len) => nextNonBlank(s, at + len) === 40;
const tagsTemplate: Check = (s, at, len) => nextNonBlank(s, at + len) === 96;

/** Names and what must surround them for a construct to be possible. */
const WORDS: [string, Check][] = [
  ["alert", calledOrPassed], ["prompt", calledOrPassed], ["confirm", calledOrPassed], ["eval", calledOrPassed],
  ["execScript", anyUse], ["Function", anyUse], ["constructor", anyUse], ["setTimeout", anyUse], ["setInterval", anyUse],
  ["setImmediate", anyUse], ["globalEval", anyUse], ["Reflect", anyUse], ["import", called],
  ["cookie", memberOrAssigned], ["domain", memberOrAssigned], ["location", memberOrAssigned], ["write", memberOrAssigned],
  ["writeln", memberOrAssigned], ["href", memberOrAssigned], ["srcdoc", memberOrAssigned], ["innerHTML", memberOrAssigned],
  ["outerHTML", memberOrAssigned], ["call", tagsTemplate], ["apply", tagsTemplate], ["bind", tagsTemplate],
];

/** Names a computed key may start with when it folds to a constant (see constant.ts). */
const KEY_STARTS = ["atob", "String", "unescape", "decodeURI"];

/** `x[` followed by a string, a group, a regex or a decoder call: a key that may fold to a name. */
function foldableKey(s: string, at: number): boolean {
  const before = prevNonBlank(s, at);
  // A name, `)` or `]` indexed (a comment between them is stepped over: `self/*x*/["alert"]`); a `/` that
  // ends a longer comment than prevNonBlank steps over still counts.
  if (!(isIdent(before) || before === 41 || before === 93 || before === 47)) return false;
  let k = at + 1;
  while (k < s.length && isBlank(s.charCodeAt(k))) k++;
  const c = s.charCodeAt(k);
  return c === 39 || c === 34 || c === 96 || c === 40 || c === 47 || KEY_STARTS.some((w) => s.startsWith(w, k));
}

/** `\u0061`, `\u{61}`: an escape of an ASCII letter, as an escaped identifier has. */
function asciiEscape(s: string, at: number): boolean {
  if (s.charCodeAt(at + 2) === 123) {
    let k = at + 3;
    while (s.charCodeAt(k) === 48) k++;
    return s.charCodeAt(k) >= 52 && s.charCodeAt(k) <= 55;
  }
  return s.startsWith("00", at + 2) && s.charCodeAt(at + 4) >= 52 && s.charCodeAt(at + 4) <= 55;
}

/** The names above by their first character code, so one pass over the value looks up each word once. */
const WORDS_BY_FIRST: ([string, Check][] | undefined)[] = [];
for (const entry of WORDS) {
  const first = entry[0].charCodeAt(0);
  WORDS_BY_FIRST[first] = [...(WORDS_BY_FIRST[first] ?? []), entry];
}

/** Positions in s[from, end) where a construct may start, ascending: one pass, each word read once. */
export function candidatePositions(s: string, from: number, end: number): number[] {
  const out: number[] = [];
  let i = from;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c === 91 /* [ */) {
      if (foldableKey(s, i)) out.push(i);
      i++;
    } else if (c === 92 /* \ */) {
      if (s.charCodeAt(i + 1) === 117 && asciiEscape(s, i)) out.push(i);
      i++;
    } else if (c < 128 && IDENT[c] === 1) {
      const words = WORDS_BY_FIRST[c];
      let k = i + 1;
      while (k < end && isIdent(s.charCodeAt(k))) k++;
      if (words) for (const [word, check] of words) if (k - i === word.length && s.startsWith(word, i) && check(s, i, word.length)) out.push(i);
      i = k;
    } else {
      i++;
    }
  }
  return out;
}
