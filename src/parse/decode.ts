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
 * Rebuilds the bytes of `s` where some backslash sequences are byte escapes, then decodes them as text.
 * Other characters are copied as UTF-8, so non-ASCII text in the input survives.
 */
function decodeBackslashEscapes(s: string, read: EscapeReader): string {
  if (s.indexOf("\\") === -1) return s;
  const out = new Uint8Array(s.length * 3);
  let n = 0;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === 0x5c /* \ */) {
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

/** The UTF-16 code unit spelled by the four hex digits at position i (`\uXXXX`, `%uXXXX`), or -1. */
export function hexUnitAt(s: string, i: number): number {
  const hi = hexByteAt(s, i);
  const lo = hexByteAt(s, i + 2);
  return hi >= 0 && lo >= 0 ? hi * 256 + lo : -1;
}

/**
 * One pass of URL decoding. Each run of `%XX` escapes becomes the text its bytes spell (UTF-8, or
 * Latin-1 when they are not UTF-8); a `%` not followed by two hex digits stays as is. The text between
 * runs is copied by slices, which keeps a long non-ASCII value linear and native-fast, and one bad
 * escape does not turn the whole value's text into Latin-1. With `plusAsSpace` (form and query
 * values) `+` becomes a space.
 */
export function percentDecode(s: string, plusAsSpace = false): string {
  return decodeEscapeRuns(s, plusAsSpace, false);
}

/**
 * URL decoding as lenient servers do it: also IIS's `%uXXXX`, and overlong UTF-8 (`%c0%af`) read as
 * the character it spells, the way old decoders let `..%c0%af` through as `../`. For a second reading
 * of a value, never for the application's own. `plusAsSpace` as for percentDecode.
 */
export function percentDecodeLenient(s: string, plusAsSpace = false): string {
  return decodeEscapeRuns(s, plusAsSpace, true);
}

/** The text of the run of `%XX` escapes from i to j. */
function runText(s: string, i: number, j: number, lenient: boolean): string {
  // ASCII (most escapes: `%20`, `%2F`, `%3D`) needs no byte buffer nor UTF-8 decoder.
  let ascii = "";
  for (let k = i; k < j; k += 3) {
    const b = hexByteAt(s, k + 1);
    if (b >= 0x80) {
      ascii = "";
      break;
    }
    ascii += String.fromCharCode(b);
  }
  if (ascii.length) return ascii;
  const bytes = new Uint8Array((j - i) / 3);
  for (let k = 0; k < bytes.length; k++) bytes[k] = hexByteAt(s, i + 3 * k + 1);
  return bytesToText((lenient && foldOverlongUtf8(bytes)) || bytes);
}

/** The UTF-16 code unit of IIS's `%uXXXX` at i (i at the `%`), or -1. */
export function percentUAt(s: string, i: number): number {
  const u = s.charCodeAt(i + 1);
  return u === 0x75 || u === 0x55 ? hexUnitAt(s, i + 2) : -1;
}

/** Above this length a value is first given to the native decoder (a throw costs more than short values gain). */
const NATIVE_FIRST_LENGTH = 1024;

function decodeEscapeRuns(text: string, plusAsSpace: boolean, lenient: boolean): string {
  const s = plusAsSpace && text.indexOf("+") !== -1 ? text.replaceAll("+", " ") : text;
  if (s.length > NATIVE_FIRST_LENGTH && s.indexOf("%") !== -1) {
    // Where the native decoder succeeds (every escape well-formed, every run valid UTF-8: no `%u`, no
    // overlong form) it reads as the runs below do, several times faster on a long value; but it keeps
    // a byte-order mark the UTF-8 reading of a run drops, so text with one is read run by run.
    try {
      const native = decodeURIComponent(s);
      if (native.indexOf("\ufeff") === -1) return native;
    } catch {
      // a malformed escape or bytes that are not UTF-8: read run by run
    }
  }
  let out = "";
  let last = 0;
  for (let i = s.indexOf("%"); i !== -1; i = s.indexOf("%", i)) {
    let j = i;
    while (j < s.length && s.charCodeAt(j) === 0x25 && hexByteAt(s, j + 1) >= 0) j += 3;
    if (j > i) {
      out += s.slice(last, i) + runText(s, i, j, lenient);
      last = i = j;
      continue;
    }
    const unit = lenient ? percentUAt(s, i) : -1;
    if (unit >= 0) {
      // Code units, not bytes: a surrogate pair spelled as two escapes joins up in the string.
      out += s.slice(last, i) + String.fromCharCode(unit);
      last = i = i + 6;
      continue;
    }
    i++;
  }
  return last === 0 ? s : out + s.slice(last);
}

/**
 * Overlong UTF-8 sequences rewritten as the shortest form of the character they spell, so `c0 af` is
 * `/`; null when there is none. A sequence is overlong when its lead leaves no room for a value that
 * needs that many bytes: C0/C1 (2 bytes), E0 80-9F (3), F0 80-8F (4), and the 5- and 6-byte forms of
 * the first UTF-8 (F8 80-87, FC 80-83). Strict decoders reject these, old ones (IIS, early Java and
 * Tomcat) accepted them, which made them a classic way past filters.
 */
export function foldOverlongUtf8(bytes: ArrayLike<number>): Uint8Array | null {
  let first = -1;
  for (let i = 0; i < bytes.length && first === -1; i++) if (overlongLength(bytes, i) > 0) first = i;
  if (first === -1) return null;
  const out: number[] = [];
  for (let i = 0; i < first; i++) out.push(bytes[i]!);
  for (let i = first; i < bytes.length; i++) {
    const len = overlongLength(bytes, i);
    if (len === 0) {
      out.push(bytes[i]!);
      continue;
    }
    let cp = bytes[i]! & (0x7f >> len);
    for (let k = 1; k < len; k++) cp = (cp << 6) | (bytes[i + k]! & 0x3f);
    // The old 5- and 6-byte forms can spell values past Unicode: those are kept as sent.
    if (cp > 0x10ffff) for (let k = 0; k < len; k++) out.push(bytes[i + k]!);
    else for (const x of encoder.encode(String.fromCodePoint(cp))) out.push(x);
    i += len - 1;
  }
  return Uint8Array.from(out);
}

/** [lead, highest second byte that still makes the sequence overlong] by sequence length. */
const OVERLONG_LEADS: [number, number, number][] = [
  [0xc0, 0xbf, 2],
  [0xc1, 0xbf, 2],
  [0xe0, 0x9f, 3],
  [0xf0, 0x8f, 4],
  [0xf8, 0x87, 5],
  [0xfc, 0x83, 6],
];

/** The length of the overlong sequence at i, or 0. */
function overlongLength(bytes: ArrayLike<number>, i: number): number {
  const b = bytes[i]!;
  if (b < 0xc0) return 0;
  for (const [lead, maxSecond, len] of OVERLONG_LEADS) {
    if (b !== lead || i + len > bytes.length || bytes[i + 1]! > maxSecond) continue;
    for (let k = 1; k < len; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return 0;
    return len;
  }
  return 0;
}

/**
 * What `bytesToText`'s Latin-1 reading makes of the bytes 0x80-0xFF. WHATWG's "latin1" is windows-1252,
 * so 0x80-0x9F are `€`, `‚`, ... rather than C1 controls; the table reads them back to bytes.
 */
const HIGH_BYTE_CHARS = latin1.decode(Uint8Array.from({ length: 128 }, (_, i) => 0x80 + i));
const BYTE_OF_HIGH_CHAR = new Map([...HIGH_BYTE_CHARS].map((c, i) => [c.charCodeAt(0), 0x80 + i]));

/**
 * The bytes a body's text was read from: one a character where a source read them one a byte
 * (`bytesToText`'s windows-1252, or plain Latin-1), else the text's UTF-8 (it was read as UTF-8).
 */
export function textToBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const b = c <= 0xff ? c : BYTE_OF_HIGH_CHAR.get(c);
    if (b === undefined) return encoder.encode(text);
    out[i] = b;
  }
  return out;
}

/**
 * The bytes a text may have been read from, the likelier first: its UTF-8 and, when it has characters
 * beyond ASCII, one byte a character (textToBytes: how a source hands over bytes that were no UTF-8).
 * A framing that counts bytes (chunk sizes, protobuf lengths) tries each.
 */
export function textByteReadings(text: string): Buffer[] {
  const utf8Bytes = Buffer.from(text, "utf8");
  if (utf8Bytes.length === text.length) return [utf8Bytes];
  const asRead = textToBytes(text);
  return [utf8Bytes, Buffer.from(asRead.buffer, asRead.byteOffset, asRead.byteLength)];
}

/** A regex character class of the characters the bytes from..to read as. */
function highByteClass(from: number, to: number): string {
  return `[${[...HIGH_BYTE_CHARS.slice(from - 0x80, to - 0x80 + 1)].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("")}]`;
}

/** Overlong UTF-8 as the Latin-1 reading shows it: what `percentDecode` makes of `%c0%af`. */
const OVERLONG_AS_LATIN1 = new RegExp(
  OVERLONG_LEADS.map(([lead, maxSecond, len]) => `${highByteClass(lead, lead)}${highByteClass(0x80, maxSecond)}${len > 2 ? `${highByteClass(0x80, 0xbf)}{${len - 2}}` : ""}`).join("|"),
);

/**
 * Text decoded from bytes that were not UTF-8 (read as Latin-1, one character per byte) with its
 * overlong sequences folded: `..À¯` (from `..%c0%af`) is `../`. Null when it has none.
 */
export function foldOverlongLatin1(text: string): string | null {
  if (!OVERLONG_AS_LATIN1.test(text)) return null;
  let out = "";
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    if (!BYTE_OF_HIGH_CHAR.has(text.charCodeAt(i))) continue;
    let j = i;
    while (j < text.length && BYTE_OF_HIGH_CHAR.has(text.charCodeAt(j))) j++;
    const bytes = new Uint8Array(j - i);
    for (let k = i; k < j; k++) bytes[k - i] = BYTE_OF_HIGH_CHAR.get(text.charCodeAt(k))!;
    const folded = foldOverlongUtf8(bytes);
    if (folded) {
      out += text.slice(last, i) + bytesToText(folded);
      last = j;
    }
    i = j;
  }
  return last === 0 ? null : out + text.slice(last);
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
  return decodeBackslashEscapes(s, readHexEscape);
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
  return decodeBackslashEscapes(s, readApacheEscape);
}
