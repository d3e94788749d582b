/**
 * Script-running URLs as a browser reads them: leading spaces and controls are dropped, tabs and
 * newlines anywhere are removed (`jav&#x09;ascript:` is `javascript:` once the attribute's entities
 * are decoded), case does not matter. The body of a `javascript:` URL is percent-decoded before it runs.
 */
import { percentDecode } from "../../../parse/decode.ts";

export type ScriptScheme = "javascript" | "vbscript" | "data-html" | "data-svg";

export interface SchemeUrl {
  scheme: ScriptScheme;
  /** What runs: the script of a `javascript:`/`vbscript:` URL, the payload of a `data:` URL (base64 decoded). */
  body: string;
  /** The scheme was spelled with tabs, newlines or controls inside it: no real link does that. */
  obfuscated: boolean;
}

/**
 * Leading characters a URL parser strips: C0 controls and space (and old IE's backtick quote); for a
 * bare value, also the quotes that open the attribute it lands in (`"javascript:...">`).
 */
function skipLeading(s: string, quotes: boolean): number {
  let i = 0;
  for (;;) {
    const c = s.charCodeAt(i);
    if (!(c <= 0x20 || c === 96 || (quotes && (c === 34 || c === 39)))) return i;
    i++;
  }
}

/** Characters a URL parser removes anywhere in a URL (and NUL, which old engines skipped). */
const isStripped = (c: number) => c === 9 || c === 10 || c === 13 || c === 0;

/** Enough for the longest scheme and `data:` type, with spaces. */
const HEAD_LENGTH = 64;

/**
 * The first characters of the URL from i as the parser reads them, lower-cased: only the head is
 * needed to know the scheme, however many tabs and newlines pad it (`j&NewLine;&Tab;a...`).
 */
function schemeHead(value: string, i: number): string {
  let head = "";
  for (let k = i; k < value.length && head.length < HEAD_LENGTH; k++) if (!isStripped(value.charCodeAt(k))) head += value[k];
  return head.toLowerCase();
}

/**
 * Does the URL from i, read as the parser reads it, start with `prefix` (lower-case ASCII)? The same
 * answer as `schemeHead(...).startsWith(prefix)` without building the head: most values are no URL,
 * and their first character already says so. (No other character lower-cases to an ASCII letter of
 * these prefixes: only the Kelvin sign becomes `k`.)
 */
function headStartsWith(value: string, i: number, prefix: string): boolean {
  let k = i;
  for (let p = 0; p < prefix.length; p++, k++) {
    while (k < value.length && isStripped(value.charCodeAt(k))) k++;
    const c = value.charCodeAt(k);
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== prefix.charCodeAt(p)) return false;
  }
  return true;
}

const SCRIPT_SCHEMES: [string, ScriptScheme][] = [["javascript:", "javascript"], ["livescript:", "javascript"], ["vbscript:", "vbscript"]];
const DATA_TYPES: [string, ScriptScheme][] = [
  ["text/html", "data-html"], ["application/xhtml+xml", "data-html"], ["text/xml", "data-html"], ["application/xml", "data-html"],
  ["image/svg+xml", "data-svg"], ["text/javascript", "data-html"], ["application/javascript", "data-html"], ["application/x-shockwave-flash", "data-html"],
];

/** The script URL this (entity-decoded) attribute value, or bare parameter, is; or null. */
export function scriptUrl(value: string, bare = false): SchemeUrl | null {
  const at = skipLeading(value, bare);
  for (const [prefix, scheme] of SCRIPT_SCHEMES) {
    if (!headStartsWith(value, at, prefix)) continue;
    const colon = value.indexOf(":", at);
    return { scheme, body: percentDecode(value.slice(colon + 1)), obfuscated: colon - at !== prefix.length - 1 };
  }
  // IE's `mhtml:` renders a document kept inside any file (`mhtml:http://x/upload.gif!x.html`): a page of the attacker's.
  if (headStartsWith(value, at, "mhtml:")) return { scheme: "data-html", body: "", obfuscated: false };
  if (!headStartsWith(value, at, "data:")) return null;
  // Only a `data:` URL needs its type read whole (spaces dropped, case folded as the engine folds it).
  const type = schemeHead(value, at).slice(5).replace(/\s+/g, "");
  const match = DATA_TYPES.find(([t]) => type.startsWith(t));
  if (!match) return null;
  return { scheme: match[1], body: dataUrlPayload(value, at), obfuscated: false };
}

/** The payload of the `data:` URL that starts at `at` (base64 or percent decoded; "" without a comma). */
export function dataUrlPayload(value: string, at = skipLeading(value, false)): string {
  const comma = value.indexOf(",", at);
  if (comma === -1) return "";
  const meta = value.slice(at, comma).replace(/\s+/g, "").toLowerCase();
  const payload = value.slice(comma + 1);
  return meta.endsWith(";base64") ? Buffer.from(payload.replace(/\s+/g, ""), "base64").toString("latin1") : percentDecode(payload);
}

/** Is this (entity-decoded) value a `data:` URL of any type? */
export const isDataUrl = (value: string) => headStartsWith(value, skipLeading(value, false), "data:");

/** `javascript:void(0)`, `javascript:;`, `javascript://`: links that do nothing, common in real pages. */
export function isNoOpScript(body: string): boolean {
  // Trailing `;` cut by hand: `/;+$/` would retry at every `;` of a long run, in quadratic time.
  let t = body.trim();
  let end = t.length;
  while (end > 0 && t.charCodeAt(end - 1) === 59) end--;
  t = t.slice(0, end).trim();
  return t === "" || t.startsWith("//") || /^void\s*\(?\s*0?\s*\)?$/.test(t) || t === "false" || t === "true" || t === "undefined" || t === "0";
}
