/** `moat scan` as a function: the batch source — read inputs, parse, the pipeline, then a summary and each batch to the caller. */
import { randomBytes } from "node:crypto";
import type { HttpRequest } from "../core/http-request.ts";
import { createRedactor } from "../detect/redact.ts";
import { readRequests, type ReadHooks } from "../ingest/read.ts";
import type { FormatOptions } from "../parse/formats.ts";
import { Rejections } from "../parse/rejections.ts";
import { SummaryBuilder, type ScanSummary } from "./summary.ts";
import type { Detector } from "../detect/detector.ts";
import { blockPolicy } from "../detect/site/block-policy.ts";
import { createPipeline } from "../pipeline/pipeline.ts";
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
  const detector = options.detector;
  // The serving pipeline with a summary as its sink; nothing is refused in a scan (detect mode).
  const pipeline = detector ? createPipeline({ judge: (requests) => detector.judge(requests), redact, live: { mode: "detect" }, policy: blockPolicy("high", []) }) : null;
  for await (const batch of readRequests(paths, options, rejections, hooks)) {
    if (!batch.length) continue;
    // Judged on the real values; what is printed has the secrets taken out.
    const judged = pipeline ? await pipeline.run({ requests: batch }) : null;
    const redacted = judged?.redacted ?? batch.map((req) => redact(req, []));
    redacted.forEach((req, i) => summary.add(req, judged?.verdicts[i]));
    await options.onRequests?.(redacted, judged?.verdicts ?? null);
  }
  return summary.build(rejections, options.top);
}
