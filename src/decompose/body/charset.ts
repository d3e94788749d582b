/**
 * A body in another character encoding than the text the sources hand over (UTF-8 when the bytes are
 * that, else one character a byte): read as the server reads it, so that a filter reading the bytes as
 * ASCII is no way past Moat.
 * - The charset its Content-Type names: UTF-16 and UTF-32 in either byte order, and the EBCDIC code
 *   pages IIS and ASP.NET decode a body with (`charset=ibm037`, `ibm500`, ...).
 * - Undeclared UTF-16 or UTF-32 that the first bytes show: a byte-order mark, or the NULs of ASCII text
 *   in those encodings (`{\0"\0`), by which JSON parsers such as Jackson detect it (RFC 4627).
 * A form body whose bytes are ASCII keeps its `&` and `=`: its names and values are percent-decoded to
 * bytes and decoded one by one, as ASP.NET does; any other body is decoded whole.
 */
import { hexByteAt } from "../../parse/decode.ts";
import { EBCDIC_TABLES } from "./ebcdic-tables.ts";

type UnicodeCharset = "utf-16le" | "utf-16be" | "utf-32le" | "utf-32be";
export type BodyCharset = UnicodeCharset | keyof typeof EBCDIC_TABLES;

/** Names (lower-cased, without `-`, `_`, spaces and leading zeros of the number) → charset; "utf-16" alone is resolved by the bytes. */
const NAMED: Record<string, BodyCharset | "utf-16" | "utf-32"> = {
  utf16: "utf-16", ucs2: "utf-16", utf16le: "utf-16le", unicode: "utf-16le", utf16be: "utf-16be", unicodefffe: "utf-16be",
  utf32: "utf-32", ucs4: "utf-32", utf32le: "utf-32le", utf32be: "utf-32be",
  ibm37: "cp037", cp37: "cp037", ebcdiccpus: "cp037", ebcdiccpca: "cp037", ebcdiccpwt: "cp037", ebcdiccpnl: "cp037", csibm37: "cp037",
  ibm273: "cp273", cp273: "cp273", csibm273: "cp273",
  ibm500: "cp500", cp500: "cp500", ebcdiccpbe: "cp500", ebcdiccpch: "cp500", csibm500: "cp500",
  ibm875: "cp875", cp875: "cp875",
  ibm1026: "cp1026", cp1026: "cp1026", csibm1026: "cp1026",
  ibm1140: "cp1140", cp1140: "cp1140", ccsid1140: "cp1140",
};

/** The charset a Content-Type names, when it is one this module decodes. */
function declaredCharset(contentType: string): BodyCharset | "utf-16" | "utf-32" | null {
  const m = /;\s*charset\s*=\s*"?([^";\s]{1,40})/i.exec(contentType);
  if (!m) return null;
  const name = m[1]!.toLowerCase().replace(/[-_\s]/g, "").replace(/(\D)0+(?=\d)/, "$1");
  return Object.hasOwn(NAMED, name) ? NAMED[name]! : null;
}

/** UTF-16 or UTF-32 that the first four bytes show (a byte-order mark, or the NULs of ASCII in them), or null. */
function sniffedUnicode(b: Uint8Array): UnicodeCharset | null {
  if (b.length < 4) return null;
  const [b0, b1, b2, b3] = [b[0]!, b[1]!, b[2]!, b[3]!];
  if (b0 === 0xff && b1 === 0xfe) return b2 === 0 && b3 === 0 ? "utf-32le" : "utf-16le";
  if (b0 === 0xfe && b1 === 0xff) return "utf-16be";
  if (b0 === 0 && b1 === 0 && b2 === 0xfe && b3 === 0xff) return "utf-32be";
  if (b0 === 0 && b1 === 0 && b2 === 0 && b3 !== 0) return "utf-32be";
  if (b0 !== 0 && b1 === 0 && b2 === 0 && b3 === 0) return "utf-32le";
  if (b0 === 0 && b1 !== 0 && b2 === 0 && b3 !== 0) return "utf-16be";
  if (b0 !== 0 && b1 === 0 && b2 !== 0 && b3 === 0) return "utf-16le";
  return null;
}

/** The bytes a body's text stands for: one a character when every character is one byte (binary read as latin1), else its UTF-8. */
function bytesOf(text: string): Uint8Array {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return Buffer.from(text, "utf8");
  return Buffer.from(text, "latin1");
}

function decodeUtf32(b: Uint8Array, littleEndian: boolean): string {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength - (b.byteLength % 4));
  let out = "";
  for (let i = 0; i < view.byteLength; i += 4) {
    const cp = view.getUint32(i, littleEndian);
    out += cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : "\ufffd";
  }
  return out;
}

const utf16le = new TextDecoder("utf-16le");
const utf16be = new TextDecoder("utf-16be");

function decodeBytes(b: Uint8Array, charset: BodyCharset): string {
  switch (charset) {
    case "utf-16le":
      return utf16le.decode(b);
    case "utf-16be":
      return utf16be.decode(b);
    case "utf-32le":
      return decodeUtf32(b, true);
    case "utf-32be":
      return decodeUtf32(b, false);
    default: {
      const table = EBCDIC_TABLES[charset]!;
      let out = "";
      for (let i = 0; i < b.length; i++) out += table[b[i]!];
      return out;
    }
  }
}

/** Share of a decoded text that is control characters or U+FFFD: a wrong guess decodes to mostly those. */
function garbled(text: string): boolean {
  let bad = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 9 && c !== 10 && c !== 13) || c === 0xfffd || (c >= 0x7f && c < 0xa0)) bad++;
  }
  return bad > text.length / 10;
}

/** `name=value&...` whose bytes are ASCII without NULs: a form that kept its separators. */
function asciiForm(b: Uint8Array): boolean {
  let eq = false;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0 || b[i]! >= 0x80) return false;
    if (b[i] === 0x3d) eq = true;
  }
  return eq;
}

/** A space in each charset, for a form's `+` (EBCDIC's is 0x40). */
const SPACE_BYTES: Partial<Record<BodyCharset, number[]>> = {
  "utf-16le": [0x20, 0], "utf-16be": [0, 0x20], "utf-32le": [0x20, 0, 0, 0], "utf-32be": [0, 0, 0, 0x20],
};

/** One form name or value: `%XX` escapes and plain characters to bytes (`+` the charset's space), then decoded. */
function decodeFormPiece(piece: string, charset: BodyCharset): string {
  const bytes: number[] = [];
  for (let i = 0; i < piece.length; i++) {
    const c = piece.charCodeAt(i);
    const escaped = c === 37 ? hexByteAt(piece, i + 1) : -1;
    if (escaped >= 0) {
      bytes.push(escaped);
      i += 2;
    } else if (c === 43) {
      for (const s of SPACE_BYTES[charset] ?? [0x40]) bytes.push(s);
    } else bytes.push(c);
  }
  return decodeBytes(Uint8Array.from(bytes), charset);
}

/**
 * The body as its charset makes it (a form re-spelled as UTF-8 `name=value&...`), that charset, and
 * whether the bytes show it (UTF-16 or UTF-32 by a byte-order mark or their NULs: the bytes as sent are
 * no text then) or only the Content-Type says so. Null when the Content-Type names no charset this
 * module decodes and the bytes show none, or when the bytes do not decode to text.
 */
export function decodeBodyCharset(text: string, contentType: string, form: boolean): { text: string; charset: BodyCharset; shownByBytes: boolean } | null {
  const declared = declaredCharset(contentType);
  const bytes = declared || text.charCodeAt(0) === 0 || text.charCodeAt(1) === 0 || text.charCodeAt(0) >= 0xfe ? bytesOf(text) : null;
  if (!bytes) return null;
  const sniffed = sniffedUnicode(bytes);
  const charset = declared === "utf-16" ? (sniffed?.startsWith("utf-16") ? sniffed : "utf-16le") : declared === "utf-32" ? (sniffed?.startsWith("utf-32") ? sniffed : "utf-32le") : declared ?? sniffed;
  if (!charset) return null;
  if (form && asciiForm(bytes)) {
    const pairs = text.split("&").map((pair) => {
      const eq = pair.indexOf("=");
      const [name, value] = eq < 0 ? [pair, ""] : [pair.slice(0, eq), pair.slice(eq + 1)];
      return `${encodeURIComponent(decodeFormPiece(name, charset))}=${encodeURIComponent(decodeFormPiece(value, charset))}`;
    });
    return { text: pairs.join("&"), charset, shownByBytes: false };
  }
  let start = 0;
  if (charset.startsWith("utf-") && sniffed === charset && (bytes[0] === 0xff || bytes[0] === 0xfe || (bytes[2] === 0xfe && bytes[3] === 0xff))) start = charset.startsWith("utf-32") ? 4 : 2; // the byte-order mark
  const decoded = decodeBytes(bytes.subarray(start), charset);
  return garbled(decoded) ? null : { text: decoded, charset, shownByBytes: sniffed === charset };
}
