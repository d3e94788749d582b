/**
 * One physical log file held open by the follower, and reading its complete lines.
 * Every read starts at the first undelivered byte, so a partial last line is simply read again
 * once its newline has arrived, and nothing but an over-long line's head outlives a read.
 */
import { open, type FileHandle } from "node:fs/promises";
import { createHash } from "node:crypto";
import type { Stats } from "node:fs";
import { decodeLine } from "../lines.ts";
import type { SourceLine } from "../../core/source-line.ts";
import type { FilePosition } from "./types.ts";

/** How much of the file start identifies it (as Vector's file source does). */
const FINGERPRINT_BYTES = 4096;
const MIN_READ_BYTES = 256 * 1024;
const NL = 10;

/** An over-long line whose newline has not been seen yet: its kept start and the bytes scanned. */
export interface LongLine {
  text: string;
  scanned: number;
}

/** An open file: its position (see FilePosition; `path` is the watched path or the sibling it was found as) and its handle. */
export interface TailFile extends FilePosition {
  handle: FileHandle;
  longLine: LongLine | null;
  /** Size at the last look, and when it last grew (monotonic ms: the grace period of rotated files counts from it). */
  size: number;
  grewAt: number;
}

/** Where a read leaves the file: committed only once its lines have been handed over. */
export interface Advance {
  lines: SourceLine[];
  offset: number;
  line: number;
  longLine: LongLine | null;
  /** The file's fingerprint, when known by now. */
  fingerprint: string;
}

type Split = Omit<Advance, "fingerprint">;

export async function openFile(path: string): Promise<{ handle: FileHandle; stats: Stats }> {
  const handle = await open(path, "r");
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new Error(`${path} is not a regular file`);
    return { handle, stats };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

export function tailFile(handle: FileHandle, path: string, stats: Stats, at: FilePosition | null): TailFile {
  return {
    handle,
    path,
    dev: stats.dev,
    ino: stats.ino,
    fingerprint: at?.fingerprint ?? "",
    offset: at?.offset ?? 0,
    line: at?.line ?? 1,
    longLine: null,
    size: stats.size,
    grewAt: performance.now(),
  };
}

export function position(file: TailFile): FilePosition {
  return { path: file.path, dev: file.dev, ino: file.ino, fingerprint: file.fingerprint, offset: file.offset, line: file.line };
}

/**
 * Fingerprint of a file that starts with `head`: hash of its first line (with its newline), or of
 * its first FINGERPRINT_BYTES when that line is longer; empty while neither is complete, because a
 * prefix that can still grow does not identify anything.
 */
function fingerprintOfHead(head: Buffer): string {
  const nl = head.subarray(0, FINGERPRINT_BYTES).indexOf(NL);
  const end = nl !== -1 ? nl + 1 : head.length >= FINGERPRINT_BYTES ? FINGERPRINT_BYTES : 0;
  if (end === 0) return "";
  return createHash("sha256").update(head.subarray(0, end)).digest("hex").slice(0, 32);
}

export async function fingerprintOf(handle: FileHandle): Promise<string> {
  const buf = Buffer.alloc(FINGERPRINT_BYTES);
  const { bytesRead } = await handle.read(buf, 0, FINGERPRINT_BYTES, 0);
  return fingerprintOfHead(buf.subarray(0, bytesRead));
}

/** The byte after the last newline before `size`, and the line number there (for starting at the end). */
export async function lastLineEnd(handle: FileHandle, size: number): Promise<{ offset: number; line: number }> {
  const buf = Buffer.alloc(Math.min(size, MIN_READ_BYTES * 4));
  let offset = 0;
  let line = 1;
  for (let at = 0; at < size; ) {
    const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, size - at), at);
    if (bytesRead === 0) break;
    for (let nl = buf.indexOf(NL); nl !== -1 && nl < bytesRead; nl = buf.indexOf(NL, nl + 1)) {
      offset = at + nl + 1;
      line++;
    }
    at += bytesRead;
  }
  return { offset, line };
}

/**
 * The complete lines in `buf`, which holds the file from `from.offset` plus the part of an
 * over-long line already scanned. Lines longer than `max` keep only their start and carry
 * `tooLong` (their real length, as in lines.ts); an unfinished one is remembered in `longLine`
 * instead of being buffered.
 */
function splitComplete(buf: Buffer, from: Omit<Split, "lines">, source: string, max: number): Split {
  const bufStart = from.offset + (from.longLine?.scanned ?? 0);
  const lines: SourceLine[] = [];
  let line = from.line;
  let pos = 0;
  if (from.longLine) {
    const nl = buf.indexOf(NL);
    if (nl === -1) return { lines, offset: from.offset, line, longLine: { text: from.longLine.text, scanned: from.longLine.scanned + buf.length } };
    lines.push({ text: from.longLine.text, source, line: line++, offset: from.offset, tooLong: from.longLine.scanned + nl });
    pos = nl + 1;
  }
  for (let nl = buf.indexOf(NL, pos); nl !== -1; nl = buf.indexOf(NL, pos)) {
    const record: SourceLine = nl - pos > max
      ? { text: decodeLine(buf, pos, pos + max), source, line, offset: bufStart + pos, tooLong: nl - pos }
      : { text: decodeLine(buf, pos, nl), source, line, offset: bufStart + pos };
    lines.push(record);
    line++;
    pos = nl + 1;
  }
  const rest = buf.length - pos;
  const longLine = rest > max ? { text: decodeLine(buf, pos, pos + max), scanned: rest } : null;
  return { lines, offset: bufStart + pos, line, longLine };
}

/**
 * Reads what follows the file's delivered part, up to `size`: null when that is only the start of
 * a line. A read is at least max+1 bytes so that a line with no newline in it is known to be over-long.
 */
export async function readNext(file: TailFile, size: number, source: string, max: number): Promise<Advance | null> {
  const from = file.offset + (file.longLine?.scanned ?? 0);
  if (from >= size) return null;
  const buf = Buffer.alloc(Math.min(size - from, Math.max(MIN_READ_BYTES, max + 1)));
  const { bytesRead } = await file.handle.read(buf, 0, buf.length, from);
  if (bytesRead === 0) return null;
  const data = buf.subarray(0, bytesRead);
  const next = splitComplete(data, file, source, max);
  const scanned = next.longLine !== null && next.longLine.scanned !== file.longLine?.scanned;
  if (!next.lines.length && !scanned) return null;
  // From the very bytes split, so that a truncation racing this read cannot slip in another file's.
  return { ...next, fingerprint: file.fingerprint || (from === 0 ? fingerprintOfHead(data) : "") };
}
