import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { HttpRequest } from "../../src/core/http-request.ts";
import type { Verdict } from "../../src/detect/verdict.ts";
import { AnalyticsService, UnknownMetricError } from "../../src/services/analytics.ts";
import { MetricsService } from "../../src/services/metrics.ts";
import { Bus } from "../../src/pipeline/bus.ts";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../src/services/range.ts";
import { openStore, type Store } from "../../src/store/db.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { tempDir } from "../helpers/tmp.ts";

const NOW = Date.UTC(2026, 10, 24, 12, 30, 30);
const HOUR_START = Date.UTC(2026, 10, 24, 12, 0);
const AT_05 = HOUR_START + 5 * MINUTE_MS;
const AT_20 = HOUR_START + 20 * MINUTE_MS;

interface Hit {
  time: number;
  ip?: string;
  path?: string;
  status?: number | null;
  requestTime?: number | null;
  userAgent?: string;
  attack?: string;
}

function request(hit: Hit): HttpRequest {
  return {
    time: hit.time, clientIp: hit.ip ?? "203.0.113.1", method: "GET", path: hit.path ?? "/", query: "", params: [], protocol: "HTTP/1.1",
    status: hit.status === undefined ? 200 : hit.status, bytesSent: 10, referer: "", userAgent: hit.userAgent ?? "browser", host: "shop.test",
    requestTime: hit.requestTime === undefined ? null : hit.requestTime, headers: [], cookies: [], body: null, extra: {}, origin: { source: "test" },
  };
}

function verdict(attack: string | undefined): Verdict {
  return { score: attack ? 0.99 : 0.01, isAnomaly: attack !== undefined, threshold: 0.5, attackType: attack ?? null, severity: attack ? "critical" : "none", reasons: [], modelVersion: "m" };
}

/**
 * Known traffic, in block mode: at 12:05 four requests (one SQL injection, one 503), at 12:20 two
 * (one XSS, one without a status), and two hours earlier one more (outside a 1h range).
 */
const HITS: Hit[] = [
  { time: AT_05, ip: "203.0.113.1", path: "/login", attack: "sqli", requestTime: 0.3, userAgent: "sqlmap" },
  { time: AT_05 + 1_000, ip: "203.0.113.1", path: "/login", requestTime: 0.1 },
  { time: AT_05 + 2_000, ip: "203.0.113.2", path: "/", status: 503, requestTime: 0.2 },
  { time: AT_05 + 3_000, ip: "203.0.113.2", path: "/", status: 302 },
  { time: AT_20, ip: "198.51.100.4", path: "/search", attack: "xss" },
  { time: AT_20 + 1_000, ip: "203.0.113.1", path: "/", status: null },
  { time: HOUR_START - 2 * HOUR_MS, ip: "192.0.2.9", path: "/old", attack: "sqli" },
];

let store: Store;
let analytics: AnalyticsService;

beforeEach(() => {
  store = openStore(join(tempDir(), "analytics.db"));
  analytics = new AnalyticsService({ store, now: () => NOW });
  new StoreWriter(store).write({ requests: HITS.map(request), verdicts: HITS.map((h) => verdict(h.attack)), blocked: HITS.map((h) => h.attack !== undefined) });
});
afterEach(() => store.close());

describe("overview", () => {
  test("requests, blocked, allowed and flagged per minute over 1h, empty minutes as zeros", () => {
    const points = analytics.overview(HOUR_MS);
    expect(points).toHaveLength(60);
    expect(points.find((p) => p.time === AT_05)).toEqual({ time: AT_05, requests: 4, blocked: 1, allowed: 3, flagged: 1 });
    expect(points.find((p) => p.time === AT_20)).toEqual({ time: AT_20, requests: 2, blocked: 1, allowed: 1, flagged: 1 });
    expect(points.find((p) => p.time === AT_05 + MINUTE_MS)).toEqual({ time: AT_05 + MINUTE_MS, requests: 0, blocked: 0, allowed: 0, flagged: 0 });
  });

  test("per hour over 24h, the current hour read from minutes and earlier ones from hour rollups", () => {
    new MetricsService({ store, bus: new Bus(), now: () => NOW, monotonic: () => 0, monotonicStart: 0 }).rollupHours(NOW);
    const points = analytics.overview(DAY_MS);
    expect(points).toHaveLength(24);
    expect(points.at(-1)).toEqual({ time: HOUR_START, requests: 6, blocked: 2, allowed: 4, flagged: 2 });
    expect(points.find((p) => p.time === HOUR_START - 2 * HOUR_MS)).toEqual({ time: HOUR_START - 2 * HOUR_MS, requests: 1, blocked: 1, allowed: 0, flagged: 1 });
  });
});

describe("trends", () => {
  const valueAt = (metric: string, time: number) => analytics.trends(metric, HOUR_MS).find((p) => p.time === time)?.value;

  test("each known metric per minute", () => {
    expect(valueAt("requests", AT_05)).toBe(4);
    expect(valueAt("flagged", AT_05)).toBe(1);
    expect(valueAt("blocked", AT_20)).toBe(1);
    expect(valueAt("attack-rate", AT_05)).toBe(25);
    expect(valueAt("attack-rate", AT_20)).toBe(50);
    expect(valueAt("response-time", AT_05)).toBeCloseTo(200, 9);
    expect(valueAt("errors", AT_05)).toBe(1);
    expect(valueAt("requests", AT_05 + MINUTE_MS)).toBe(0);
  });

  test("an attack type follows its flagged requests, zeros when none was seen", () => {
    expect(valueAt("sqli", AT_05)).toBe(1);
    expect(valueAt("sqli", AT_20)).toBe(0);
    expect(valueAt("xss", AT_20)).toBe(1);
    expect(analytics.trends("ldapi", HOUR_MS).every((p) => p.value === 0)).toBe(true);
  });

  test("an unknown metric is a typed error naming it", () => {
    expect(() => analytics.trends("bogus", HOUR_MS)).toThrow(UnknownMetricError);
    expect(() => analytics.trends("bogus", HOUR_MS)).toThrow('"bogus"');
    expect(() => analytics.trends("constructor", HOUR_MS)).toThrow(UnknownMetricError);
  });
});

describe("summary", () => {
  test("totals from the rollups of the range", () => {
    const s = analytics.summary(HOUR_MS);
    expect(s).toMatchObject({
      since: HOUR_START - 29 * MINUTE_MS,
      requests: 6,
      flagged: 2,
      blocked: 2,
      allowed: 4,
      errors5xx: 1,
      topAttackTypes: [{ type: "sqli", count: 1 }, { type: "xss", count: 1 }],
    });
    expect(s.attackRate).toBeCloseTo(100 / 3, 9);
    expect(s.avgResponseTimeMs).toBeCloseTo(200, 9);
  });

  test("top lists and status mix from the traffic rows of the range", () => {
    const s = analytics.summary(HOUR_MS);
    expect(s.trafficWindow).toEqual({ rows: 6, oldest: AT_05, truncated: false });
    expect(s.topEndpoints).toEqual([
      { key: "/", requests: 3, flagged: 0 },
      { key: "/login", requests: 2, flagged: 1 },
      { key: "/search", requests: 1, flagged: 1 },
    ]);
    expect(s.topIps).toEqual([
      { key: "203.0.113.1", requests: 3, flagged: 1 },
      { key: "203.0.113.2", requests: 2, flagged: 0 },
      { key: "198.51.100.4", requests: 1, flagged: 1 },
    ]);
    expect(s.topUserAgents).toEqual([{ key: "browser", requests: 5, flagged: 1 }, { key: "sqlmap", requests: 1, flagged: 1 }]);
    expect(s.statusMix).toEqual({ "2xx": 3, "3xx": 1, "5xx": 1, none: 1 });
  });

  test("a longer range takes in the older traffic too", () => {
    const s = analytics.summary(DAY_MS);
    expect(s).toMatchObject({ requests: 7, flagged: 3, topAttackTypes: [{ type: "sqli", count: 2 }, { type: "xss", count: 1 }] });
    expect(s.trafficWindow).toEqual({ rows: 7, oldest: HOUR_START - 2 * HOUR_MS, truncated: false });
    expect(s.topEndpoints.map((e) => e.key)).toContain("/old");
  });

  test("an empty store gives zeros and empty lists", () => {
    const emptyStore = openStore(join(tempDir(), "empty.db"));
    const s = new AnalyticsService({ store: emptyStore, now: () => NOW }).summary(HOUR_MS);
    emptyStore.close();
    expect(s).toMatchObject({ requests: 0, flagged: 0, attackRate: 0, avgResponseTimeMs: 0, topAttackTypes: [], topEndpoints: [], statusMix: {} });
    expect(s.trafficWindow).toEqual({ rows: 0, oldest: null, truncated: false });
  });
});
