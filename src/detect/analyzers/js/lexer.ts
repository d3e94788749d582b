/**
 * A small, tolerant JavaScript lexer: enough of the language to see calls, member accesses and string
 * constants the way an engine does, however they are spelled. Identifiers and strings carry their
 * decoded value (`\u0061lert` is the name `alert`, `'\x61'` is the string "a"), because that is what
 * the engine runs. It never throws and reads each character a bounded number of times.
 */
import { hexByteAt, hexUnitAt } from "../../../parse/decode.ts";
import { isAsciiDigit, isAsciiLetter } from "../text.ts";

export type TokenType = "name" | "string" | "template" | "number" | "regex" | "punct";

export interface Token {
  type: TokenType;
  /** Span in the lexed text. */
  start: number;
  end: number;
  /**
   * Decoded identifier, cooked string or template text (null for a template with `${`, whose value
   * is not a constant); the operator for punctuation.
   */
  value: string | null;
}

export const isLineEnd = (c: number) => c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0xfeff || c === 0x2028 || c === 0x2029;
function isIdentStart(c: number): boolean {
  return isAsciiLetter(c) || c === 36 || c === 95 || c >= 0x80;
}
const isIdentPart = (c: number) => isIdentStart(c) || isAsciiDigit(c);

/** A `\u` escape at i (`\uXXXX` or `\u{X...}`): [code point, length], or null. */
function unicodeEscape(s: string, i: number): [number, number] | null {
  if (s.charCodeAt(i + 2) === 123 /* { */) {
    const close = s.indexOf("}", i + 3);
    // Code points have at most 6 digits (leading zeros aside); a far brace is not this escape's.
    if (close === -1 || close - i > 16) return null;
    const cp = parseInt(s.slice(i + 3, close), 16);
    return Number.isNaN(cp) || cp > 0x10ffff ? null : [cp, close + 1 - i];
  }
  const cp = hexUnitAt(s, i + 2);
  return cp < 0 ? null : [cp, 6];
}

const SIMPLE_ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", b: "\b", f: "\f", v: "\v" };

/** One escape inside a string at i (s[i] is `\`): [decoded text, length]. */
function stringEscape(s: string, i: number): [string, number] {
  const c = s[i + 1] ?? "";
  if (c === "x") {
    const v = hexByteAt(s, i + 2);
    if (v >= 0) return [String.fromCharCode(v), 4];
  } else if (c === "u") {
    const u = unicodeEscape(s, i);
    if (u) return [String.fromCodePoint(u[0]), u[1]];
  } else if (c >= "0" && c <= "7") {
    let n = 1;
    while (n < 3 && s[i + 1 + n]! >= "0" && s[i + 1 + n]! <= "7") n++;
    return [String.fromCharCode(parseInt(s.slice(i + 1, i + 1 + n), 8) & 0xff), n + 1];
  } else if (c === "\r" || c === "\n") {
    return ["", c === "\r" && s[i + 2] === "\n" ? 3 : 2];
  }
  return [SIMPLE_ESCAPES[c] ?? c, 2];
}

/** The string whose quote is at i, read as the lexer reads it (an unterminated one ends at its line). */
export function lexString(s: string, i: number, end: number): Token {
  const quote = s.charCodeAt(i);
  let out = "";
  let k = i + 1;
  // Plain text runs are copied in slices, not per character.
  let run = k;
  while (k < end) {
    const c = s.charCodeAt(k);
    if (c !== quote && c !== 10 && c !== 13 && c !== 92) {
      k++;
      continue;
    }
    out += s.slice(run, k);
    if (c === quote) return { type: "string", start: i, end: k + 1, value: out };
    // An unterminated string ends at the line: what follows is code again for a tolerant reader.
    if (c === 10 || c === 13) break;
    const [text, len] = stringEscape(s, k);
    out += text;
    k += len;
    run = k;
  }
  if (k >= end) out += s.slice(run, Math.min(k, end));
  return { type: "string", start: i, end: Math.min(k, end), value: out };
}

function lexTemplate(s: string, i: number, end: number): Token {
  let out = "";
  let constant = true;
  let k = i + 1;
  // Plain text runs are copied in slices, not per character (a run past `end` adds nothing).
  let run = k;
  while (k < end) {
    const c = s.charCodeAt(k);
    if (c === 96 /* ` */) return { type: "template", start: i, end: k + 1, value: constant ? out + s.slice(run, k) : null };
    if (c === 36 && s.charCodeAt(k + 1) === 123) constant = false;
    if (c === 92) {
      const [text, len] = stringEscape(s, k);
      out += s.slice(run, k) + text;
      k += len;
      run = k;
      continue;
    }
    k++;
  }
  return { type: "template", start: i, end, value: constant ? out + s.slice(run, end) : null };
}

function lexName(s: string, i: number, end: number): Token {
  let k = i;
  while (k < end && isIdentPart(s.charCodeAt(k)) && !isSpace(s.charCodeAt(k))) k++;
  // Most names have no escapes: one slice.
  if (k >= end || s.charCodeAt(k) !== 92) return { type: "name", start: i, end: k, value: s.slice(i, k) };
  let out = s.slice(i, k);
  while (k < end) {
    const c = s.charCodeAt(k);
    if (c === 92 && s.charCodeAt(k + 1) === 117 /* \u */) {
      const u = unicodeEscape(s, k);
      if (!u) break;
      out += String.fromCodePoint(u[0]);
      k += u[1];
    } else if (isIdentPart(c) && !isSpace(c)) {
      out += s[k];
      k++;
    } else {
      break;
    }
  }
  return { type: "name", start: i, end: k, value: out };
}

/** The flags a regex literal may carry: `/static/setTimeout(...)` is a path, not a regex with flags. */
const isRegexFlag = (c: number) => c === 100 || c === 103 || c === 105 || c === 109 || c === 115 || c === 117 || c === 118 || c === 121;

/** Where a regex literal starting at i ends, or -1 when it does not end on its line or has flags no engine takes. */
function regexEnd(s: string, i: number, end: number): number {
  let inClass = false;
  for (let k = i + 1; k < end; k++) {
    const c = s.charCodeAt(k);
    if (c === 10 || c === 13) return -1;
    if (c === 92) k++;
    else if (c === 91) inClass = true;
    else if (c === 93) inClass = false;
    else if (c === 47 && !inClass) {
      let f = k + 1;
      while (f < end && isRegexFlag(s.charCodeAt(f))) f++;
      return f < end && isIdentPart(s.charCodeAt(f)) ? -1 : f;
    }
  }
  return -1;
}

/** Two-character operators by their two character codes (`c0 * 65536 + c1`): no substring per operator. */
const TWO_CHAR_OPS = new Map(["=>", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=", "/=", "**"].map((op) => [op.charCodeAt(0) * 65536 + op.charCodeAt(1), op]));

/** First characters of the multi-character operators above. */
const OPERATOR_START = new Set([..."=!<>&|?+-*/."].map((c) => c.charCodeAt(0)));

function operatorAt(s: string, i: number): string {
  const c0 = s.charCodeAt(i);
  const c1 = s.charCodeAt(i + 1);
  if (s.charCodeAt(i + 2) === c1) {
    if (c1 === 61 && (c0 === 61 || c0 === 33)) return c0 === 61 ? "===" : "!==";
    if (c0 === 46 && c1 === 46) return "...";
  }
  return TWO_CHAR_OPS.get(c0 * 65536 + c1) ?? s[i]!;
}

/** After these a `/` divides; elsewhere it starts a regex literal. */
function divisionFollows(prev: Token | undefined): boolean {
  if (!prev) return false;
  if (prev.type === "punct") return prev.value === ")" || prev.value === "]" || prev.value === "}";
  return prev.type !== "regex";
}

/** Tokens of s[start, end). Comments (`//`, `/* *\/`, and HTML-like `<!--`, `-->` lines) are skipped. */
export function lexJs(s: string, start = 0, end = s.length): Token[] {
  const tokens: Token[] = [];
  // A regex that failed to close reached this point: do not try again before it (keeps the scan linear).
  let regexFailedUntil = -1;
  let i = start;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (isSpace(c) || c === 0) {
      i++;
      continue;
    }
    if (c === 47 /* / */ && s.charCodeAt(i + 1) === 47) {
      // A line comment ends at any line terminator: `//%0d` code goes on after a CR alone.
      while (i < end && !isLineEnd(s.charCodeAt(i))) i++;
      continue;
    }
    if (c === 47 && s.charCodeAt(i + 1) === 42) {
      const close = s.indexOf("*/", i + 2);
      i = close === -1 || close >= end ? end : close + 2;
      continue;
    }
    if (c === 60 && s.startsWith("<!--", i)) {
      while (i < end && s.charCodeAt(i) !== 10) i++;
      continue;
    }
    let tok: Token;
    if (c === 39 || c === 34) tok = lexString(s, i, end);
    else if (c === 96) tok = lexTemplate(s, i, end);
    else if (isAsciiDigit(c) || (c === 46 && isAsciiDigit(s.charCodeAt(i + 1)))) {
      let k = i + 1;
      while (k < end && (isIdentPart(s.charCodeAt(k)) || s.charCodeAt(k) === 46)) k++;
      tok = { type: "number", start: i, end: k, value: s.slice(i, k) };
    } else if (isIdentStart(c) || (c === 92 && s.charCodeAt(i + 1) === 117)) {
      tok = lexName(s, i, end);
      if (tok.end === i) tok = { type: "punct", start: i, end: i + 1, value: "\\" };
    } else if (c === 47 && i >= regexFailedUntil && !divisionFollows(tokens[tokens.length - 1])) {
      const e = regexEnd(s, i, end);
      if (e === -1) {
        regexFailedUntil = s.indexOf("\n", i) === -1 ? end : s.indexOf("\n", i);
        tok = { type: "punct", start: i, end: i + 1, value: "/" };
      } else {
        tok = { type: "regex", start: i, end: e, value: s.slice(i, e) };
      }
    } else {
      const op = OPERATOR_START.has(c) ? operatorAt(s, i) : s[i]!;
      tok = { type: "punct", start: i, end: i + op.length, value: op };
    }
    tokens.push(tok);
    i = tok.end;
  }
  return tokens;
}
