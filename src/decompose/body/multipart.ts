/**
 * multipart/form-data bodies: each part's name, filename, own headers and value. A small linear parser
 * rather than @fastify/busboy: busboy hands file contents over through streams that deliver on a later
 * tick, so it cannot give leaves synchronously from a string, and it needs a boundary in Content-Type,
 * where this one also finds the boundary in the body when the header is missing or wrong.
 */
import { bytesToText, hexByteAt, percentDecode } from "../../parse/decode.ts";
import type { LeafSink } from "../sink.ts";
import { decodeDeclaredCharset } from "./charset.ts";

/** RFC 2046 allows 70 characters; more leeway costs nothing. */
const MAX_BOUNDARY = 200;

/** The `boundary` parameter of a Content-Type, quoted or not; null when absent. */
export function boundaryOf(contentType: string): string | null {
  const m = /;\s*boundary=(?:"([^"]{1,200})"|([^\s;]{1,200}))/i.exec(contentType);
  return m ? (m[1] ?? m[2]!) : null;
}

/**
 * The boundary a body opens with (`--XYZ` on its first line, after any blank lines), for a multipart
 * body sent without one or with another one in its Content-Type.
 */
export function sniffBoundary(body: string): string | null {
  let start = 0;
  while (body.charCodeAt(start) === 13 || body.charCodeAt(start) === 10) start++;
  if (!body.startsWith("--", start)) return null;
  start += 2;
  let end = start;
  while (end < body.length && end < start + MAX_BOUNDARY) {
    const c = body.charCodeAt(end);
    if (c === 13 || c === 10 || c === 32 || c === 9) break;
    end++;
  }
  const nl = body.charCodeAt(end);
  return end > start && (nl === 13 || nl === 10) ? body.slice(start, end) : null;
}

export interface Part {
  /** Header names lower-cased, in order. */
  headers: [string, string][];
  name: string;
  filename: string | null;
  value: string;
}

/** The end of the line starting at i (the index of its `\n`, or the text's end) and where the next line starts. */
function lineEnd(s: string, i: number): [number, number] {
  const nl = s.indexOf("\n", i);
  if (nl === -1) return [s.length, s.length];
  return [nl > i && s.charCodeAt(nl - 1) === 13 ? nl - 1 : nl, nl + 1];
}

/**
 * The parts of a body, and whether it ended with the closing delimiter. Each delimiter is found once by
 * indexOf from where the last one ended, so the work is linear in the body.
 */
export function parseMultipart(body: string, boundary: string): { parts: Part[]; closed: boolean } {
  const delimiter = `--${boundary}`;
  const parts: Part[] = [];
  let at = findDelimiter(body, delimiter, 0);
  while (at !== -1) {
    const after = at + delimiter.length;
    if (body.startsWith("--", after)) return { parts, closed: true };
    let [, i] = lineEnd(body, after);
    const headers: [string, string][] = [];
    while (i < body.length) {
      const [end, next] = lineEnd(body, i);
      if (end === i) {
        i = next;
        break;
      }
      const line = body.slice(i, end);
      const colon = line.indexOf(":");
      if (colon > 0) headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
      i = next;
    }
    const nextAt = findDelimiter(body, delimiter, i);
    let valueEnd = nextAt === -1 ? body.length : nextAt;
    if (nextAt !== -1) valueEnd -= body.charCodeAt(nextAt - 2) === 13 ? 2 : 1; // the line break before the delimiter is the delimiter's
    const disposition = headerOf(headers, "content-disposition");
    parts.push({ headers, name: dispositionParam(disposition, "name") ?? "", filename: dispositionParam(disposition, "filename"), value: body.slice(i, Math.max(i, valueEnd)) });
    at = nextAt;
  }
  return { parts, closed: false };
}

/** A part header's value ("" when absent). */
function headerOf(headers: Part["headers"], name: string): string {
  return headers.find(([n]) => n === name)?.[1] ?? "";
}

/** The next delimiter at the start of a line from `from` on, or -1. */
function findDelimiter(body: string, delimiter: string, from: number): number {
  let at = body.indexOf(delimiter, from);
  while (at > 0 && body.charCodeAt(at - 1) !== 10) at = body.indexOf(delimiter, at + 1);
  return at;
}

/**
 * A parameter of a Content-Disposition (`name="a"`, `filename=x.txt`, `filename*=UTF-8''%E2...`), read
 * as browsers write them: quoted with `\"` escapes, or a bare token. `filename*` wins over `filename`.
 */
export function dispositionParam(disposition: string, param: string): string | null {
  let found: string | null = null;
  let i = disposition.indexOf(";");
  while (i !== -1 && i < disposition.length) {
    let j = i + 1;
    while (j < disposition.length && disposition.charCodeAt(j) <= 0x20) j++;
    const eq = disposition.indexOf("=", j);
    if (eq === -1) break;
    const key = disposition.slice(j, eq).trim().toLowerCase();
    let value: string;
    let k = eq + 1;
    if (disposition.charCodeAt(k) === 0x22) {
      value = "";
      for (k++; k < disposition.length && disposition.charCodeAt(k) !== 0x22; k++) {
        if (disposition.charCodeAt(k) === 0x5c && k + 1 < disposition.length) k++;
        value += disposition[k];
      }
      k++;
    } else {
      const semi = disposition.indexOf(";", k);
      value = disposition.slice(k, semi === -1 ? disposition.length : semi).trim();
      k = semi === -1 ? disposition.length : semi;
    }
    if (key === `${param}*`) return extendedValue(value);
    if (key === param) found = value;
    i = disposition.indexOf(";", k);
  }
  return found;
}

/** RFC 5987 `charset'lang'percent-encoded`, decoded as the rest of the request is; the value as it is when it is not that. */
function extendedValue(v: string): string {
  const m = /^[\w-]*'[\w-]*'(.*)$/.exec(v);
  return m ? percentDecode(m[1]!) : v;
}

/**
 * RFC 2045 quoted-printable: `=XX` is a byte, `=` at a line's end (blanks a mailer left after it
 * aside; CR LF, LF or CR) a soft line break; the bytes read as UTF-8 (Latin-1 when they are not). A `=`
 * that starts neither stays as it is, as lenient decoders keep it. Bytes in one array, grown only for
 * characters beyond ASCII: a part can be megabytes.
 */
export function decodeQuotedPrintable(s: string): string {
  let out = new Uint8Array(s.length + 16);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x3d) {
      const byte = hexByteAt(s, i + 1);
      if (byte >= 0) {
        out[n++] = byte;
        i += 2;
        continue;
      }
      let j = i + 1;
      while (s.charCodeAt(j) === 32 || s.charCodeAt(j) === 9) j++;
      const lineEnd = s.charCodeAt(j);
      if (lineEnd === 13 || lineEnd === 10) {
        i = lineEnd === 13 && s.charCodeAt(j + 1) === 10 ? j + 1 : j;
        continue;
      }
    }
    if (c < 0x80) {
      out[n++] = c;
      continue;
    }
    // A character beyond ASCII (a part's text that was not encoded after all), a surrogate pair whole.
    if (n + 4 > out.length) {
      const grown = new Uint8Array(out.length * 2);
      grown.set(out);
      out = grown;
    }
    const char = String.fromCodePoint(s.codePointAt(i)!);
    n += utf8.encodeInto(char, out.subarray(n)).written;
    i += char.length - 1;
  }
  return bytesToText(out.subarray(0, n));
}

const utf8 = new TextEncoder();

function isQuotedPrintable(part: Part): boolean {
  // Quoted or not: a lenient parser reads `"quoted-printable"` as the encoding too.
  return /^\s*"?quoted-printable"?\s*$/i.test(headerOf(part.headers, "content-transfer-encoding"));
}

/**
 * Adds each part as leaves under `body.multipart.<name>`: the name (when not a plain word), the value
 * (and, for a part in quoted-printable, the value decoded: `~quoted-printable`; for a part whose
 * Content-Type names a charset such as EBCDIC or UTF-16, the value read in it: `~charset`), the filename (kind
 * "filename") and every part header (kind "part-header", `.header.<name>`). Says whether any part was
 * found and whether the closing delimiter was.
 */
export function addMultipartLeaves(sink: LeafSink, body: string, boundary: string): { parsed: boolean; closed: boolean } {
  const { parts, closed } = parseMultipart(body, boundary);
  for (const part of parts) {
    const path = `body.multipart.${part.name}`;
    if (!sink.key("body", path, part.name)) break;
    for (const [name, value] of part.headers) sink.value("body", `${path}.header.${name}`, name, value, "part-header");
    if (part.filename !== null) sink.value("body", `${path}.filename`, part.name, part.filename, "filename");
    if (!sink.value("body", path, part.name, part.value)) break;
    if (isQuotedPrintable(part) && !sink.value("body", `${path}~quoted-printable`, part.name, decodeQuotedPrintable(part.value), "value", ["quoted-printable"])) break;
    const decoded = decodeDeclaredCharset(part.value, headerOf(part.headers, "content-type"), sink.limits.maxBodyBytes);
    if (decoded && !sink.value("body", `${path}~charset`, part.name, decoded.text)) break;
  }
  return { parsed: parts.length > 0, closed };
}
