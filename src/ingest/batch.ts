/**
 * Batch source: files, directories, globs, gzip and stdin, streamed in bounded memory.
 */
import { createReadStream, type ReadStream, statSync, readdirSync, openSync, readSync, closeSync } from "node:fs";
import { join } from "node:path";
import { createGunzip } from "node:zlib";
import { Readable } from "node:stream";
import { Glob } from "bun";
import { splitLines, DEFAULT_MAX_LINE_BYTES } from "./lines.ts";
import type { SourceLine } from "../core/source-line.ts";

/** An input that cannot be read at all (as opposed to a line that cannot be parsed). */
export class InputError extends Error {
  constructor(message: string, readonly path: string) {
    super(message);
    this.name = "InputError";
  }
}

export interface BatchInput {
  /** Name used in `origin.source`: the path, or `stdin`. */
  name: string;
  /** Raw bytes, decompressed when the input was gzip. */
  open(): AsyncIterable<Uint8Array>;
  /** Size on disk, for progress (compressed size for gzip), when known. */
  size: number | null;
  /** Bytes read from disk so far (compressed bytes for gzip): with `size`, how far along the input is. */
  bytesRead?(): number;
}

const READ_CHUNK = 256 * 1024;
const GLOB_CHARS = /[*?[\]{}]/;

function isGzipFile(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

function fileInput(path: string): BatchInput {
  const size = statSync(path).size;
  const gz = isGzipFile(path);
  let raw: ReadStream | null = null;
  return {
    name: path,
    size,
    open: () => {
      raw = createReadStream(path, { highWaterMark: READ_CHUNK });
      return gz ? raw.pipe(createGunzip({ chunkSize: READ_CHUNK })) : raw;
    },
    bytesRead: () => raw?.bytesRead ?? 0,
  };
}

/** stdin, gunzipped when it starts with the gzip magic bytes. */
function stdinInput(): BatchInput {
  return {
    name: "stdin",
    size: null,
    open: () => sniffGzip(process.stdin),
  };
}

/** Re-yields an item taken off an iterator to peek at it, then the rest. */
export async function* prepend<T>(first: T, rest: AsyncIterator<T>): AsyncGenerator<T> {
  yield first;
  for (let r = await rest.next(); !r.done; r = await rest.next()) yield r.value;
}

async function* sniffGzip(stream: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const it = stream[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const head = first.value;
  if (head[0] === 0x1f && head[1] === 0x8b) yield* Readable.from(prepend(head, it)).pipe(createGunzip());
  else yield* prepend(head, it);
}

function listDirectory(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listDirectory(p));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

/**
 * Expands paths (`-` for stdin, files, directories recursively, globs) into inputs, in the order given.
 * Throws InputError naming the path when one does not exist or matches nothing.
 */
export function resolveInputs(paths: string[]): BatchInput[] {
  const inputs: BatchInput[] = [];
  for (const p of paths) {
    if (p === "-") { inputs.push(stdinInput()); continue; }
    let stat;
    try { stat = statSync(p); } catch { stat = null; }
    if (stat?.isDirectory()) { inputs.push(...listDirectory(p).map(fileInput)); continue; }
    if (stat?.isFile()) { inputs.push(fileInput(p)); continue; }
    if (GLOB_CHARS.test(p)) {
      const matches = [...new Glob(p).scanSync({ absolute: false, onlyFiles: true })].sort();
      if (!matches.length) throw new InputError(`no file matches ${p}`, p);
      inputs.push(...matches.map(fileInput));
      continue;
    }
    throw new InputError(stat ? `${p} is not a regular file or directory` : `${p}: no such file or directory`, p);
  }
  return inputs;
}

/** Lines of one input, in batches. */
export function readInputLines(input: BatchInput, maxLineBytes = DEFAULT_MAX_LINE_BYTES): AsyncGenerator<SourceLine[]> {
  return splitLines(input.open(), input.name, { maxLineBytes });
}
