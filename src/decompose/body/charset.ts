/**
 * A body in another character encoding than the text the sources hand over (UTF-8 when the bytes are
 * that, else one character a byte), read as a server that honours it reads it:
 * - the charset its Content-Type names: UTF-16 and UTF-32 in either byte order, and the EBCDIC code
 *   pages IIS and ASP.NET decode a body with (`charset=ibm037`, `ibm500`, ...);
 * - else UTF-16 or UTF-32 that the first bytes show: a byte-order mark, or the NULs of ASCII text in
 *   those encodings (`{\0"\0`), by which JSON parsers such as Jackson detect it (RFC 4627); or an XML
 *   document that opens with `<?xm` in EBCDIC, in the page its declaration names.
 * The decoded text is a further reading of the body (decompose adds it beside the body as sent): a
 * server that ignores the declaration, or parses past a byte-order mark, reads the bytes as they are.
 * A form body whose bytes are ASCII keeps its `&` and `=`: its names and values are percent-decoded to
 * bytes and decoded one by one, as ASP.NET does (`+` is the byte 0x20 first, as .NET's UrlDecode makes it).
 */
import { hexByteAt, textToBytes } from "../../parse/decode.ts";
import { EBCDIC_TABLES } from "./ebcdic-tables.ts";

type UnicodeCharset = "utf-16le" | "utf-16be" | "utf-32le" | "utf-32be";
export type BodyCharset = UnicodeCharset | keyof typeof EBCDIC_TABLES;

/** Names (lower-cased, without `-`, `_` and spaces, a number without its leading zeros) → charset; "utf-16" alone is resolved by the bytes. */
const NAMED: Record<string, BodyCharset | "utf-16" | "utf-32"> = {
  utf16: "utf-16", ucs2: "utf-16", utf16le: "utf-16le", unicode: "utf-16le", utf16be: "utf-16be", unicodefffe: "utf-16be",
  utf32: "utf-32", ucs4: "utf-32", utf32le: "utf-32le", utf32be: "utf-32be",
  ebcdiccpus: "cp037", ebcdiccpca: "cp037", ebcdiccpwt: "cp037", ebcdiccpnl: "cp037", ebcdiccpbe: "cp500", ebcdiccpch: "cp500",
  // The other names .NET and Java know for EBCDIC pages (their numbers below).
  ebcdiccpfi: "cp037", ebcdiccpse: "cp037", ebcdiccpdk: "cp037", ebcdiccpno: "cp037", ebcdiccpit: "cp037", ebcdiccpes: "cp037",
  ebcdiccpgb: "cp037", ebcdiccpfr: "cp037", ebcdiccpis: "cp037", ebcdiccphe: "cp037", ebcdiccproece: "cp037", ebcdiccpyu: "cp037",
  ebcdiccpar1: "cp037", ebcdiccpgr: "cp037", ebcdicjpkana: "cp037", ibmthai: "cp037", xebcdickoreanextended: "cp037",
  ebcdicde273euro: "cp273", ebcdiclatin9euro: "cp037", xebcdicjapaneseandkana: "cp037",
};
/**
 * EBCDIC code pages by number (`ibm037`, `cp500`, `ccsid01140`). The ones without a table of their own
 * agree with cp037 on EBCDIC's invariant characters (letters, digits and the punctuation SQL, markup
 * and shells need; the Latin pages on small letters too), where a payload's words are: the Latin
 * pages, and the Arabic, Hebrew, Greek, Cyrillic, Thai, Katakana and Korean ones a server also knows.
 */
const EBCDIC_PAGES: Record<number, BodyCharset> = {
  37: "cp037", 273: "cp273", 500: "cp500", 875: "cp875", 1026: "cp1026", 1140: "cp1140",
  ...Object.fromEntries(
    [277, 278, 280, 284, 285, 290, 297, 420, 423, 424, 833, 838, 870, 871, 880, 905, 924, 1025, 1047, 1141, 1142, 1143, 1144, 1145, 1146, 1147, 1148, 1149].map((n) => [n, "cp037"]),
  ),
};

/** The charset a Content-Type names, when it is one this module decodes. */
function declaredCharset(contentType: string): BodyCharset | "utf-16" | "utf-32" | null {
  const m = /;\s*charset\s*=\s*"?([^";\s]{1,40})/i.exec(contentType);
  return m ? charsetNamed(m[1]!) : null;
}

/** A charset by one of its names, when it is one this module decodes. */
function charsetNamed(given: string): BodyCharset | "utf-16" | "utf-32" | null {
  const name = given.toLowerCase().replace(/[-_\s]/g, "");
  if (Object.hasOwn(NAMED, name)) return NAMED[name]!;
  const page = /^(?:ibm|cp|csibm|ccsid)0*(\d{1,5})$/.exec(name);
  return page && Object.hasOwn(EBCDIC_PAGES, Number(page[1])) ? EBCDIC_PAGES[Number(page[1])]! : null;
}

/** `<?xm` in EBCDIC. */
const EBCDIC_XML_START = [0x4c, 0x6f, 0xa7, 0x94];

/**
 * An XML document in an EBCDIC page that says so only in its declaration (`<?xml version="1.0"
 * encoding="IBM037"?>`, no charset in the Content-Type): XML parsers (Xerces, .NET's) know the page by
 * its first bytes, `<?xm` in EBCDIC (XML 1.0, appendix F), and read it in the page the declaration
 * names. Null for any other body.
 */
function sniffedEbcdicXml(first: Uint8Array, text: string): BodyCharset | null {
  if (!EBCDIC_XML_START.every((b, i) => first[i] === b)) return null;
  const prolog = decodeEbcdic(textToBytes(text.slice(0, 128)), EBCDIC_TABLES.cp037!);
  const named = /encoding\s*=\s*["']([^"']{1,40})["']/.exec(prolog);
  const page = named ? charsetNamed(named[1]!) : null;
  return page && Object.hasOwn(EBCDIC_TABLES, page) ? (page as BodyCharset) : "cp037";
}

interface Sniffed {
  charset: UnicodeCharset;
  /** Bytes of a byte-order mark to skip (0 when the NULs showed the charset). */
  bom: number;
}

/** UTF-16 or UTF-32 that the first four bytes show, or null. */
function sniffedUnicode(b: ArrayLike<number>): Sniffed | null {
  const [b0, b1, b2, b3] = [b[0], b[1], b[2], b[3]];
  if (b0 === 0xff && b1 === 0xfe) return b2 === 0 && b3 === 0 ? { charset: "utf-32le", bom: 4 } : { charset: "utf-16le", bom: 2 };
  if (b0 === 0xfe && b1 === 0xff) return { charset: "utf-16be", bom: 2 };
  if (b0 === 0 && b1 === 0 && b2 === 0xfe && b3 === 0xff) return { charset: "utf-32be", bom: 4 };
  if (b3 === undefined) return null;
  if (b0 === 0 && b1 === 0 && b2 === 0 && b3 !== 0) return { charset: "utf-32be", bom: 0 };
  if (b0 !== 0 && b1 === 0 && b2 === 0 && b3 === 0) return { charset: "utf-32le", bom: 0 };
  if (b0 === 0 && b1 !== 0 && b2 === 0 && b3 !== 0) return { charset: "utf-16be", bom: 0 };
  if (b0 !== 0 && b1 === 0 && b2 !== 0 && b3 === 0) return { charset: "utf-16le", bom: 0 };
  return null;
}

/** Bytes per character unit of a charset: how much of a body's bytes make `max` characters at most. */
function unitBytes(charset: BodyCharset): number {
  return charset.startsWith("utf-32") ? 4 : charset.startsWith("utf-16") ? 2 : 1;
}

const utf16le = new TextDecoder("utf-16le");
const utf16be = new TextDecoder("utf-16be");

/** Code units → text, through one decoder call instead of a string built a character at a time. */
function fromUnits(units: Uint16Array): string {
  return utf16le.decode(units);
}

function decodeUtf32(b: Uint8Array, littleEndian: boolean): string {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength - (b.byteLength % 4));
  const units = new Uint16Array(view.byteLength / 2);
  let n = 0;
  for (let i = 0; i < view.byteLength; i += 4) {
    const cp = view.getUint32(i, littleEndian);
    if (cp > 0xffff && cp <= 0x10ffff) {
      units[n++] = 0xd800 + ((cp - 0x10000) >> 10);
      units[n++] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
    } else units[n++] = cp <= 0xffff && (cp < 0xd800 || cp > 0xdfff) ? cp : 0xfffd;
  }
  return fromUnits(units.subarray(0, n));
}

function decodeEbcdic(b: Uint8Array, table: string): string {
  const units = new Uint16Array(b.length);
  for (let i = 0; i < b.length; i++) units[i] = table.charCodeAt(b[i]!);
  return fromUnits(units);
}

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
    default:
      return decodeEbcdic(b, EBCDIC_TABLES[charset]!);
  }
}

/** A guess from NULs alone that decodes to control characters is binary, not text: its first characters tell. */
function garbledStart(text: string): boolean {
  const head = text.slice(0, 64);
  let bad = 0;
  for (let i = 0; i < head.length; i++) {
    const c = head.charCodeAt(i);
    if ((c < 0x20 && c !== 9 && c !== 10 && c !== 13) || c === 0xfffd || (c >= 0x7f && c < 0xa0)) bad++;
  }
  return bad > head.length / 10;
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

/** One form name or value: `%XX` escapes and plain characters to bytes (`+` the byte 0x20), then decoded. */
function decodeFormPiece(piece: string, charset: BodyCharset): string {
  const bytes = new Uint8Array(piece.length);
  let n = 0;
  for (let i = 0; i < piece.length; i++) {
    const c = piece.charCodeAt(i);
    const escaped = c === 37 ? hexByteAt(piece, i + 1) : -1;
    if (escaped >= 0) i += 2;
    bytes[n++] = escaped >= 0 ? escaped : c === 43 ? 0x20 : c;
  }
  return decodeBytes(bytes.subarray(0, n), charset);
}

/** The form's pairs decoded and spelled again as UTF-8 `name=value&...`, up to `max` characters. */
function decodeForm(text: string, charset: BodyCharset, max: number): string {
  let out = "";
  for (const pair of text.split("&")) {
    if (out.length >= max) break;
    const eq = pair.indexOf("=");
    const [name, value] = eq < 0 ? [pair, ""] : [pair.slice(0, eq), pair.slice(eq + 1)];
    out += `${out ? "&" : ""}${encodeURIComponent(decodeFormPiece(name, charset))}=${encodeURIComponent(decodeFormPiece(value, charset))}`;
  }
  return out;
}

/** The charset to read a body in: the Content-Type's, resolved by the bytes for "utf-16"/"utf-32"; else what the bytes show. */
function chosenCharset(declared: BodyCharset | "utf-16" | "utf-32" | null, sniffed: Sniffed | null): { charset: BodyCharset; bom: number; guessed: boolean } | null {
  if (declared === "utf-16" || declared === "utf-32") {
    const shown = sniffed?.charset.startsWith(declared) ? sniffed : null;
    return { charset: shown?.charset ?? `${declared}le`, bom: shown?.bom ?? 0, guessed: false };
  }
  if (declared) return { charset: declared, bom: sniffed?.charset === declared ? sniffed.bom : 0, guessed: false };
  return sniffed ? { charset: sniffed.charset, bom: sniffed.bom, guessed: sniffed.bom === 0 } : null;
}

/**
 * A multipart part's value read in the charset its own Content-Type names (`text/plain;
 * charset=ibm037`), as Commons FileUpload and ASP.NET read a field; null when it names none this module
 * decodes. The bytes alone are not sniffed: a part is often a file, whose NULs say nothing of a charset.
 */
export function decodeDeclaredCharset(text: string, contentType: string, max: number): { text: string; cut: boolean } | null {
  return declaredCharset(contentType) ? decodeBodyCharset(text, contentType, false, max) : null;
}

/**
 * The body read in its charset (a form spelled again as UTF-8 `name=value&...`), at most `max`
 * characters, and whether the bytes went on past what that reading holds (the body is oversize then).
 * Null when the Content-Type names no charset this module decodes and the bytes show none, or when a
 * guess from NULs alone decodes to control characters.
 */
export function decodeBodyCharset(text: string, contentType: string, form: boolean, max: number): { text: string; charset: BodyCharset; cut: boolean } | null {
  // The first characters say whether the bytes may show a charset: most bodies cost no conversion.
  const first = textToBytes(text.slice(0, 4));
  const declared = declaredCharset(contentType) ?? sniffedEbcdicXml(first, text);
  const sniffed = sniffedUnicode(first);
  const chosen = chosenCharset(declared, sniffed);
  if (!chosen) return null;
  const { charset, bom, guessed } = chosen;
  const limit = bom + unitBytes(charset) * max;
  const cut = text.length > limit;
  const sent = cut ? text.slice(0, limit) : text;
  const bytes = textToBytes(sent);
  if (form && !guessed && asciiForm(bytes)) {
    const decoded = decodeForm(sent, charset, max);
    return { text: decoded.slice(0, max), charset, cut: cut || decoded.length > max };
  }
  const decoded = decodeBytes(bytes.subarray(bom), charset);
  return guessed && garbledStart(decoded) ? null : { text: decoded.slice(0, max), charset, cut: cut || decoded.length > max };
}
