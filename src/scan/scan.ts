/** `moat scan` as a function: read inputs, parse, summarise, and hand each batch to the caller. */
import { randomBytes } from "node:crypto";
import type { HttpRequest } from "../core/http-request.ts";
import { createRedactor } from "../detect/redact.ts";
import { readRequests, type ReadHooks } from "../ingest/read.ts";
import type { FormatOptions } from "../parse/formats.ts";
import { Rejections } from "../parse/rejections.ts";
import { SummaryBuilder, type ScanSummary } from "./summary.ts";
import type { Detector } from "../detect/detector.ts";
import type { Verdict } from "../detect/verdict.ts";

export interface ScanOptions extends FormatOptions {
  top?: number;
  /** Judges every request when given; verdicts reach onRequests and the summary. */
  detector?: Detector;
  /** Called with each batch of parsed requests (and their verdicts), in input order. */
  onRequests?(batch: HttpRequest[], verdicts: Verdict[] | null): Promise<void> | void;
  hooks?: ReadHooks;
}

export async function scan(paths: string[], options: ScanOptions): Promise<ScanSummary> {
  const rejections = new Rejections();
  const summary = new SummaryBuilder();
  // A key for this scan alone: a scan has no installation, so its hashes compare within one run.
  const redact = createRedactor(randomBytes(32));
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
    if (!batch.length) continue;
    const verdicts = options.detector ? await options.detector.judge(batch) : null;
    // Judged on the real values; what is printed has the secrets taken out.
    const redacted = batch.map((req, i) => redact(req, verdicts?.[i]!.reasons ?? []));
    redacted.forEach((req, i) => summary.add(req, verdicts?.[i]));
    await options.onRequests?.(redacted, verdicts);
  }
  return summary.build(rejections, options.top);
}
