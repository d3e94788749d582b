/**
 * Folds a token range to the string it evaluates to, when it is a constant: string and template
 * literals joined by `+`, `atob('...')`, `String.fromCharCode(...)`, `unescape`/`decodeURI(Component)`,
 * in parentheses or not. This is how `top['al'+'ert']` or `self[atob('YWxlcnQ=')]` name a function
 * without spelling it; anything else (a variable, a call of something else) is not a constant.
 */
import type { Token } from "./lexer.ts";
import { percentDecode } from "../../../parse/decode.ts";

/** Matching bracket index for each `(`, `[`, `{` and its closer; -1 when unmatched. */
export function matchBrackets(tokens: Token[]): Int32Array {
  const match = new Int32Array(tokens.length).fill(-1);
  const stack: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type !== "punct") continue;
    const v = t.value;
    if (v === "(" || v === "[" || v === "{") stack.push(i);
    else if (v === ")" || v === "]" || v === "}") {
      const open = stack.pop();
      if (open === undefined) continue;
      match[open] = i;
      match[i] = open;
    }
  }
  return match;
}

function decodeBase64(s: string): string | null {
  if (!/^[A-Za-z0-9+/=_-]*$/.test(s)) return null;
  return Buffer.from(s, "base64").toString("latin1");
}

const DECODERS: Record<string, (s: string) => string | null> = {
  atob: decodeBase64,
  unescape: (s) => percentDecode(s),
  decodeURI: (s) => percentDecode(s),
  decodeURIComponent: (s) => percentDecode(s),
};

const punct = (t: Token | undefined, v: string) => t !== undefined && t.type === "punct" && t.value === v;

/** Nesting beyond this is not folded (keeps recursion bounded on hostile input). */
const MAX_DEPTH = 8;

/** One term at i: [its string value, index after it], or null when it is not a constant. */
function term(tokens: Token[], match: Int32Array, i: number, depth: number): [string, number] | null {
  const t = tokens[i];
  if (!t) return null;
  if ((t.type === "string" || t.type === "template") && t.value !== null) return [t.value, i + 1];
  if (t.type === "number") return [t.value ?? "", i + 1];
  // `/al/.source` is the text "al".
  if (t.type === "regex" && punct(tokens[i + 1], ".") && tokens[i + 2]?.value === "source") {
    const v = t.value ?? "";
    return [v.slice(1, v.lastIndexOf("/")), i + 3];
  }
  if (punct(t, "(") && match[i]! > i) {
    const inner = fold(tokens, match, i + 1, match[i]!, depth + 1);
    return inner === null ? null : [inner, match[i]! + 1];
  }
  if (t.type !== "name") return null;
  // String.fromCharCode(97, 108, ...)
  if (t.value === "String" && punct(tokens[i + 1], ".") && tokens[i + 2]?.value === "fromCharCode" && punct(tokens[i + 3], "(") && match[i + 3]! > i) {
    const close = match[i + 3]!;
    let out = "";
    for (let k = i + 4; k < close; k++) {
      const a = tokens[k]!;
      if (a.type === "number") out += String.fromCharCode(Number(a.value) & 0xffff);
      else if (!punct(a, ",")) return null;
    }
    return [out, close + 1];
  }
  const decoder = DECODERS[t.value ?? ""];
  if (decoder && punct(tokens[i + 1], "(") && match[i + 1]! > i) {
    const inner = fold(tokens, match, i + 2, match[i + 1]!, depth + 1);
    const decoded = inner === null ? null : decoder(inner);
    return decoded === null ? null : [decoded, match[i + 1]! + 1];
  }
  return null;
}

/** The constant string tokens[from, to) evaluate to, or null. */
export function fold(tokens: Token[], match: Int32Array, from: number, to: number, depth = 0): string | null {
  if (from >= to || depth > MAX_DEPTH) return null;
  let out = "";
  let i = from;
  for (;;) {
    const r = term(tokens, match, i, depth);
    if (!r) return null;
    out += r[0];
    i = r[1];
    if (i === to) return out;
    if (!punct(tokens[i], "+")) return null;
    i++;
  }
}
