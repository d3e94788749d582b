/**
 * The one path every request takes, whichever source it came from (a followed log, a mirrored copy,
 * an inline check, a batch scan): judge (the models, then the allowlist) → decide whether the live
 * mode refuses it → take the secrets out → hand the judged batch to the source's sink. Sources and
 * sinks differ; this part does not, so a setting changed at run time reaches every source at once.
 */
import type { HttpRequest } from "../core/http-request.ts";
import { shouldBlock, type BlockPolicy } from "../detect/site/block-policy.ts";
import type { Redactor } from "../detect/redact.ts";
import type { Verdict } from "../detect/verdict.ts";
import type { WafMode } from "../core/enums.ts";

/** A slice of this many requests is judged at a time: the featurized batch is what costs memory. */
const JUDGE_SLICE = 512;

/** What the pipeline reads at the moment it judges: the mode an operator may change while Moat runs. */
export interface LiveSettings {
  readonly mode: WafMode;
}

/** Whether nginx's deny list refuses a client (its request was answered 403 by nginx itself). */
export type DeniedCheck = (clientIp: string) => boolean;

export interface PipelineOptions {
  /** The verdict path: the models, then the allowlist. */
  judge(requests: HttpRequest[]): Promise<Verdict[]>;
  /** Takes the secrets out of judged requests before they are stored, published or printed. */
  redact: Redactor;
  live: LiveSettings;
  policy: BlockPolicy;
  /** The deny list, when passive blocking runs: what it refuses counts as blocked whatever the mode. */
  denied?: DeniedCheck;
}

export interface SourceBatch {
  requests: HttpRequest[];
  /** The raw records (log lines), kept with the flagged ones as they were received. */
  records?: string[];
}

export interface Judged {
  /** The requests as received: the caller's own, for its answer. */
  requests: HttpRequest[];
  verdicts: Verdict[];
  /** Refused: block mode and the policy says so (src/detect/site/block-policy.ts), or the deny list refuses its client. */
  blocked: boolean[];
  /** What may be stored, published or printed: the requests with their secrets taken out. */
  redacted: HttpRequest[];
}

export interface Pipeline {
  run(batch: SourceBatch): Promise<Judged>;
}

export function createPipeline(options: PipelineOptions): Pipeline {
  return {
    async run({ requests, records }) {
      const verdicts: Verdict[] = [];
      for (let i = 0; i < requests.length; i += JUDGE_SLICE) verdicts.push(...(await options.judge(requests.slice(i, i + JUDGE_SLICE))));
      const blocking = options.live.mode === "block";
      const blocked = verdicts.map((v, i) => (blocking && shouldBlock(v, requests[i]!.path, options.policy)) || (options.denied?.(requests[i]!.clientIp) ?? false));
      const redacted = requests.map((r, i) => options.redact(r, verdicts[i]!.reasons, verdicts[i]!.isAnomaly ? records?.[i] : undefined));
      return { requests, verdicts, blocked, redacted };
    },
  };
}
