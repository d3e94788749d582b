/**
 * Splits a byte stream into lines with their byte offsets, in bounded memory.
 * Lines are handed out in batches (one per input chunk) because a promise per line would cost more
 * than parsing it.
 */

import type { SourceLine } from "../core/source-line.ts";

export interface SplitOptions {
  /** Longest line kept whole; longer ones are cut and marked `tooLong` (never buffered without bound). */
  maxLineBytes: number;
  /** First line number and byte offset, for sources that resume mid-file. */
  startLine?: number;
  startOffset?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 1 << 20;
const NL = 10;
const CR = 13;

/** The text of bytes start..end of `buf`, without a trailing CR (shared with the tail follower). */
export function decodeLine(buf: Buffer, start: number, end: number): string {
  if (end > start && buf[end - 1] === CR) end--;
  return buf.toString("utf8", start, end);
}

/**
 * Yields every line of `chunks`. A last line without a newline is yielded at the end of the stream
 * (a batch file is complete; the tail follower, which must wait for the newline, does not use this).
 */
export async function* splitLines(
  chunks: AsyncIterable<Uint8Array>,
  source: string,
  options: SplitOptions,
): AsyncGenerator<SourceLine[]> {
  const max = options.maxLineBytes;
  let lineNo = options.startLine ?? 1;
  let offset = options.startOffset ?? 0; // offset of the first byte of `carry`
  let carry: Buffer = Buffer.alloc(0);
  // While skipping the rest of an over-long line: its record so far.
  let oversize: SourceLine | null = null;

  for await (const chunk of chunks) {
    const buf: Buffer = carry.length ? Buffer.concat([carry, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out: SourceLine[] = [];
    let pos = 0;
    for (;;) {
      const nl = buf.indexOf(NL, pos);
      if (oversize) {
        const end = nl === -1 ? buf.length : nl;
        oversize.tooLong! += end - pos;
        if (nl === -1) { pos = buf.length; break; }
        out.push(oversize);
        oversize = null;
        lineNo++;
        pos = nl + 1;
        continue;
      }
      if (nl === -1) break;
      if (nl - pos > max) {
        out.push({ text: decodeLine(buf, pos, pos + max), source, line: lineNo, offset: offset + pos, tooLong: nl - pos });
      } else {
        out.push({ text: decodeLine(buf, pos, nl), source, line: lineNo, offset: offset + pos });
      }
      lineNo++;
      pos = nl + 1;
    }
    if (!oversize && buf.length - pos > max) {
      oversize = { text: decodeLine(buf, pos, pos + max), source, line: lineNo, offset: offset + pos, tooLong: buf.length - pos };
      pos = buf.length;
    }
    offset += pos;
    carry = buf.subarray(pos);
    if (out.length) yield out;
  }
  if (oversize) yield [oversize];
  else if (carry.length) yield [{ text: decodeLine(carry, 0, carry.length), source, line: lineNo, offset }];
}
