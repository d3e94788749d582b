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
import { bytesToText, textByteReadings } from "./decode.ts";

const CR = 13;
const LF = 10;

/** The end of the line starting at `from` (the index of its LF), or -1. */
function lineEnd(bytes: Buffer, from: number): number {
  return bytes.indexOf(LF, from);
}

/** Past the line break at `at` (CRLF or LF), or -1 when none is there. */
function pastBreak(bytes: Buffer, at: number): number {
  if (bytes[at] === LF) return at + 1;
  if (bytes[at] === CR && bytes[at + 1] === LF) return at + 2;
  return -1;
}

/**
 * A size in hex, read as servers read it: leading zeros count for nothing (nginx and Node's parser take
 * any number of them, `000000000000000005` is 5), and more than 12 significant digits is past any
 * body a server takes.
 */
const CHUNK_SIZE = /^0*([0-9A-Fa-f]{1,12})$/;

/**
 * The chunks joined, or null when the body breaks the framing. Sizes count bytes: the text's UTF-8
 * bytes, or, when those break the framing, one byte a character (the text of a body that was no UTF-8:
 * bytesToText's reading).
 */
export function dechunk(body: string): string | null {
  const [utf8Bytes, asRead] = textByteReadings(body);
  const joined = joinChunks(utf8Bytes!);
  if (joined) return joined.toString("utf8");
  const fromRead = asRead ? joinChunks(asRead) : null;
  return fromRead && bytesToText(fromRead);
}

function joinChunks(bytes: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = lineEnd(bytes, at);
    const line = bytes.subarray(at, end === -1 ? bytes.length : end).toString("latin1");
    const size = CHUNK_SIZE.exec(line.split(";", 1)[0]!.trim());
    if (!size) return null;
    const length = parseInt(size[1]!, 16);
    if (length === 0) break;
    if (end === -1) return null;
    const data = end + 1;
    parts.push(bytes.subarray(data, Math.min(bytes.length, data + length)));
    if (data + length >= bytes.length) break;
    at = pastBreak(bytes, data + length);
    if (at === -1) return null;
  }
  return Buffer.concat(parts);
}
