/**
 * A value's bytes read under another charset a browser can be made to use, for markup that only
 * exists in that reading: UTF-7 (`+ADw-script+AD4-`, IE sniffed it or was told it) and IMAP's variant
 * of it (`&ADw-script&AD4-`), US-ASCII with
 * the high bit dropped (`¼script¾`, old IE on US-ASCII pages), and full-width forms folded to ASCII
 * (`＜script＞`, which best-fit mappings of .NET and IIS turn into `<script>`). Each reading is made
 * only when the value carries that charset's sign, so ordinary text costs one search per charset.
 */
import { decodeUtf7 } from "../../../parse/utf7.ts";

/** `+ADw-`, `+AD4-`, `+ACI-`, `+ACc-`: UTF-7 for `<`, `>`, `"`, `'` (the marks of markup). */
const UTF7_MARKUP = /\+A[CD][0-9A-Za-z+/]/;

/** The same in IMAP's modified UTF-7 (`x-imap4-modified-utf7`, a charset old Firefox took): `&` shifts, `,` is `/`. */
const IMAP_UTF7_MARKUP = /&A[CD][0-9A-Za-z+,]/;

/** `¼` (0xBC) before a letter or `/`: a `<` with its high bit set. */
const HIGH_BIT_TAG = /\xbc[A-Za-z/]/;

/** Binary data (an upload read as Latin-1) is mostly high bytes; text with a stray `¼` is not. */
function mostlyAscii(s: string): boolean {
  let high = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80 && ++high * 4 > s.length) return false;
  return true;
}

const dropHighBit = (s: string) => s.replace(/[\x80-\xff]/g, (c) => String.fromCharCode(c.charCodeAt(0) & 0x7f));

/** The other readings of s that may hold markup (none for almost every value). */
export function charsetReadings(s: string): string[] {
  const out: string[] = [];
  if (UTF7_MARKUP.test(s)) out.push(decodeUtf7(s));
  if (IMAP_UTF7_MARKUP.test(s)) out.push(decodeUtf7(s, true));
  if (HIGH_BIT_TAG.test(s) && mostlyAscii(s)) out.push(dropHighBit(s));
  if (s.indexOf("\uff1c") !== -1) out.push(s.normalize("NFKC"));
  return out.filter((r) => r.indexOf("<") !== -1);
}
