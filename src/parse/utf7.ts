/**
 * UTF-7 (RFC 2152): ASCII as itself, anything else as a `+` then the base64 of its UTF-16 units and an
 * optional `-` (`+ADw-` is `<`; `+-` is a plus sign). Browsers once sniffed it, XML parsers honour it
 * when a document declares it; IMAP's variant shifts with `&` and writes `,` for `/`.
 */

/** One shifted run (`+` base64 `-`). */
const RUN = /\+([0-9A-Za-z+/]*)-?/g;
const IMAP_RUN = /&([0-9A-Za-z+,]*)-?/g;

/** A shifted run's base64 read as big-endian UTF-16 units (left-over bits dropped, as decoders do); IMAP's `,` is `/`. */
function utf16FromBase64(b64: string): string {
  const bytes = Buffer.from(b64.replaceAll(",", "/"), "base64");
  let out = "";
  for (let i = 0; i + 1 < bytes.length; i += 2) out += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
  return out;
}

/** The text read as UTF-7 (`imap`: IMAP's modified UTF-7). One pass. */
export function decodeUtf7(s: string, imap = false): string {
  return s.replace(imap ? IMAP_RUN : RUN, (text, b64: string) => (b64 === "" ? (text.endsWith("-") ? text.slice(0, 1) : text) : utf16FromBase64(b64)));
}

/** `<?xml ... encoding="UTF-7"?>`: a document its parser reads as UTF-7. Only the declaration's own stretch is read. */
const UTF7_DECLARATION = /^\s*<\?xml\b[^>]{0,200}?\bencoding\s*=\s*["']?utf-7\b/i;

export function declaresUtf7(xml: string): boolean {
  return UTF7_DECLARATION.test(xml.slice(0, 256));
}
