/**
 * Detection endpoints (shared/API-CONTRACT.md, "Detection endpoints"): inline checks, their figures,
 * the live threshold and mode, and what the models are.
 *
 * - POST /api/waf/check and /api/waf/check/batch answer in the contract's envelope (the dashboard's path).
 * - POST /check and /check/batch answer the same objects bare: the machine-facing path (scripts,
 *   proxies; nginx's auth_request has its own route, auth-request.ts). In block mode a flagged request
 *   answers 403 on /check, so that a proxy can deny it on the status alone; the batch and /api paths
 *   answer 200 and say `blocked: true`.
 * - Errors on every path are the failure envelope `{ success: false, data: null, message }`.
 *
 * A check accepts the JSON `{ method, path, query_params?, headers?, body? }` or a raw HTTP request
 * as text (see check-input.ts). Checked requests go the way tailed traffic goes (inline-check.ts):
 * stored with source `inline` and published on the bus, so they show on the dashboard, count in the
 * metrics and raise alerts. Bodies are read as text and decoded here, not by Elysia, so that every
 * bad body gets a 400 or 413 that says what is wrong (naming the item of a batch); the `t` schemas
 * still describe the routes in the OpenAPI document and guard the decoded value.
 */
import { Elysia, t } from "elysia";
import type { HttpRequest } from "../../core/http-request.ts";
import { FEATURIZER_VERSION } from "../../detect/featurize.ts";
import type { GenericMetadata } from "../../detect/generic/model.ts";
import type { SiteMetadata } from "../../detect/site/model.ts";
import { answerApiError, ApiError, envelope, ErrorEnvelope, ok } from "../envelope.ts";
import type { ApiServices } from "../services.ts";
import { counterValue } from "../../store/stats.ts";
import { CheckAnswer, checkInline } from "../inline-check.ts";
import { checkBudget } from "../auth/rate-limit.ts";
import { CheckInput, DEFAULT_CHECK_LIMITS, decodeBody, parseBatchBody, parseCheckBody, schemaProblem, toHttpRequest, type CheckInputT, type CheckLimits } from "../check-input.ts";
import { WafConfig, WafConfigChange, type WafConfigChangeT } from "../console-contract.ts";

export type DetectionRouteOptions = Partial<CheckLimits>;

const WafStats = t.Object({
  service_available: t.Boolean(),
  total_requests: t.Number({ description: "requests judged since the database was created (tailed logs and inline checks)" }),
  anomalies_detected: t.Number({ description: "of those, flagged" }),
  average_processing_time_ms: t.Number({ description: "per inline check, over the checks served since start-up" }),
  threshold: t.Number(),
  model_loaded: t.Boolean(),
  site_model_loaded: t.Boolean(),
  checks_served: t.Number({ description: "inline checks since start-up" }),
  checks_flagged: t.Number({ description: "of those, flagged" }),
});


const CalibrationInfo = t.Object({
  training_requests: t.Number(),
  dropped_as_attacks: t.Number({ description: "training requests left out because the generic model flagged them" }),
  profile_requests: t.Number(),
  endpoints: t.Number(),
  scorer_negatives: t.Number(),
  scorer_positives: t.Number(),
  calibration_requests: t.Number(),
  calibration_fpr: t.Number({ description: "false-positive rate at the threshold on the calibration requests" }),
  synthetic_tpr: t.Number({ description: "share of held-out synthetic attacks flagged at the threshold" }),
});

const ModelInfo = t.Object({
  model_version: t.String(),
  threshold: t.Number({ description: "the live threshold" }),
  featurizer_version: t.Number(),
  classes: t.Array(t.String()),
  generic: t.Object({
    version: t.String(),
    threshold: t.Number({ description: "calibrated at target_fpr" }),
    target_fpr: t.Number(),
    trained_at: t.String(),
    featurizer: t.Object({ version: t.Number(), buckets: t.Number(), ngram_min: t.Number(), ngram_max: t.Number() }),
  }),
  site: t.Nullable(
    t.Object({
      version: t.String(),
      threshold: t.Number({ description: "calibrated at target_fpr" }),
      target_fpr: t.Number(),
      generic_version: t.String({ description: "the generic model it was trained with" }),
      trained_at: t.String(),
      calibration: CalibrationInfo,
    }),
  ),
});

/** What both models' metadata say. */
function commonModelInfo(m: GenericMetadata | SiteMetadata) {
  return { version: m.version, threshold: m.threshold, target_fpr: m.targetFpr, trained_at: m.trainedAt };
}

function genericModelInfo(m: GenericMetadata) {
  const f = m.featurizer;
  return { ...commonModelInfo(m), featurizer: { version: f.version, buckets: f.buckets, ngram_min: f.ngramMin, ngram_max: f.ngramMax } };
}

function siteModelInfo(m: SiteMetadata) {
  const c = m.calibration;
  return {
    ...commonModelInfo(m),
    generic_version: m.genericVersion,
    calibration: {
      training_requests: c.trainingRequests,
      dropped_as_attacks: c.droppedAsAttacks,
      profile_requests: c.profileRequests,
      endpoints: c.endpoints,
      scorer_negatives: c.scorerNegatives,
      scorer_positives: c.scorerPositives,
      calibration_requests: c.calibrationRequests,
      calibration_fpr: c.calibrationFpr,
      synthetic_tpr: c.syntheticTpr,
    },
  };
}

/** The body of PUT /api/waf/config, checked against WafConfigChange with a message that says what is wrong. */
function parseConfigChange(text: string, contentType: string | null): WafConfigChangeT {
  const value = text.trim() ? decodeBody(text, contentType) : undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ApiError(400, "send a JSON object { threshold?, mode? }");
  const problem = schemaProblem(WafConfigChange, value);
  if (problem) throw new ApiError(400, problem);
  return value as WafConfigChangeT;
}

/** A batch item's problem names the item. */
function batchRequests(inputs: CheckInputT[], now: number): HttpRequest[] {
  return inputs.map((input, i) => {
    try {
      return toHttpRequest(input, now);
    } catch (e) {
      throw e instanceof ApiError ? new ApiError(e.status, `item ${i}: ${e.message}`) : e;
    }
  });
}

/**
 * Elysia hands the body over as text whatever its content type (the first parser always succeeds, so
 * "json" is never reached: it is listed for the OpenAPI document). The route's `transform` decodes
 * and checks the text, so that a bad body gets a precise 400 rather than a generic parse error.
 */
const TEXT_BODY: ("text" | "json")[] = ["text", "json"];

export function detectionRoutes(s: ApiServices, options: DetectionRouteOptions = {}) {
  const { ctx } = s;
  // A check is as large as the server lets a body be (server.max_body_bytes), not a constant of its own.
  const limits: CheckLimits = { maxCheckBytes: options.maxCheckBytes ?? ctx.config.server.max_body_bytes, maxBatchItems: options.maxBatchItems ?? DEFAULT_CHECK_LIMITS.maxBatchItems };
  const settings = s.settings;
  const { served } = s.inline;
  const budget = checkBudget(s);

  const checkOne = async (input: CheckInputT) => (await checkInline(s, (now) => [toHttpRequest(input, now)]))[0]!;
  const checkBatch = (inputs: CheckInputT[]) => (inputs.length ? checkInline(s, (now) => batchRequests(inputs, now)) : Promise.resolve([]));

  const singleBody = {
    parse: TEXT_BODY,
    // An arrow function: Elysia reads hooks' source, and a method shorthand confuses its parser.
    transform: (c: { body: unknown; request: Request }) => {
      c.body = parseCheckBody(c.body as string, c.request.headers.get("content-type"), limits);
    },
    body: CheckInput,
  };
  const batchBody = {
    parse: TEXT_BODY,
    transform: (c: { body: unknown; request: Request }) => {
      c.body = parseBatchBody(c.body as string, c.request.headers.get("content-type"), limits);
    },
    body: t.Array(CheckInput, { description: `at most ${limits.maxBatchItems} check requests` }),
    // Every item is a check, and costs one under the rate limit (the guard charged the first on arrival).
    beforeHandle: (c: { body: unknown[]; request: Request; set: { headers: Record<string, string | number> } }) => {
      const refused = budget.charge(c.request, c.body.length);
      if (!refused) return;
      Object.assign(c.set.headers, refused.headers);
      throw refused;
    },
  };

  const stats = () => {
    s.writeBehind.flush(); // the totals include the checks not yet written behind
    return {
      service_available: true,
      total_requests: counterValue(ctx.store, "requests"),
      anomalies_detected: counterValue(ctx.store, "threats"),
      average_processing_time_ms: Math.round(served.averageMs * 1000) / 1000,
      threshold: settings.threshold,
      // The generic model is bundled and always loaded; the site model comes with training.
      model_loaded: true,
      site_model_loaded: ctx.detector.site !== null,
      checks_served: served.served,
      checks_flagged: served.flagged,
    };
  };

  const config = () => ({ threshold: settings.threshold, calibrated_threshold: ctx.detector.calibratedThreshold, model_available: true, service_enabled: true, mode: settings.mode });

  const modelInfo = () => ({
    model_version: ctx.detector.modelVersion,
    threshold: settings.threshold,
    featurizer_version: FEATURIZER_VERSION,
    classes: ctx.detector.generic.classes,
    generic: genericModelInfo(ctx.detector.generic.meta),
    site: ctx.detector.site ? siteModelInfo(ctx.detector.site.meta) : null,
  });

  const tags = ["detection"];
  return (
    new Elysia({ name: "detection" })
      .onError(answerApiError)
      .post("/api/waf/check", async ({ body }) => ok(await checkOne(body)), {
        ...singleBody,
        response: envelope(CheckAnswer),
        detail: { tags, summary: "Check one request (enveloped)", description: "JSON { method, path, query_params?, headers?, body? } or a raw HTTP request as text (text/plain or message/http). Stored and shown on the dashboard like tailed traffic." },
      })
      .post(
        "/check",
        async ({ body, set }) => {
          const answer = await checkOne(body);
          if (answer.blocked) set.status = 403;
          return answer;
        },
        {
          ...singleBody,
          response: { 200: CheckAnswer, 403: CheckAnswer },
          detail: { tags, summary: "Check one request (bare answer)", description: "As /api/waf/check, without the envelope; in block mode a flagged request answers 403." },
        },
      )
      .post("/api/waf/check/batch", async ({ body }) => ok(await checkBatch(body)), {
        ...batchBody,
        response: envelope(t.Array(CheckAnswer)),
        detail: { tags, summary: "Check a batch (enveloped)", description: `A JSON array of check requests (objects or raw HTTP strings), at most ${limits.maxBatchItems}; answers in the same order.` },
      })
      .post("/check/batch", ({ body }) => checkBatch(body), {
        ...batchBody,
        response: t.Array(CheckAnswer),
        detail: { tags, summary: "Check a batch (bare answer)", description: "As /api/waf/check/batch, without the envelope." },
      })
      .get("/api/waf/stats", () => ok(stats()), { response: envelope(WafStats), detail: { tags, summary: "Detection figures" } })
      .get("/api/waf/config", () => ok(config()), { response: envelope(WafConfig), detail: { tags, summary: "Live threshold and mode" } })
      .put(
        "/api/waf/config",
        ({ body }) => {
          // An agent's settings would be put back at its next heartbeat: they are changed on its hub.
          if (s.ctx.config.hub.url && s.ctx.config.hub.pull_settings) throw new ApiError(409, "this Moat takes its mode and threshold from its hub (hub.pull_settings): change them on the hub");
          const changed = settings.update(body);
          return ok(config(), changed ? "settings changed" : "nothing changed");
        },
        {
          parse: TEXT_BODY,
          transform: (c: { body: unknown; request: Request }) => {
            c.body = parseConfigChange(c.body as string, c.request.headers.get("content-type"));
          },
          body: WafConfigChange,
          response: { 200: envelope(WafConfig), 409: ErrorEnvelope },
          detail: { tags, summary: "Change the threshold and/or mode", description: "Stored in the settings table (it outlives restarts) and applied to the live detector at once." },
        },
      )
      .get("/api/waf/model-info", () => ok(modelInfo()), { response: envelope(ModelInfo), detail: { tags, summary: "The models: versions, thresholds, calibration" } })
  );
}
