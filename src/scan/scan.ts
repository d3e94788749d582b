/** `moat scan` as a function: read inputs, parse, summarise, and hand each batch to the caller. */
import type { HttpRequest } from "../core/http-request.ts";
import { readRequests, type ReadHooks } from "../ingest/read.ts";
import type { FormatOptions } from "../parse/formats.ts";
import { Rejections } from "../parse/rejections.ts";
import { SummaryBuilder, type ScanSummary } from "./summary.ts";

export interface ScanOptions extends FormatOptions {
  top?: number;
  /** Called with each batch of parsed requests, in input order. */
  onRequests?(batch: HttpRequest[]): Promise<void> | void;
  hooks?: ReadHooks;
}

export async function scan(paths: string[], options: ScanOptions): Promise<ScanSummary> {
  const rejections = new Rejections();
  const summary = new SummaryBuilder();
  const hooks: ReadHooks = {
    ...options.hooks,
    onInput(input, parser) {
      summary.inputs.push({ source: input.name, format: parser.name });
      options.hooks?.onInput?.(input, parser);
    },
    onInputError(input, error) {
      summary.failedInputs.push({ source: input.name, error: error.message });
      options.hooks?.onInputError?.(input, error);
    },
  };
  for await (const batch of readRequests(paths, options, rejections, hooks)) {
    for (const req of batch) summary.add(req);
    if (batch.length) await options.onRequests?.(batch);
  }
  return summary.build(rejections, options.top);
}
