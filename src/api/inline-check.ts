/**
 * The one path every inline check takes — `/check`, `/api/waf/check`, their batches, and nginx's
 * auth_request endpoint: judge the requests with the live detector, queue them for the store
 * (write-behind, then published on the bus, so they show on the dashboard, count in the metrics and
 * raise alerts like tailed traffic), count them for /api/waf/stats, and shape the answer.
 */
import { t } from "elysia";
import type { HttpRequest } from "../core/http-request.ts";
import type { Severity, Verdict } from "../detect/verdict.ts";
import { blockPolicy, shouldBlock } from "../detect/site/block-policy.ts";
import type { ApiServices } from "./services.ts";

/** The inline check routes (detection.ts, auth-request.ts): all a `check` key may call; the guard rate-limits them per key, /api/performance times them. */
export const INLINE_CHECK_PATHS: ReadonlySet<string> = new Set(["/check", "/check/batch", "/api/waf/check", "/api/waf/check/batch", "/check/auth-request"]);

/** Whether a request's path is an inline check route; with a trailing slash too, as Elysia routes `/x/` to `/x`. */
export function isInlineCheckPath(path: string): boolean {
  return INLINE_CHECK_PATHS.has(path.endsWith("/") ? path.slice(0, -1) : path);
}

export const Reason = t.Object({
  field: t.String({ description: "path, query.<name>, body.<name>, cookie.<name>, header.<name> or method" }),
  name: t.String({ description: "an attack class (generic detector) or a departure from the site profile (site detector)" }),
  evidence: t.String(),
  detector: t.Union([t.Literal("generic"), t.Literal("site"), t.Literal("allowlist")], { description: "allowlist: an operator's rule covers the request, which is not flagged" }),
  weight: t.Number(),
  detail: t.String(),
});

export const CheckAnswer = t.Object({
  anomaly_score: t.Number({ description: "0 to 1" }),
  is_anomaly: t.Boolean({ description: "anomaly_score >= threshold, unless an allowlist rule covers the request" }),
  threshold: t.Number(),
  processing_time_ms: t.Number({ description: "reading and judging the request (a batch's time is shared by its items)" }),
  model_version: t.String(),
  attack_type: t.Optional(t.String({ description: "an attack class or `anomaly`; absent when the request is not flagged" })),
  reasons: t.Array(Reason, { description: "why the request was flagged, strongest first; empty when it was not" }),
  severity: t.Union([t.Literal("critical"), t.Literal("high"), t.Literal("medium"), t.Literal("low"), t.Literal("none")]),
  blocked: t.Boolean({ description: "refused: the mode is block, and the request is a known attack class at detect.block_min_severity or above, or an anomaly on an endpoint of detect.block_anomaly_endpoints" }),
});
export type CheckAnswerT = typeof CheckAnswer.static;

/** Inline checks served since start-up, for the average processing time. */
class ServedChecks {
  served = 0;
  flagged = 0;
  private totalMs = 0;

  add(verdicts: Verdict[], elapsedMs: number): void {
    this.served += verdicts.length;
    this.flagged += verdicts.filter((v) => v.isAnomaly).length;
    this.totalMs += elapsedMs;
  }

  get averageMs(): number {
    return this.served ? this.totalMs / this.served : 0;
  }
}

function toAnswer(v: Verdict, processingMs: number, blocked: boolean): CheckAnswerT {
  return {
    anomaly_score: v.score,
    is_anomaly: v.isAnomaly,
    threshold: v.threshold,
    processing_time_ms: Math.round(processingMs * 1000) / 1000,
    model_version: v.modelVersion,
    ...(v.attackType ? { attack_type: v.attackType } : {}),
    reasons: v.reasons,
    severity: v.severity,
    blocked,
  };
}

export interface InlineChecker {
  /** Judges, stores (as the tail does) and publishes the requests; answers in their order. */
  check(toRequests: (now: number) => HttpRequest[]): Promise<CheckAnswerT[]>;
  served: ServedChecks;
}

function createInlineChecker(s: ApiServices): InlineChecker {
  const served = new ServedChecks();
  const policy = blockPolicy(s.ctx.config.detect.block_min_severity as Severity, s.ctx.config.detect.block_anomaly_endpoints);
  async function check(toRequests: (now: number) => HttpRequest[]): Promise<CheckAnswerT[]> {
    const started = performance.now();
    const now = s.ctx.now();
    const requests = toRequests(now);
    const verdicts = await s.judge(requests); // the models, then the allowlist
    const elapsedMs = performance.now() - started;
    const blocking = s.settings.mode === "block";
    const blocked = verdicts.map((v, i) => blocking && shouldBlock(v, requests[i]!.path, policy));
    // The answer is the caller's own; what is stored and published has the secrets taken out.
    for (const side of [true, false]) {
      const indexes = blocked.flatMap((b, i) => (b === side ? [i] : []));
      if (indexes.length) s.inlineWriter.add(indexes.map((i) => s.redact(requests[i]!, verdicts[i]!.reasons)), indexes.map((i) => verdicts[i]!), side);
    }
    served.add(verdicts, elapsedMs);
    return verdicts.map((v, i) => toAnswer(v, elapsedMs / verdicts.length, blocked[i]!));
  }
  return { check, served };
}

const checkers = new WeakMap<ApiServices, InlineChecker>();

/** One checker per running API, so that every inline route adds to the same figures. */
export function inlineChecker(s: ApiServices): InlineChecker {
  let checker = checkers.get(s);
  if (!checker) checkers.set(s, (checker = createInlineChecker(s)));
  return checker;
}
