/**
 * A body sent with `Transfer-Encoding: chunked` (RFC 9112 §7.1), its chunks joined: the application
 * reads the joined data, so a payload cut across chunks (`<img src=x on` + `error=alert(1)>`) is judged
 * whole. Each chunk is a size in hex (extensions after `;` ignored), a line break, that many bytes and
 * a line break; a chunk of size 0 ends the body, and trailer fields after it are dropped.
 *
 * Line breaks may be bare LF as well as CRLF (what a lenient server takes). A body that breaks the
 * framing (a size that is no hex number, data not followed by a line break) is not chunked as
 * declared: null, and it is judged as sent. One that stops short (a capture cut mid-chunk) keeps what
 * arrived. Linear in the body's length.
 */
const CR = 13;
const LF = 10;

/** The end of the line starting at `from` (the index of its LF), or -1. */
function lineEnd(bytes: Uint8Array, from: number): number {
  return bytes.indexOf(LF, from);
}

/** Past the line break at `at` (CRLF or LF), or -1 when none is there. */
function pastBreak(bytes: Uint8Array, at: number): number {
  if (bytes[at] === LF) return at + 1;
  if (bytes[at] === CR && bytes[at + 1] === LF) return at + 2;
  return -1;
}

const CHUNK_SIZE = /^[0-9A-Fa-f]{1,12}$/;

export function dechunk(body: string): string | null {
  const bytes = Buffer.from(body, "utf8");
  const parts: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = lineEnd(bytes, at);
    const line = bytes.subarray(at, end === -1 ? bytes.length : end).toString("latin1");
    const size = line.split(";", 1)[0]!.trim();
    if (!CHUNK_SIZE.test(size)) return null;
    const length = parseInt(size, 16);
    if (length === 0) break;
    if (end === -1) return null;
    const data = end + 1;
    parts.push(bytes.subarray(data, Math.min(bytes.length, data + length)));
    if (data + length >= bytes.length) break;
    at = pastBreak(bytes, data + length);
    if (at === -1) return null;
  }
  return Buffer.concat(parts).toString("utf8");
}
