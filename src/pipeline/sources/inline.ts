/**
 * The inline-check source — `/check`, `/api/waf/check`, their batches and nginx's auth_request: the
 * requests are judged on the pipeline while the caller waits, queued for the store (write-behind,
 * then published on the bus, so they show on the dashboard, count in the metrics and raise alerts
 * like tailed traffic), and counted for /api/waf/stats. The API shapes the answer.
 */
import type { HttpRequest } from "../../core/http-request.ts";
import type { Pipeline, Judged } from "../pipeline.ts";
import type { WriteBehind } from "../sinks/write-behind.ts";

/** Inline checks served since start-up, for the average processing time. */
export class ServedChecks {
  served = 0;
  flagged = 0;
  private totalMs = 0;

  add(judged: Judged, elapsedMs: number): void {
    this.served += judged.verdicts.length;
    this.flagged += judged.verdicts.filter((v) => v.isAnomaly).length;
    this.totalMs += elapsedMs;
  }

  get averageMs(): number {
    return this.served ? this.totalMs / this.served : 0;
  }
}

export interface InlineSource {
  /** Judges, queues for the store and counts the requests; the verdicts are in their order. */
  check(requests: HttpRequest[]): Promise<{ judged: Judged; elapsedMs: number }>;
  served: ServedChecks;
}

export function inlineSource(pipeline: Pipeline, sink: WriteBehind): InlineSource {
  const served = new ServedChecks();
  return {
    served,
    async check(requests) {
      const started = performance.now();
      const judged = await pipeline.run({ requests });
      const elapsedMs = performance.now() - started;
      // The answer is the caller's own; what is stored and published has the secrets taken out.
      sink.add(judged.redacted, judged.verdicts, judged.blocked);
      served.add(judged, elapsedMs);
      return { judged, elapsedMs };
    },
  };
}
