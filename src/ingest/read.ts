/**
 * Batch ingestion: inputs → lines → (per-input format detection) → parsed requests.
 * The shared entry point for `moat scan`, `moat train` and the benchmarks.
 */
import type { HttpRequest } from "../core/http-request.ts";
import { prepend, resolveInputs, readInputLines, type BatchInput } from "./batch.ts";
import type { SourceLine } from "./lines.ts";
import { parserFor, type FormatOptions } from "../parse/formats.ts";
import { parseBatches } from "../parse/stream.ts";
import type { Parser } from "../parse/parser.ts";
import type { Rejections } from "../parse/rejections.ts";

export interface ReadHooks {
  /** An input was opened and its format chosen. */
  onInput?(input: BatchInput, parser: Parser): void;
  /** An input whose format could not be detected: it is skipped, the others go on. */
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

export async function* readRequests(paths: string[], options: FormatOptions, rejections: Rejections, hooks: ReadHooks = {}): AsyncGenerator<HttpRequest[]> {
  for (const input of resolveInputs(paths)) {
    const lines = readInputLines(input)[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done) continue;
    let parser: Parser;
    try {
      parser = parserFor(options, first.value.map((l) => l.text), input.name);
    } catch (e) {
      hooks.onInputError?.(input, e as Error);
      await lines.return?.(undefined);
      continue;
    }
    hooks.onInput?.(input, parser);
    yield* parseBatches(withProgress(prepend(first.value, lines), input, hooks), parser, rejections);
  }
}
