/**
 * A linear tokenizer of SQL as MySQL, MSSQL, PostgreSQL, Oracle and SQLite read it. It starts either
 * in code (the value lands bare, as a number would) or inside a string quoted with ' or " (the value
 * lands in a quoted literal): then the first token is the rest of that literal, and whatever follows
 * its closing quote is code. Comments are tokens (rules read them); MySQL's executable comments
 * `/*! ... *\/` are not, since their content is SQL. Tokens live in one Int32Array reused across
 * calls: a megabyte of text is tokenized without allocating per token.
 */
import { hexValue } from "../../../parse/decode.ts";
import { isAsciiDigit } from "../text.ts";
import { foldHash, HASH_SEED, KEYWORD, LONGEST_WORD, lookupWord, mayBeWord, wordFlags } from "./words.ts";

export const K = {
  /** A string literal; aux = quote code, | CLOSED when its closing quote is there. */
  STR: 1,
  /** A number; aux = 1 for hex or binary (0x41, 0b1). */
  NUM: 2,
  /** A word; aux = index of the known SQL word, or -1. */
  WORD: 3,
  /** A word followed by `(`: a call. aux as WORD. */
  FUNC: 4,
  /** `@x`, `@@version`. */
  VAR: 5,
  /** An operator; aux = its characters packed by opCode. */
  OP: 6,
  OPEN: 7,
  /** aux = the index of its OPEN, or -1. */
  CLOSE: 8,
  COMMA: 9,
  SEMI: 10,
  DOT: 11,
  /** aux = COMMENT_DASH (`--`), COMMENT_HASH (`#`) or COMMENT_BLOCK. */
  COMMENT: 12,
  /** A quoted identifier: `name` or [name]. */
  IDENT: 13,
  /** A control character. */
  OTHER: 14,
} as const;

export const CLOSED = 0x10000;
/**
 * With a quote passed to tokenize: the application's literal takes backslashes as plain characters, as
 * standard SQL (PostgreSQL, SQLite, MSSQL, Oracle) does, so `\'` closes it; MySQL reads it as an escape.
 */
export const PLAIN_LITERAL = 0x100;
/**
 * With or without a quote: `#` is no comment, as to every database but MySQL (PostgreSQL's XOR, SQL
 * Server's temporary tables, SQLite's nothing): `sqlmap/1.7#stable AND SLEEP(5)` runs its SLEEP there.
 */
export const HASH_NO_COMMENT = 0x200;

/** Does the first `quote` in text follow a backslash (so that the two readings of a literal differ)? */
export function escapedFirstQuote(text: string, quote: number): boolean {
  const at = text.indexOf(String.fromCharCode(quote));
  let backslashes = 0;
  while (at - backslashes > 0 && text.charCodeAt(at - backslashes - 1) === 92) backslashes++;
  return backslashes % 2 === 1;
}
export const COMMENT_DASH = 1;
export const COMMENT_HASH = 2;
export const COMMENT_BLOCK = 3;

/** An operator's characters packed into a number, for comparing without building strings. */
export function opCode(op: string): number {
  let code = 0;
  for (let i = op.length - 1; i >= 0; i--) code = code * 256 + op.charCodeAt(i);
  return code;
}

/**
 * `<=>` `->>` are 3 characters; `<>` `<=` `>=` `!=` `!<` `!>` `||` `&&` `::` `:=` `<<` `>>` `==` and
 * PostgreSQL's JSON and array operators `<@` `->` `?|` `?&` are 2; the rest 1. (`@>` `@@` are read with `@`.)
 */
function operatorLength(c: number, next: number, third: number): number {
  switch (c) {
    case 60: // <
      if (next === 61) return third === 62 ? 3 : 2;
      return next === 62 || next === 60 || next === 64 ? 2 : 1;
    case 45: // -
      return next !== 62 ? 1 : third === 62 ? 3 : 2;
    case 63: // ?
      return next === 124 || next === 38 ? 2 : 1;
    case 62: // >
      return next === 61 || next === 62 ? 2 : 1;
    case 33: // !
      return next === 61 || next === 60 || next === 62 ? 2 : 1;
    case 124: // |
    case 38: // &
      return next === c ? 2 : 1;
    case 58: // :
      return next === 58 || next === 61 ? 2 : 1;
    case 61: // =
      return next === 61 ? 2 : 1;
    default:
      return 1;
  }
}

/** Fields of a token in `SqlTokens.data`. */
const KIND = 0;
const START = 1;
const END = 2;
const AUX = 3;
const MATCH = 4;
const FIELDS = 5;

/**
 * Tokens, each FIELDS numbers of one Int32Array: one growing buffer is written about three times
 * faster than one array per field, and tokenizing is most of the analyzer's time on long values.
 * Reads past either end give 0 (kind: no token), so rules may look ahead without bounds checks.
 */
export class SqlTokens {
  count = 0;
  data = new Int32Array(64 * FIELDS);
  text = "";

  kind(i: number): number {
    return i >= 0 && i < this.count ? this.data[i * FIELDS + KIND]! : 0;
  }
  start(i: number): number {
    return i >= 0 && i < this.count ? this.data[i * FIELDS + START]! : 0;
  }
  end(i: number): number {
    return i >= 0 && i < this.count ? this.data[i * FIELDS + END]! : 0;
  }
  /** See K: a string's quote, a word's index, an operator's characters, a comment's style. */
  aux(i: number): number {
    return i >= 0 && i < this.count ? this.data[i * FIELDS + AUX]! : -1;
  }
  /** For OPEN: the index of its CLOSE, or `count` when it is never closed. */
  match(i: number): number {
    return i >= 0 && i < this.count ? this.data[i * FIELDS + MATCH]! : -1;
  }

  push(kind: number, start: number, end: number, aux: number): void {
    const at = this.count * FIELDS;
    if (at === this.data.length) this.grow(this.data.length * 2);
    const data = this.data;
    data[at + KIND] = kind;
    data[at + START] = start;
    data[at + END] = end;
    data[at + AUX] = aux;
    this.count++;
  }

  setMatch(i: number, match: number): void {
    this.data[i * FIELDS + MATCH] = match;
  }

  grow(size: number): void {
    const data = new Int32Array(size);
    data.set(this.data);
    this.data = data;
  }
}

/** What a character can start, for ASCII (one table lookup instead of a chain of comparisons). */
const C = { OPERATOR: 0, SPACE: 1, QUOTE: 2, BACKTICK: 3, BRACKET: 4, DASH: 5, HASH: 6, SLASH: 7, STAR: 8, DIGIT: 9, WORD: 10, AT: 11, OPEN: 12, CLOSE: 13, COMMA: 14, SEMI: 15, DOT: 16, CONTROL: 17 } as const;
const CLASS = new Uint8Array(128);
for (let c = 0; c < 32; c++) CLASS[c] = C.CONTROL;
CLASS[127] = C.CONTROL;
// SQL Server reads 0x01-0x0F as blanks too (sqlmap's space2mssqlblank spells `1\x01OR\x011=1` so); a NUL
// and the higher controls stay no SQL (endsClause).
for (let c = 1; c <= 15; c++) CLASS[c] = C.SPACE;
CLASS[32] = C.SPACE;
for (let c = 48; c <= 57; c++) CLASS[c] = C.DIGIT;
for (let c = 65; c <= 90; c++) CLASS[c] = CLASS[c + 32] = C.WORD;
CLASS[95] = CLASS[36] = C.WORD; // _ $
const PUNCTUATION: [string, number][] = [["'", C.QUOTE], ['"', C.QUOTE], ["`", C.BACKTICK], ["[", C.BRACKET], ["-", C.DASH], ["#", C.HASH], ["/", C.SLASH], ["*", C.STAR], ["@", C.AT], ["(", C.OPEN], [")", C.CLOSE], [",", C.COMMA], [";", C.SEMI], [".", C.DOT]];
for (const [c, kind] of PUNCTUATION) CLASS[c.charCodeAt(0)] = kind;

function classOf(c: number): number {
  return c < 128 ? CLASS[c]! : c === 0xa0 ? C.SPACE : C.WORD;
}

export function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0;
}

const WORD_PART = CLASS.map((kind) => (kind === C.WORD || kind === C.DIGIT ? 1 : 0));

function isWordPart(c: number): boolean {
  return c >= 128 ? c !== 0xa0 : WORD_PART[c] === 1; // NaN (past the end) is not
}

/** Where a string quoted with `quote` that continues at `i` ends (after its closing quote), or -1 when it never does. */
function stringEnd(text: string, i: number, quote: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */) i += 2;
    else if (c === quote) {
      if ((text.charCodeAt(i + 1) | 0) !== quote) return i + 1;
      i += 2; // a doubled quote is the quote itself
    } else i++;
  }
  return -1;
}

/** The next index at or after `i` that is neither whitespace nor inside a plain block comment. */
function skipSpace(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) i++;
    else if (c === 47 && text.charCodeAt(i + 1) === 42 && text.charCodeAt(i + 2) !== 33) {
      const close = text.indexOf("*/", i + 2);
      if (close < 0) return n;
      i = close + 2;
    } else return i;
  }
  return n;
}

/**
 * Tokenizes `text` into `out`. `quote` is 0 to start in code, or the code of ' or " to start inside
 * a literal quoted with it. `bare`, when given, holds the same text already tokenized from code: once
 * the quoted reading reaches a token the bare one starts at the same place, the two readings agree
 * from there on (the tokenizer's state is only its position), so the rest is copied instead of
 * scanned again. A megabyte of JSON is then tokenized about once, not once per context.
 */
export function tokenize(text: string, quote: number, out: SqlTokens, bare?: SqlTokens): void {
  out.count = 0;
  out.text = text;
  const n = text.length;
  let i = 0;
  const hashComments = (quote & HASH_NO_COMMENT) === 0;
  quote &= ~HASH_NO_COMMENT;
  if (quote & PLAIN_LITERAL) {
    // The application's literal, read without backslash escapes: it ends at its first lone quote.
    quote &= 0xff;
    let end = text.indexOf(String.fromCharCode(quote));
    while (end >= 0 && text.charCodeAt(end + 1) === quote) end = text.indexOf(String.fromCharCode(quote), end + 2);
    out.push(K.STR, 0, end < 0 ? n : end + 1, end < 0 ? quote : quote | CLOSED);
    i = end < 0 ? n : end + 1;
  } else if (quote !== 0) {
    const end = stringEnd(text, 0, quote);
    out.push(K.STR, 0, end < 0 ? n : end, end < 0 ? quote : quote | CLOSED);
    i = end < 0 ? n : end;
  }
  // Open parentheses not yet closed: a stack of token indexes kept in `match` itself (each entry
  // points at the enclosing open parenthesis until its own close is found).
  let innermost = -1;
  // Inside a MySQL executable comment, whose closing `*/` is skipped like whitespace.
  let executable = false;
  // Executable comments are state the copy would not carry: with them, no copy. A reading that has
  // not fallen in step within SYNC_TOKENS is out of phase for good (an odd quote in prose): stop looking.
  let shared = bare !== undefined && bare.text === text && text.indexOf("/*!") < 0 ? 0 : -1;
  while (i < n) {
    if (shared >= 0) {
      const b = bare!;
      shared = out.count > SYNC_TOKENS ? -1 : firstStartingAt(b, shared, i);
      if (shared >= b.count) shared = -1;
      // A `.5` reads by the token before it (`t.5`), which the two readings do not share.
      if (shared >= 0 && b.start(shared) === i && text.charCodeAt(i) !== 46) {
        innermost = copyTail(b, shared, out, innermost);
        break;
      }
    }
    const c = text.charCodeAt(i);
    // `| 0`: past the end charCodeAt gives NaN, which would make the engine treat every code as a double.
    const next = text.charCodeAt(i + 1) | 0;
    const start = i;
    switch (classOf(c)) {
      case C.SPACE:
        i++;
        continue;
      case C.WORD:
        i = scanWord(text, i, out);
        continue;
      case C.QUOTE: {
        const end = stringEnd(text, i + 1, c);
        i = end < 0 ? n : end;
        out.push(K.STR, start, i, end < 0 ? c : c | CLOSED);
        continue;
      }
      case C.BACKTICK: {
        const close = text.indexOf("`", i + 1);
        i = close < 0 ? n : close + 1;
        out.push(K.IDENT, start, i, 0);
        continue;
      }
      case C.BRACKET: {
        const end = bracketIdentEnd(text, i);
        if (end < 0) break;
        i = end;
        out.push(K.IDENT, start, i, 0);
        continue;
      }
      case C.DASH:
        if (next !== 45) break;
        i = lineEnd(text, i);
        out.push(K.COMMENT, start, i, COMMENT_DASH);
        continue;
      case C.HASH:
        if (!hashComments) break;
        i = lineEnd(text, i);
        out.push(K.COMMENT, start, i, COMMENT_HASH);
        continue;
      case C.SLASH:
        if (next !== 42) break;
        if (text.charCodeAt(i + 2) === 33 /* ! */) {
          // `/*!50000 UNION */`: MySQL runs the content; the version digits are not part of it.
          i += 3;
          while (i < n && i < start + 9 && isAsciiDigit(text.charCodeAt(i))) i++;
          executable = true;
        } else {
          const close = text.indexOf("*/", i + 2);
          i = close < 0 ? n : close + 2;
          out.push(K.COMMENT, start, i, COMMENT_BLOCK);
        }
        continue;
      case C.STAR:
        if (next !== 47 || !executable) break;
        i += 2;
        executable = false;
        continue;
      case C.DIGIT:
        i = numberEnd(text, i);
        // `1.e(`, `1.e)`, `1.e,`: MySQL reads a number with an empty exponent before these as nothing,
        // a known way past filters (`1' or 1.e(1) or '1'='1`); it is skipped as a space would be.
        if (text.charCodeAt(i - 1) === 46 && (text.charCodeAt(i) | 0x20) === 101 && emptyExponentBefore(text.charCodeAt(i + 1))) {
          i++;
          continue;
        }
        out.push(K.NUM, start, i, c === 48 && (next === 120 || next === 88 || next === 98 || next === 66) && i > start + 2 ? 1 : 0);
        continue;
      case C.DOT:
        if (isAsciiDigit(next) && !followsName(out)) {
          i = numberEnd(text, i);
          out.push(K.NUM, start, i, 0);
        } else out.push(K.DOT, start, ++i, 0);
        continue;
      case C.AT: {
        let j = i + 1;
        if (text.charCodeAt(j) === 64) j++;
        while (j < n && isWordPart(text.charCodeAt(j))) j++;
        if (j > i + 1 && isWordPart(text.charCodeAt(j - 1))) {
          i = j;
          out.push(K.VAR, start, i, 0);
        } else if (next === 62 || next === 64) {
          // `@>` (contains), `@@` (text or JSON path match)
          i += 2;
          out.push(K.OP, start, i, c + next * 256);
        } else out.push(K.OP, start, ++i, c);
        continue;
      }
      case C.OPEN: {
        const opener = out.count;
        out.push(K.OPEN, start, ++i, 0);
        out.setMatch(opener, innermost);
        innermost = opener;
        continue;
      }
      case C.CLOSE: {
        const opener = innermost;
        if (innermost >= 0) {
          const enclosing = out.match(innermost);
          out.setMatch(innermost, out.count);
          innermost = enclosing;
        }
        out.push(K.CLOSE, start, ++i, opener);
        continue;
      }
      case C.COMMA:
        out.push(K.COMMA, start, ++i, 0);
        continue;
      case C.SEMI:
        out.push(K.SEMI, start, ++i, 0);
        continue;
      case C.CONTROL:
        out.push(K.OTHER, start, ++i, 0);
        continue;
    }
    // An operator, or a character above whose special reading did not apply (`[1]`, `-1`, `/`, `*`).
    const third = text.charCodeAt(i + 2) | 0;
    const length = operatorLength(c, next, third);
    i += length;
    out.push(K.OP, start, i, length === 3 ? c + next * 256 + third * 65536 : length === 2 ? c + next * 256 : c);
  }
  while (innermost >= 0) {
    const enclosing = out.match(innermost);
    out.setMatch(innermost, out.count);
    innermost = enclosing;
  }
}

const SYNC_TOKENS = 4096;

/**
 * The first token at or after `from` that starts at or after `position`: galloping then bisecting, so
 * a reading that jumps over long strings does not step through every bare token inside them.
 */
function firstStartingAt(t: SqlTokens, from: number, position: number): number {
  let step = 1;
  let low = from;
  let high = from;
  while (high < t.count && t.start(high) < position) {
    low = high + 1;
    high += step;
    step *= 2;
  }
  if (high > t.count) high = t.count;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (t.start(middle) < position) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * Appends bare's tokens from `from` on to `out`. Parentheses opened in the tail are matched as in bare
 * (shifted); a close in the tail that bare matched before `from` closes `out`'s own open ones instead.
 * Returns the innermost of `out`'s parentheses still open.
 */
function copyTail(bare: SqlTokens, from: number, out: SqlTokens, innermost: number): number {
  const shift = out.count - from;
  const first = out.count;
  const count = first + bare.count - from;
  if (out.data.length < count * FIELDS) out.grow(Math.max(count * FIELDS, out.data.length * 2));
  out.data.set(bare.data.subarray(from * FIELDS, bare.count * FIELDS), first * FIELDS);
  out.count = count;
  let depth = 0;
  for (let i = first; i < count; i++) {
    const kind = out.kind(i);
    if (kind === K.OPEN) {
      out.setMatch(i, out.match(i) + shift);
      depth++;
    } else if (kind === K.CLOSE) {
      if (depth > 0) {
        depth--;
        out.data[i * FIELDS + AUX] = out.aux(i) + shift;
      } else {
        out.data[i * FIELDS + AUX] = innermost;
        if (innermost >= 0) {
          const enclosing = out.match(innermost);
          out.setMatch(innermost, i);
          innermost = enclosing;
        }
      }
    }
  }
  return innermost;
}

function lineEnd(text: string, i: number): number {
  const newline = text.indexOf("\n", i);
  return newline < 0 ? text.length : newline;
}

/** `[name]` (MSSQL): only short word-like content counts, so JSON arrays stay operators. */
function bracketIdentEnd(text: string, i: number): number {
  let j = i + 1;
  while (j < text.length && j < i + 130) {
    const c = text.charCodeAt(j);
    if (c === 93) return j > i + 1 ? j + 1 : -1;
    if (!isWordPart(c) && c !== 32) return -1;
    j++;
  }
  return -1;
}

/** A `.` right after a name is a qualifier (`t.5`), not the start of a number. */
function followsName(out: SqlTokens): boolean {
  const last = out.count - 1;
  if (last < 0) return false;
  const kind = out.kind(last);
  // After a keyword (`SELECT.1`, `UNION SELECT.5`) the dot starts a number.
  if (kind === K.WORD) return (wordFlags(out.aux(last)) & KEYWORD) === 0;
  return kind === K.IDENT || kind === K.CLOSE;
}

/** `(`, `)` or `,`: what MySQL lets a number with an empty exponent (`1.e`) stand before as nothing. */
const emptyExponentBefore = (c: number) => c === 40 || c === 41 || c === 44;

function numberEnd(text: string, i: number): number {
  const n = text.length;
  const c = text.charCodeAt(i);
  const x = text.charCodeAt(i + 1) | 0x20;
  if (c === 48 && x === 120 && hexValue(text.charCodeAt(i + 2)) >= 0) {
    i += 2;
    while (i < n && hexValue(text.charCodeAt(i)) >= 0) i++;
    return i;
  }
  if (c === 48 && x === 98 && (text.charCodeAt(i + 2) === 48 || text.charCodeAt(i + 2) === 49)) {
    i += 2;
    while (i < n && (text.charCodeAt(i) === 48 || text.charCodeAt(i) === 49)) i++;
    return i;
  }
  while (i < n && isAsciiDigit(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) === 46) {
    i++;
    while (i < n && isAsciiDigit(text.charCodeAt(i))) i++;
  }
  if ((text.charCodeAt(i) | 0x20) === 101) {
    let j = i + 1;
    const sign = text.charCodeAt(j);
    if (sign === 43 || sign === 45) j++;
    if (isAsciiDigit(text.charCodeAt(j))) {
      i = j;
      while (i < n && isAsciiDigit(text.charCodeAt(i))) i++;
    }
  }
  return i;
}

/**
 * `UN/**\/ION`: a keyword cut by a comment, for filters that delete comments before the query runs.
 * When the word at [start, end) and the word right after the comment spell a known word, it is pushed
 * as that word (spanning the comment) and the index after it is returned; otherwise -1.
 */
function splitKeyword(text: string, start: number, end: number, hash: number, out: SqlTokens): number {
  const close = text.indexOf("*/", end + 2);
  if (close < 0 || close + 2 >= text.length || !isWordPart(text.charCodeAt(close + 2))) return -1;
  let j = close + 2;
  while (j < text.length && isWordPart(text.charCodeAt(j)) && j - close - 2 + end - start <= LONGEST_WORD) hash = foldHash(hash, text.charCodeAt(j++));
  if ((j < text.length && isWordPart(text.charCodeAt(j))) || !mayBeWord(hash)) return -1;
  const word = text.slice(start, end) + text.slice(close + 2, j);
  const known = lookupWord(word, 0, word.length, hash);
  if (known < 0) return -1;
  out.push(text.charCodeAt(skipSpace(text, j)) === 40 ? K.FUNC : K.WORD, start, j, known);
  return j;
}

/** A word, a call (a word before `(`), or a prefixed string (N'..', E'..', X'..', B'..'). */
function scanWord(text: string, i: number, out: SqlTokens): number {
  const n = text.length;
  const start = i;
  let hash = HASH_SEED;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c < 128 ? WORD_PART[c] === 0 : c === 0xa0) break;
    hash = foldHash(hash, c);
    i++;
  }
  const length = i - start;
  if (length === 1 && text.charCodeAt(i) === 39 && "nNeEbBxX".includes(text[start]!)) {
    const end = stringEnd(text, i + 1, 39);
    const stop = end < 0 ? n : end;
    out.push(K.STR, start, stop, end < 0 ? 39 : 39 | CLOSED);
    return stop;
  }
  if (text.charCodeAt(i) === 47 && text.charCodeAt(i + 1) === 42 && text.charCodeAt(i + 2) !== 33) {
    const joined = splitKeyword(text, start, i, hash, out);
    if (joined > 0) return joined;
  }
  // No SQL word has one letter: `a`, `x`, `t` (the commonest names) skip the lookup.
  const known = length > 1 && length <= LONGEST_WORD ? lookupWord(text, start, i, hash) : -1;
  // Most words are followed by a space or punctuation other than `(`: skip the space-and-comment scan then.
  const c = text.charCodeAt(i);
  // An executable comment may close between a name and its `(` (`/*!12345BENCHMARK*/(...)`): MySQL runs the call.
  const closesExecutable = c === 42 && text.charCodeAt(i + 1) === 47 && text.lastIndexOf("/*!", start) !== -1;
  const call = c === 40 || ((isSpace(c) || c === 47) && text.charCodeAt(skipSpace(text, i)) === 40) || (closesExecutable && text.charCodeAt(skipSpace(text, i + 2)) === 40);
  out.push(call ? K.FUNC : K.WORD, start, i, known);
  return i;
}
