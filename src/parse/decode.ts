/**
 * Tolerant decoders for what arrives in logs: percent-encoding (which may hold bytes that are not UTF-8,
 * such as Latin-1 `%F1`), query strings, cookies and the escapes that log writers apply.
 * None of them throws: attackers send malformed encodings on purpose.
 */
import { isUtf8 } from "node:buffer";
import type { Param, ParamLocation } from "../core/http-request.ts";

const utf8 = new TextDecoder("utf-8");
const latin1 = new TextDecoder("latin1");
const encoder = new TextEncoder();

/** Bytes → text: UTF-8 when the bytes are valid UTF-8, otherwise Latin-1 (what old forms send). */
export function bytesToText(bytes: Uint8Array): string {
  return isUtf8(bytes) ? utf8.decode(bytes) : latin1.decode(bytes);
}

/** The value of one hex digit's character code, or -1. */
export function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * The byte an escape at position i stands for, and how many characters it spans, packed as
 * `byte | length << 8`; -1 when position i does not start an escape. (A number, not an object: this
 * runs for every escape of every log line.)
 */
type EscapeReader = (s: string, i: number) => number;

/**
 * Rebuilds the bytes of `s` where some characters are byte escapes, then decodes them as text.
 * Other characters are copied as UTF-8, so non-ASCII text in the input survives.
 */
function decodeByteEscapes(s: string, marker: string, read: EscapeReader): string {
  if (s.indexOf(marker) === -1) return s;
  const markerCode = marker.charCodeAt(0);
  const out = new Uint8Array(s.length * 3);
  let n = 0;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === markerCode) {
      const e = read(s, k);
      if (e >= 0) {
        out[n++] = e & 0xff;
        k += (e >> 8) - 1;
        continue;
      }
    }
    if (c < 0x80) {
      out[n++] = c;
    } else {
      const cp = s.codePointAt(k)!;
      n += encoder.encodeInto(String.fromCodePoint(cp), out.subarray(n)).written;
      if (cp > 0xffff) k++;
    }
  }
  return bytesToText(out.subarray(0, n));
}

/** The byte spelled by the two hex digits at position i, or -1. */
export function hexByteAt(s: string, i: number): number {
  const h = hexValue(s.charCodeAt(i));
  const l = hexValue(s.charCodeAt(i + 1));
  return h >= 0 && l >= 0 ? h * 16 + l : -1;
}

/**
 * One pass of URL decoding. Each run of `%XX` escapes becomes the text its bytes spell (UTF-8, or
 * Latin-1 when they are not UTF-8); a `%` not followed by two hex digits stays as is. The text between
 * runs is copied by slices, which keeps a long non-ASCII value linear and native-fast, and one bad
 * escape does not turn the whole value's text into Latin-1. With `plusAsSpace` (form and query
 * values) `+` becomes a space.
 */
export function percentDecode(s: string, plusAsSpace = false): string {
  const spaced = plusAsSpace && s.indexOf("+") !== -1 ? s.replaceAll("+", " ") : s;
  let out = "";
  let last = 0;
  for (let i = spaced.indexOf("%"); i !== -1; i = spaced.indexOf("%", i)) {
    let j = i;
    while (j < spaced.length && spaced.charCodeAt(j) === 0x25 && hexByteAt(spaced, j + 1) >= 0) j += 3;
    if (j === i) {
      i++;
      continue;
    }
    const bytes = new Uint8Array((j - i) / 3);
    for (let k = 0; k < bytes.length; k++) bytes[k] = hexByteAt(spaced, i + 3 * k + 1);
    out += spaced.slice(last, i) + bytesToText(bytes);
    last = i = j;
  }
  return last === 0 ? spaced : out + spaced.slice(last);
}

/** `a=1&b=2&a=3` → params in order, repeated names kept; empty pieces (`&&`) skipped. */
export function parseParams(raw: string, location: ParamLocation): Param[] {
  const out: Param[] = [];
  if (!raw) return out;
  for (const piece of raw.split("&")) {
    if (!piece) continue;
    const eq = piece.indexOf("=");
    const rawName = eq === -1 ? piece : piece.slice(0, eq);
    const rawValue = eq === -1 ? "" : piece.slice(eq + 1);
    out.push({ name: percentDecode(rawName, true), value: percentDecode(rawValue, true), rawName, rawValue, location });
  }
  return out;
}

/** `Cookie:` header → name/value pairs in order. */
export function parseCookies(header: string): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  if (!header || header === "-") return out;
  for (const piece of header.split(";")) {
    const trimmed = piece.trim();
    if (!trimmed) continue;
    const eq = trimmed.indexOf("=");
    out.push(eq === -1 ? { name: "", value: trimmed } : { name: trimmed.slice(0, eq).trim(), value: trimmed.slice(eq + 1).trim() });
  }
  return out;
}

const readHexEscape: EscapeReader = (s, i) => {
  if (s.charCodeAt(i + 1) !== 120 /* x */) return -1;
  const b = hexByteAt(s, i + 2);
  return b >= 0 ? b | (4 << 8) : -1;
};

/** nginx `escape=default`: `"`, `\`, control and non-ASCII bytes are written as `\xHH`. */
export function unescapeNginx(s: string): string {
  return decodeByteEscapes(s, "\\", readHexEscape);
}

/** nginx `escape=json`: the value is the inside of a JSON string. */
export function unescapeJson(s: string): string {
  if (s.indexOf("\\") === -1) return s;
  try {
    return JSON.parse(`"${s}"`) as string;
  } catch {
    return s;
  }
}

const C_ESCAPES: Record<string, number> = { n: 10, r: 13, t: 9, v: 11, f: 12, b: 8, '"': 34, "\\": 92 };

const readApacheEscape: EscapeReader = (s, i) => {
  const simple = C_ESCAPES[s[i + 1] ?? ""];
  if (simple !== undefined) return simple | (2 << 8);
  return readHexEscape(s, i);
};

/** Apache's log escaping: `\"`, `\\`, C escapes and `\xhh` for other bytes. */
export function unescapeApache(s: string): string {
  return decodeByteEscapes(s, "\\", readApacheEscape);
}
