/**
 * What every inline check answers — `/check`, `/api/waf/check`, their batches, and nginx's
 * auth_request endpoint — from the inline source's verdicts (src/pipeline/sources/inline.ts).
 */
import { t } from "elysia";
import type { HttpRequest } from "../core/http-request.ts";
import type { Verdict } from "../detect/verdict.ts";
import type { ApiServices } from "./services.ts";
import { SEVERITIES, VERDICT_DETECTORS } from "../core/enums.ts";
import { literalUnion } from "../core/schema-types.ts";

/** The inline check routes (detection.ts, auth-request.ts): all a `check` key may call; the guard rate-limits them per key, /api/performance times them. */
export const INLINE_CHECK_PATHS: ReadonlySet<string> = new Set(["/check", "/check/batch", "/api/waf/check", "/api/waf/check/batch", "/check/auth-request"]);

/** Whether a request's path is an inline check route; with a trailing slash too, as Elysia routes `/x/` to `/x`. */
export function isInlineCheckPath(path: string): boolean {
  return INLINE_CHECK_PATHS.has(path.endsWith("/") ? path.slice(0, -1) : path);
}

export const Reason = t.Object({
  field: t.String({ description: "where the value sat: path, path.segment[<i>] (an escaped segment, as a route reads it), query.<name>, body.<name> (body.json.a.b[0], body.multipart.<part>), cookie.<name>, header.<name> (header.referer.query.<name>), a reading decoded from one of those (query.q~base64), or method" }),
  name: t.String({ description: "an attack class (generic detector) or a departure from the site profile (site detector)" }),
  evidence: t.String(),
  detector: literalUnion(VERDICT_DETECTORS, { description: "allowlist: an operator's rule covers the request, which is not flagged" }),
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
  severity: literalUnion(SEVERITIES),
  blocked: t.Boolean({ description: "refused: the mode is block, and the request is a known attack class at detect.block_min_severity or above, or an anomaly on an endpoint of detect.block_anomaly_endpoints" }),
});
export type CheckAnswerT = typeof CheckAnswer.static;

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

/** Judges the requests on the inline source (stored and published like tailed traffic); answers in their order. */
export async function checkInline(s: ApiServices, toRequests: (now: number) => HttpRequest[]): Promise<CheckAnswerT[]> {
  const { judged, elapsedMs } = await s.inline.check(toRequests(s.ctx.now()));
  return judged.verdicts.map((v, i) => toAnswer(v, elapsedMs / judged.verdicts.length, judged.blocked[i]!));
}
