/**
 * Keywords written around keywords, `UNIunionON SELselectECT`, `UNIselectON`: a filter that deletes
 * each keyword it finds once, and does not look again, joins the outer letters into the keyword it
 * meant to remove. The value is read again as such a filter leaves it, twice over for a filter that
 * runs twice (`UNUNIunionONION`).
 */
import { isAsciiLetter, lowerAsciiCode, partitionPoint } from "../text.ts";

/**
 * The words such filters delete, and that an injection needs whole again. Not `by`: `bandy` and
 * `Bally` are words and names, `b` + `and` + `y`.
 */
const KEYWORDS = "union select from where and or xor not all order group having limit like into null sleep benchmark waitfor delay insert update delete drop exec execute declare concat group_concat char ascii substring information_schema pg_sleep".split(" ");
const KEYWORD_SET = new Set(KEYWORDS);

/** A filter's deletions undone this many times over beyond the first (`UNUNIunionONION`). */
const MAX_DEPTH = 1;
/** A word shorter than two of the shortest keywords, or longer than the most the longest can nest to, holds no nesting. */
const MIN_WORD = 2 * Math.min(...KEYWORDS.map((k) => k.length));
const MAX_WORD = (MAX_DEPTH + 2) * Math.max(...KEYWORDS.map((k) => k.length));

export interface NestedReading {
  text: string;
  /** An index of the read text, as an index of the value. */
  toValue: (r: number) => number;
}

/** A word read as a keyword: where it starts in the read text and in the text before, its length there, and the keyword cut out of it. */
interface Cut {
  at: number;
  from: number;
  length: number;
  cutAt: number;
  cutLength: number;
}

/** Keywords by their first letter's code: a word can only be read as one it starts like. */
const BY_FIRST: (string[] | undefined)[] = [];
for (const k of KEYWORDS) (BY_FIRST[k.charCodeAt(0)] ??= []).push(k);

/** A letter of a SQL word (`_` joins `information_schema`); digits around one are a version comment's (`/*!50000UNIunionON*\/`). */
const isWordLetter = (c: number) => isAsciiLetter(c) || c === 95;

/** Does s[.., end) end with the letters of `word` from `from` on, in any case? */
function endsLike(s: string, end: number, word: string, from: number): boolean {
  for (let i = 1; i <= word.length - from; i++) if (lowerAsciiCode(s.charCodeAt(end - i)) !== word.charCodeAt(word.length - i)) return false;
  return true;
}

/**
 * Where the word s[start, end) holds, between its first and last letters, what reads as a listed
 * keyword (itself such a word at most `depth` times over), with the letters around it a keyword too;
 * or null: `UNIselectON` is `UNI` + `select` + `ON`, `UNUNIunionONION` is `UN` + `UNIunionON` + `ION`.
 * Compared code by code: most words of a text fail on their first letters and build no string.
 */
function innerKeyword(s: string, start: number, end: number, depth: number): { at: number; length: number } | null {
  for (const outer of BY_FIRST[lowerAsciiCode(s.charCodeAt(start))] ?? []) {
    const cut = end - start - outer.length;
    if (cut < 2) continue;
    for (let at = 1; at < outer.length && lowerAsciiCode(s.charCodeAt(start + at - 1)) === outer.charCodeAt(at - 1); at++) {
      if (!endsLike(s, end, outer, at)) continue;
      const from = start + at;
      if (KEYWORD_SET.has(s.slice(from, from + cut).toLowerCase()) || (depth > 0 && innerKeyword(s, from, from + cut, depth - 1))) return { at, length: cut };
    }
  }
  return null;
}

/**
 * Longest value read for nested keywords: an evasion of a filter is a payload's few words, and the
 * scan of a value is a pass over each of its words (what a large body's leaves past the leaf limit,
 * judged together, would pay for on every request).
 */
const MAX_VALUE = 65_536;

/** The value as filters that delete keywords once leave it, or null when it nests none. */
export function collapseNestedKeywords(value: string): NestedReading | null {
  if (value.length > MAX_VALUE) return null;
  const cuts: Cut[] = [];
  let text = "";
  let from = 0;
  for (let i = 0; i < value.length; ) {
    if (!isWordLetter(value.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < value.length && isWordLetter(value.charCodeAt(i))) i++;
    const length = i - start;
    const inner = length >= MIN_WORD && length <= MAX_WORD ? innerKeyword(value, start, i, MAX_DEPTH) : null;
    if (!inner) continue;
    text += value.slice(from, start);
    cuts.push({ at: text.length, from: start, length, cutAt: inner.at, cutLength: inner.length });
    text += value.slice(start, start + inner.at) + value.slice(start + inner.at + inner.length, i);
    from = i;
  }
  if (!cuts.length) return null;
  text += value.slice(from);
  const toValue = (r: number) => {
    const k = partitionPoint(cuts.length, (mid) => cuts[mid]!.at <= r) - 1;
    if (k < 0) return r;
    const { at, from, length, cutAt, cutLength } = cuts[k]!;
    const offset = r - at;
    // Inside the word read: its letters before the cut are the word's start, the rest its end.
    if (offset < length - cutLength) return from + (offset < cutAt ? offset : offset + cutLength);
    return from + length + (offset - (length - cutLength));
  };
  return { text, toValue };
}
