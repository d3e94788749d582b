/**
 * The detection endpoints on a real ApiServices (temporary store, bundled generic model), mounted on a
 * bare Elysia app and called in process.
 */
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Elysia } from "elysia";
import { detectionRoutes, type DetectionRouteOptions } from "../../src/api/routes/detection.ts";
import type { ApiServices } from "../../src/api/services.ts";
import type { BusEvent } from "../../src/pipeline/bus.ts";
import { WafSettings } from "../../src/services/waf-settings.ts";
import { compileLogFormat, COMBINED_FORMAT } from "../../src/parse/log-format.ts";
import { isParseError } from "../../src/core/http-request.ts";
import { trainSiteModel } from "../../src/training/site/train.ts";
import { apiData, apiFailure, callApi, makeApiServices } from "../helpers/api.ts";
import { shopLogLines } from "../helpers/site-traffic.ts";
import { tempDir } from "../helpers/tmp.ts";

const SQLI = { method: "GET", path: "/items", query_params: { id: "1' UNION SELECT password FROM users--" } };
const BENIGN = { method: "GET", path: "/products", query_params: { id: "42", color: "red" }, headers: { "User-Agent": "Mozilla/5.0" } };
/** Benign, with something for the analyzers to weigh (an absolute URL in a redirect parameter): a score well above 0, below the threshold. */
const BORDERLINE = { method: "GET", path: "/login", query_params: { next: "https://sso.example.com/cb" }, headers: { "User-Agent": "Mozilla/5.0" } };
const RAW_XSS = "GET /search?q=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E HTTP/1.1\r\nHost: shop.test\r\nUser-Agent: Mozilla/5.0\r\n\r\n";

interface Answer {
  anomaly_score: number;
  is_anomaly: boolean;
  threshold: number;
  processing_time_ms: number;
  model_version: string;
  attack_type?: string;
  reasons: { field: string; name: string; evidence: string; detector: string }[];
  severity: string;
  blocked: boolean;
}

async function setup(options: DetectionRouteOptions = {}, env: Record<string, string> = {}) {
  const s = await makeApiServices(env);
  const app = new Elysia().use(detectionRoutes(s, options));
  const events: BusEvent[] = [];
  s.ctx.bus.subscribe((e) => events.push(e));
  // Text is sent as it is (raw requests, broken JSON); anything else as JSON.
  const contentTypeFor = (body: unknown, contentType: string | undefined): Record<string, string> => (body !== undefined && contentType ? { "content-type": contentType } : {});
  async function call(method: string, path: string, body?: unknown, contentType = "application/json") {
    const res = await callApi(app, method, path, body, contentTypeFor(body, contentType));
    return { status: res.status, body: res.body as unknown };
  }
  /** The `data` of a successful enveloped answer. */
  const data = <T>(method: string, path: string, body?: unknown) => apiData<T>(app, method, path, body);
  /** The status and message of an error answer (always the failure envelope). */
  const error = (method: string, path: string, body?: unknown, contentType?: string) => apiFailure(app, method, path, body, contentTypeFor(body, contentType));
  return { s, app, events, call, data, error };
}

/** Inline checks are written behind the answer: flush before looking at the store or the bus. */
function storedInline(s: ApiServices) {
  s.writeBehind.flush();
  return {
    traffic: s.ctx.store.sqlite!.query("select path, is_anomaly as flagged, attack_type as type, source from traffic order by id").all() as { path: string; flagged: number; type: string | null; source: string }[],
    threats: s.ctx.store.sqlite!.query("select endpoint, attack_type as type, blocked, source from threats order by id").all() as { endpoint: string; type: string; blocked: number; source: string }[],
  };
}

describe("POST /api/waf/check and /check", () => {
  test("a JSON attack is flagged with its class and reasons, in the envelope on /api/waf/check", async () => {
    const { data } = await setup();
    const answer = await data<Answer>("POST", "/api/waf/check", SQLI);
    expect(answer.is_anomaly).toBe(true);
    expect(answer.attack_type).toBe("sqli");
    expect(answer.anomaly_score).toBeGreaterThanOrEqual(answer.threshold);
    expect(answer.reasons[0]).toMatchObject({ field: "query.id", name: "sqli", detector: "generic" });
    expect(answer.reasons[0]!.evidence.toLowerCase()).toContain("union select");
    expect(answer.severity).not.toBe("none");
    expect(answer.blocked).toBe(false);
  });

  test("exact field names and types; /check answers bare", async () => {
    const { call, s } = await setup();
    const res = await call("POST", "/check", SQLI);
    expect(res.status).toBe(200);
    const answer = res.body as Record<string, unknown>;
    expect(Object.keys(answer).sort()).toEqual(["anomaly_score", "attack_type", "blocked", "is_anomaly", "model_version", "processing_time_ms", "reasons", "severity", "threshold"]);
    expect(typeof answer.anomaly_score).toBe("number");
    expect(typeof answer.is_anomaly).toBe("boolean");
    expect(answer.threshold).toBe(s.ctx.detector.threshold);
    expect(typeof answer.processing_time_ms).toBe("number");
    expect(answer.model_version).toBe(s.ctx.detector.modelVersion);
    expect(typeof answer.attack_type).toBe("string");
    expect(Array.isArray(answer.reasons)).toBe(true);
  });

  test("a benign request is not flagged: no attack_type, no reasons", async () => {
    const { call } = await setup();
    const answer = (await call("POST", "/check", BENIGN)).body as Answer;
    expect(answer.is_anomaly).toBe(false);
    expect(answer.anomaly_score).toBeLessThan(answer.threshold);
    expect("attack_type" in answer).toBe(false);
    expect(answer.reasons).toEqual([]);
    expect(answer.severity).toBe("none");
  });

  test("a raw HTTP request as text/plain, message/http or a JSON string", async () => {
    const { call } = await setup();
    for (const [body, type] of [[RAW_XSS, "text/plain"], [RAW_XSS, "message/http"], [JSON.stringify(RAW_XSS), "application/json"]] as const) {
      const res = await call("POST", "/check", body, type);
      expect({ type, status: res.status }).toEqual({ type, status: 200 });
      const answer = res.body as Answer;
      expect({ type, flagged: answer.is_anomaly, class: answer.attack_type }).toEqual({ type, flagged: true, class: "xss" });
      expect(answer.reasons[0]!.field).toBe("query.q");
    }
    const benign = (await call("POST", "/check", "GET /products?id=42 HTTP/1.1\nHost: shop.test\n\n", "text/plain")).body as Answer;
    expect(benign.is_anomaly).toBe(false);
  });

  test("checked requests are stored with source inline and published on the bus, like tailed traffic", async () => {
    const { call, s, events } = await setup();
    await call("POST", "/check", SQLI);
    await call("POST", "/api/waf/check", BENIGN);
    const stored = storedInline(s);
    expect(stored.traffic).toEqual([
      { path: "/items", flagged: 1, type: "sqli", source: "inline" },
      { path: "/products", flagged: 0, type: null, source: "inline" },
    ]);
    expect(stored.threats).toEqual([{ endpoint: "/items", type: "sqli", blocked: 0, source: "inline" }]);
    // Written behind the answers in one batch: its traffic rows, then its threats.
    expect(events.map((e) => e.type)).toEqual(["traffic", "traffic", "threat"]);
    const threat = events[2]!;
    expect(threat.type === "threat" && threat.data.attackType).toBe("sqli");
  });
});

describe("bad bodies", () => {
  test("wrong JSON, wrong types, missing fields and text that is not a request are 400s that say what is wrong", async () => {
    const { error, s } = await setup();
    for (const path of ["/check", "/api/waf/check"]) {
      expect(await error("POST", path, '{"method": "GET",', "application/json")).toEqual({ status: 400, message: "the body is not valid JSON" });
      expect(await error("POST", path, { method: 1, path: "/" })).toEqual({ status: 400, message: "method must be an HTTP method token such as GET" });
      expect(await error("POST", path, { path: "/" })).toEqual({ status: 400, message: "method is missing" });
      expect(await error("POST", path, { method: "GET" })).toEqual({ status: 400, message: "path is missing" });
      expect(await error("POST", path, { method: "GET", path: "/", headers: { a: { b: 1 } } })).toEqual({ status: 400, message: "headers.a must be a string, number or boolean, or an array of them (a repeated name)" });
      expect(await error("POST", path, [SQLI])).toEqual({ status: 400, message: "expected a check request object { method, path, ... } or a raw HTTP request as a string" });
      expect((await error("POST", path, "hello", "text/plain")).message).toStartWith("not a raw HTTP request: ");
      expect(await error("POST", path, "", "text/plain")).toEqual({ status: 400, message: "the body is empty: send a check request as JSON, or a raw HTTP request as text" });
    }
    // Nothing was judged or stored.
    expect(storedInline(s).traffic).toEqual([]);
  });

  test("a check request over the size limit is a 413 (1 MiB by default)", async () => {
    const { error } = await setup();
    const big = { method: "POST", path: "/upload", body: "a".repeat(1_048_576) };
    const tooLarge = await error("POST", "/check", big);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.message).toMatch(/^the check request is \d+ bytes; at most 1048576 are accepted$/);
    const small = await setup({ maxCheckBytes: 100 });
    expect((await small.error("POST", "/api/waf/check", `GET /${"a".repeat(100)} HTTP/1.1\n\n`, "text/plain")).status).toBe(413);
  });

  test("the check size limit is server.max_body_bytes: raised, a larger check is judged; lowered, a smaller one is refused", async () => {
    const raised = await setup({}, { MOAT_SERVER_MAX_BODY_BYTES: String(3 * 1_048_576) });
    const upload = { method: "POST", path: "/upload", body: "a".repeat(2 * 1_048_576) };
    expect((await raised.call("POST", "/check", upload)).status).toBe(200);
    const lowered = await setup({}, { MOAT_SERVER_MAX_BODY_BYTES: "4096" });
    const refused = await lowered.error("POST", "/check", { method: "POST", path: "/upload", body: "a".repeat(5000) });
    expect(refused).toEqual({ status: 413, message: expect.stringMatching(/; at most 4096 are accepted$/) });
  });
});

describe("batches", () => {
  test("array in, array out, same order, on both paths", async () => {
    const { call, data, s } = await setup();
    const batch = [BENIGN, SQLI, RAW_XSS, { method: "GET", path: "/about" }];
    const bare = await call("POST", "/check/batch", batch);
    expect(bare.status).toBe(200);
    const answers = bare.body as Answer[];
    expect(answers.map((a) => [a.is_anomaly, a.attack_type ?? null])).toEqual([[false, null], [true, "sqli"], [true, "xss"], [false, null]]);
    const enveloped = await data<Answer[]>("POST", "/api/waf/check/batch", batch);
    expect(enveloped.map((a) => a.anomaly_score)).toEqual(answers.map((a) => a.anomaly_score));
    expect(storedInline(s).traffic.map((r) => r.path)).toEqual(["/products", "/items", "/search", "/about", "/products", "/items", "/search", "/about"]);
    expect(await data<Answer[]>("POST", "/api/waf/check/batch", [])).toEqual([]);
  });

  test("more items than the limit is a 413 (1000 by default); a bad item is a 400 naming its index", async () => {
    const { error, s } = await setup();
    const tooMany = await error("POST", "/check/batch", Array.from({ length: 1001 }, () => BENIGN));
    expect(tooMany).toEqual({ status: 413, message: "a batch holds at most 1000 check requests; got 1001" });
    const limited = await setup({ maxBatchItems: 2 });
    expect(await limited.error("POST", "/api/waf/check/batch", [BENIGN, BENIGN, BENIGN])).toEqual({ status: 413, message: "a batch holds at most 2 check requests; got 3" });
    expect(await error("POST", "/check/batch", [BENIGN, { method: "GET", path: 5 }])).toEqual({ status: 400, message: "item 1: path must be a non-empty request target such as /search (a ?query in it is kept)" });
    expect((await error("POST", "/check/batch", [BENIGN, SQLI, "not a request"])).message).toStartWith("item 2: not a raw HTTP request: ");
    expect(await error("POST", "/api/waf/check/batch", BENIGN)).toEqual({ status: 400, message: "a batch must be a JSON array of check requests" });
    expect(storedInline(s).traffic).toEqual([]);
  });
});

describe("GET /api/waf/stats", () => {
  test("totals from the counters table, processing time over the checks served", async () => {
    const { data, call, s } = await setup();
    const before = await data<Record<string, unknown>>("GET", "/api/waf/stats");
    expect(before).toEqual({ service_available: true, total_requests: 0, anomalies_detected: 0, average_processing_time_ms: 0, threshold: s.ctx.detector.threshold, model_loaded: true, site_model_loaded: false, checks_served: 0, checks_flagged: 0 });
    await call("POST", "/check", SQLI);
    await call("POST", "/check/batch", [BENIGN, RAW_XSS]);
    const after = await data<Record<string, number>>("GET", "/api/waf/stats");
    expect(after).toMatchObject({ total_requests: 3, anomalies_detected: 2, checks_served: 3, checks_flagged: 2 });
    expect(typeof after.average_processing_time_ms).toBe("number");
    expect(after.average_processing_time_ms).toBeGreaterThanOrEqual(0);
  });
});

describe("GET and PUT /api/waf/config", () => {
  test("defaults: the calibrated threshold and the config file's mode", async () => {
    const { data, s } = await setup();
    const calibrated = s.ctx.detector.calibratedThreshold;
    expect(await data("GET", "/api/waf/config")).toEqual({ threshold: calibrated, calibrated_threshold: calibrated, model_available: true, service_enabled: true, mode: "detect" });
    const fromConfig = await setup({}, { MOAT_DETECT_THRESHOLD: "0.8", MOAT_DETECT_MODE: "block" });
    expect(await fromConfig.data("GET", "/api/waf/config")).toMatchObject({ threshold: 0.8, mode: "block" });
  });

  test("a change is stored, applied to the live detector, recorded as an activity and read back by a new WafSettings", async () => {
    const { data, s } = await setup();
    const changed = await data<Record<string, unknown>>("PUT", "/api/waf/config", { threshold: 0.42, mode: "block" });
    expect(changed).toMatchObject({ threshold: 0.42, mode: "block" });
    expect(s.ctx.detector.threshold).toBe(0.42);
    expect(await data("GET", "/api/waf/config")).toMatchObject({ threshold: 0.42, mode: "block" });
    const activities = s.ctx.activities.list({ limit: 10 }).filter((a) => a.type === "settings.changed");
    expect(activities.length).toBe(1);
    expect(activities[0]!.details).toContain("→ 0.4200");
    expect(activities[0]!.details).toContain("mode detect → block");

    // What a restart does: a new WafSettings on the same store, whatever the config file says.
    const restarted = new WafSettings({ ...s.ctx, config: { ...s.ctx.config, detect: { ...s.ctx.config.detect, threshold: 0.9, mode: "detect" } } });
    expect([restarted.threshold, restarted.mode]).toEqual([0.42, "block"]);

    // The same values again change nothing and record nothing.
    const res = await data<unknown>("PUT", "/api/waf/config", { threshold: 0.42 });
    expect(res).toMatchObject({ threshold: 0.42 });
    expect(s.ctx.activities.list({ limit: 10 }).filter((a) => a.type === "settings.changed").length).toBe(1);

    // 0 restores the model's calibrated threshold.
    expect(await data("PUT", "/api/waf/config", { threshold: 0 })).toMatchObject({ threshold: s.ctx.detector.calibratedThreshold });
  });

  test("a threshold outside 0..1, an unknown mode or a body that is not an object is a 400", async () => {
    const { error, data } = await setup();
    const threshold = "threshold must be a number from 0 to 1 (0: the model's calibrated threshold)";
    expect(await error("PUT", "/api/waf/config", { threshold: 1.5 })).toEqual({ status: 400, message: threshold });
    expect(await error("PUT", "/api/waf/config", { threshold: -0.1 })).toEqual({ status: 400, message: threshold });
    expect(await error("PUT", "/api/waf/config", { threshold: "0.5" })).toEqual({ status: 400, message: threshold });
    expect(await error("PUT", "/api/waf/config", { mode: "panic" })).toEqual({ status: 400, message: "mode must be detect or block" });
    expect(await error("PUT", "/api/waf/config", [0.5])).toEqual({ status: 400, message: "send a JSON object { threshold?, mode? }" });
    expect(await error("PUT", "/api/waf/config", "{", "application/json")).toEqual({ status: 400, message: "the body is not valid JSON" });
    expect(await data("GET", "/api/waf/config")).toMatchObject({ mode: "detect" });
  });

  test("a threshold change changes is_anomaly for a borderline request at once", async () => {
    const { data } = await setup();
    const first = await data<Answer>("POST", "/api/waf/check", BORDERLINE);
    expect(first.is_anomaly).toBe(false);
    // Just below this request's score: the same request is now flagged.
    const lowered = Math.floor((first.anomaly_score - 0.01) * 1000) / 1000;
    expect(lowered).toBeGreaterThan(0);
    await data("PUT", "/api/waf/config", { threshold: lowered });
    const second = await data<Answer>("POST", "/api/waf/check", BORDERLINE);
    expect(second.anomaly_score).toBe(first.anomaly_score);
    expect([second.is_anomaly, second.threshold]).toEqual([true, lowered]);
    await data("PUT", "/api/waf/config", { threshold: 0 });
    expect((await data<Answer>("POST", "/api/waf/check", BORDERLINE)).is_anomaly).toBe(false);
  });

  test("in block mode a flagged request is recorded as blocked; /check answers 403, the batch and /api paths 200", async () => {
    const { data, call, s } = await setup();
    await data("PUT", "/api/waf/config", { mode: "block" });
    const bare = await call("POST", "/check", SQLI);
    expect(bare.status).toBe(403);
    expect(bare.body).toMatchObject({ is_anomaly: true, blocked: true });
    expect(await data("POST", "/api/waf/check", SQLI)).toMatchObject({ is_anomaly: true, blocked: true });
    const benign = await call("POST", "/check", BENIGN);
    expect([benign.status, (benign.body as Answer).blocked]).toEqual([200, false]);
    const batch = await call("POST", "/check/batch", [BENIGN, SQLI]);
    expect([batch.status, (batch.body as Answer[]).map((a) => a.blocked)]).toEqual([200, [false, true]]);
    expect(storedInline(s).threats.map((t) => t.blocked)).toEqual([1, 1, 1]);
  });
});

describe("GET /api/waf/model-info", () => {
  test("versions, thresholds, featurizer and classes of the generic model; no site model yet", async () => {
    const { data, s } = await setup();
    const info = await data<Record<string, unknown>>("GET", "/api/waf/model-info");
    const meta = s.ctx.detector.generic.meta;
    expect(info).toEqual({
      model_version: s.ctx.detector.modelVersion,
      threshold: s.ctx.detector.threshold,
      featurizer_version: meta.featurizer.version,
      classes: meta.classes,
      generic: {
        version: meta.version,
        threshold: meta.threshold,
        target_fpr: meta.targetFpr,
        trained_at: meta.trainedAt,
        featurizer: { version: meta.featurizer.version, buckets: meta.featurizer.buckets, ngram_min: meta.featurizer.ngramMin, ngram_max: meta.featurizer.ngramMax },
      },
      site: null,
    });
    expect(info.classes).toContain("sqli");
  });

  test("with a site model: its version, threshold and calibration; the threshold stays the generic model's (site scores are mapped onto its scale)", async () => {
    const { data, s } = await setup();
    const parser = compileLogFormat({ name: "combined", format: COMBINED_FORMAT });
    const traffic = shopLogLines(2000, 5).map((line) => {
      const r = parser.parse(line, { source: "shop" });
      if (isParseError(r)) throw new Error(r.reason);
      return r;
    });
    const trained = await trainSiteModel(traffic, s.ctx.detector.generic, { targetFpr: 0.01, seed: 1 });
    const dir = tempDir();
    writeFileSync(join(dir, "site.onnx"), trained.bytes);
    await s.ctx.detector.replaceSite(dir);

    const info = await data<{ model_version: string; threshold: number; site: Record<string, unknown> | null }>("GET", "/api/waf/model-info");
    const m = trained.meta;
    expect(info.model_version).toBe(`${s.ctx.detector.generic.meta.version}+${m.version}`);
    expect(info.threshold).toBe(s.ctx.detector.generic.meta.threshold);
    expect(info.site).toEqual({
      version: m.version,
      threshold: m.threshold,
      target_fpr: m.targetFpr,
      generic_version: m.genericVersion,
      trained_at: m.trainedAt,
      calibration: {
        training_requests: m.calibration.trainingRequests,
        dropped_as_attacks: m.calibration.droppedAsAttacks,
        profile_requests: m.calibration.profileRequests,
        endpoints: m.calibration.endpoints,
        scorer_negatives: m.calibration.scorerNegatives,
        scorer_positives: m.calibration.scorerPositives,
        calibration_requests: m.calibration.calibrationRequests,
        calibration_fpr: m.calibration.calibrationFpr,
        synthetic_tpr: m.calibration.syntheticTpr,
      },
    });
    const generic = s.ctx.detector.generic.meta.threshold;
    expect(await data("GET", "/api/waf/config")).toMatchObject({ threshold: generic, calibrated_threshold: generic });
    expect(await data("GET", "/api/waf/stats")).toMatchObject({ site_model_loaded: true, threshold: generic });
    expect((await data<Answer>("POST", "/api/waf/check", SQLI)).model_version).toBe(info.model_version);
  });
});
