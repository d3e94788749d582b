/**
 * Batch ingestion: inputs → lines → (per-input format detection) → parsed requests.
 * The shared entry point for `moat scan`, `moat train` and the benchmarks.
 */
import type { HttpRequest } from "../core/http-request.ts";
import { prepend, resolveInputs, readInputLines, type BatchInput } from "./batch.ts";
import type { SourceLine } from "../core/source-line.ts";
import { parserFor, type FormatOptions } from "../parse/formats.ts";
import { parseBatches } from "../parse/stream.ts";
import type { Parser } from "../parse/parser.ts";
import type { Rejections } from "../parse/rejections.ts";

export interface ReadHooks {
  /** An input was opened and its format chosen. */
  onInput?(input: BatchInput, parser: Parser): void;
  /**
   * An input whose format could not be detected (it is skipped), or whose compressed data ends early or
   * is corrupt (its lines before the damage were read): the others go on. The message names the input.
   */
  onInputError?(input: BatchInput, error: Error): void;
  /** Bytes of the current input consumed so far (decompressed offset), for progress. */
  onProgress?(input: BatchInput, offset: number): void;
}

async function* withProgress(batches: AsyncIterable<SourceLine[]>, input: BatchInput, hooks: ReadHooks): AsyncGenerator<SourceLine[]> {
  for await (const batch of batches) {
    const last = batch[batch.length - 1];
    if (last) hooks.onProgress?.(input, last.offset + last.text.length + 1);
    yield batch;
  }
}

/** A .gz input (file or stdin) whose data ends early or is corrupt. zlib's errors carry a Z_* code. */
class DamagedInputError extends Error {
  constructor(input: BatchInput, zlibMessage: string, linesRead: number) {
    super(`${input.name}: the gzip data is truncated or corrupt (${zlibMessage}); ${linesRead ? `lines 1-${linesRead} were read` : "no line could be read"}`);
    this.name = "DamagedInputError";
  }
}

/**
 * Lines of one input, with decompression errors turned into DamagedInputError. The lines before the
 * damage have been handed out already and count; the incomplete line at the break is dropped.
 */
async function* inputLines(input: BatchInput): AsyncGenerator<SourceLine[]> {
  let linesRead = 0;
  try {
    for await (const batch of readInputLines(input)) {
      linesRead = batch[batch.length - 1]!.line;
      yield batch;
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === "string" && code.startsWith("Z_")) throw new DamagedInputError(input, (e as Error).message, linesRead);
    throw e; // an I/O error (a file gone or unreadable) stays an error of the whole command
  }
}

async function* inputRequests(input: BatchInput, options: FormatOptions, rejections: Rejections, hooks: ReadHooks): AsyncGenerator<HttpRequest[]> {
  const lines = inputLines(input);
  const first = await lines.next();
  if (first.done) return;
  let parser: Parser;
  try {
    parser = parserFor(options, first.value.map((l) => l.text), input.name);
  } catch (e) {
    hooks.onInputError?.(input, e as Error);
    await lines.return(undefined);
    return;
  }
  hooks.onInput?.(input, parser);
  yield* parseBatches(withProgress(prepend(first.value, lines), input, hooks), parser, rejections);
}

export async function* readRequests(paths: string[], options: FormatOptions, rejections: Rejections, hooks: ReadHooks = {}): AsyncGenerator<HttpRequest[]> {
  for (const input of resolveInputs(paths)) {
    try {
      yield* inputRequests(input, options, rejections, hooks);
    } catch (e) {
      if (!(e instanceof DamagedInputError)) throw e;
      hooks.onInputError?.(input, e);
    }
  }
}
