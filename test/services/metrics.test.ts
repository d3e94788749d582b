import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { HttpRequest } from "../../src/core/http-request.ts";
import type { Verdict } from "../../src/detect/verdict.ts";
import { Bus, type BusEvent } from "../../src/pipeline/bus.ts";
import { type TrafficRow } from "../../src/store/rows.ts";
import { MetricsService } from "../../src/services/metrics.ts";
import { bucketFor, bucketStarts, DAY_MS, HOUR_MS, InvalidRangeError, MAX_POINTS, MINUTE_MS, parseRange } from "../../src/services/range.ts";
import { openStore, type Store } from "../../src/store/db.ts";
import { metricRollups } from "../../src/store/schema.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { tempDir } from "../helpers/tmp.ts";

/** 2026-11-24 12:30:30 UTC: half past an hour, mid-minute. */
const NOW = Date.UTC(2026, 10, 24, 12, 30, 30);
const HOUR_START = Date.UTC(2026, 10, 24, 12, 0);

interface Hit {
  time: number;
  attack?: string;
  status?: number;
  requestTime?: number | null;
}

function request(hit: Hit): HttpRequest {
  return {
    time: hit.time, clientIp: "203.0.113.7", method: "GET", path: "/", query: "", params: [], protocol: "HTTP/1.1",
    status: hit.status ?? 200, bytesSent: 10, referer: "", userAgent: "test", host: "shop.test",
    requestTime: hit.requestTime === undefined ? 0.01 : hit.requestTime, headers: [], cookies: [], body: null, extra: {}, origin: { source: "test" },
  };
}

function verdict(attack: string | undefined): Verdict {
  return { score: attack ? 0.99 : 0.01, isAnomaly: attack !== undefined, threshold: 0.5, attackType: attack ?? null, severity: attack ? "critical" : "none", reasons: [], modelVersion: "m" };
}

function write(store: Store, hits: Hit[], blocking = false): void {
  new StoreWriter(store).write({ requests: hits.map(request), verdicts: hits.map((h) => verdict(h.attack)), blocked: hits.map((h) => blocking && h.attack !== undefined) });
}

function trafficRow(isAnomaly: boolean, requestTime: number | null = null): TrafficRow {
  return {
    id: 1, time: 0, clientIp: "203.0.113.7", method: "GET", path: "/", query: "", status: 200, bytesSent: 10, requestTime,
    userAgent: "test", score: isAnomaly ? 0.99 : 0.01, isAnomaly, attackType: isAnomaly ? "sqli" : null, blocked: false, source: "test", requestId: null, partial: null, host: null, agent: null,
  };
}

function setup(options: { historyMinutes?: number } = {}) {
  const store = openStore(join(tempDir(), "metrics.db"));
  // `now` is the wall clock, `monotonic` the clock durations run on; they move together unless a test steps `now`.
  const clock = { now: NOW, monotonic: 90_500 };
  const bus = new Bus();
  const ctx = { store, bus, now: () => clock.now, monotonic: () => clock.monotonic, monotonicStart: 0 };
  const metrics = new MetricsService(ctx, { historyMinutes: options.historyMinutes });
  return { store, clock, bus, metrics };
}

describe("range", () => {
  test("parses the dashboard's ranges and any <N>h or <N>d", () => {
    expect(parseRange("1h")).toEqual({ ms: HOUR_MS, label: "1h" });
    expect(parseRange("6h")).toEqual({ ms: 6 * HOUR_MS, label: "6h" });
    expect(parseRange("24h")).toEqual({ ms: DAY_MS, label: "24h" });
    expect(parseRange("7d")).toEqual({ ms: 7 * DAY_MS, label: "7d" });
    expect(parseRange("30d")).toEqual({ ms: 30 * DAY_MS, label: "30d" });
    expect(parseRange("48h")).toEqual({ ms: 48 * HOUR_MS, label: "48h" });
    expect(parseRange(" 365d ")).toEqual({ ms: 365 * DAY_MS, label: "365d" });
  });

  test("defaults to 24h when absent or empty", () => {
    expect(parseRange(undefined)).toEqual({ ms: DAY_MS, label: "24h" });
    expect(parseRange("")).toEqual({ ms: DAY_MS, label: "24h" });
  });

  test("refuses anything else with a typed error that names the value", () => {
    for (const bad of ["0h", "-1h", "1.5h", "1w", "h", "24", "abc", "01h", "24H", "366d", "8761h"]) {
      expect(() => parseRange(bad)).toThrow(InvalidRangeError);
      expect(() => parseRange(bad)).toThrow(`"${bad}"`);
    }
  });

  test("minute buckets up to 6h, hour buckets beyond, never more than MAX_POINTS", () => {
    expect(bucketFor(HOUR_MS)).toEqual({ resolution: "minute", bucketMs: MINUTE_MS });
    expect(bucketFor(6 * HOUR_MS)).toEqual({ resolution: "minute", bucketMs: 2 * MINUTE_MS });
    expect(bucketFor(DAY_MS)).toEqual({ resolution: "hour", bucketMs: HOUR_MS });
    expect(bucketFor(7 * DAY_MS)).toEqual({ resolution: "hour", bucketMs: HOUR_MS });
    expect(bucketFor(30 * DAY_MS)).toEqual({ resolution: "hour", bucketMs: 4 * HOUR_MS });
    for (const range of ["1h", "5h", "6h", "7h", "24h", "7d", "9d", "30d", "365d"]) {
      const { ms } = parseRange(range);
      const starts = bucketStarts(ms, bucketFor(ms).bucketMs, NOW);
      expect(starts.length).toBeLessThanOrEqual(MAX_POINTS);
      expect(starts.length).toBeGreaterThan(0);
    }
  });

  test("bucket starts are aligned, continuous and end with the bucket now falls in", () => {
    expect(bucketStarts(3 * HOUR_MS, HOUR_MS, NOW)).toEqual([HOUR_START - 2 * HOUR_MS, HOUR_START - HOUR_MS, HOUR_START]);
  });
});

describe("live window", () => {
  test("counts requests, flagged, response time and threats per minute over the last 60 s", () => {
    const { metrics, clock } = setup();
    metrics.observe([trafficRow(false, 0.1), trafficRow(true, 0.3), trafficRow(false, null)]);
    clock.monotonic += 30_000;
    metrics.observe([trafficRow(true, 0.2)]);
    const s = metrics.snapshot();
    expect(s).toMatchObject({ requests: 4, flagged: 2, blocked: 0, attackRate: 50, threatsPerMinute: 2 });
    expect(s.responseTimeMs).toBeCloseTo(200, 9);
  });

  test("a second leaves the window 60 s after it, and everything has gone after a quiet minute", () => {
    const { metrics, clock } = setup();
    clock.monotonic = 91_000; // start of a second
    metrics.observe([trafficRow(false), trafficRow(false)]);
    clock.monotonic += 30_000;
    metrics.observe([trafficRow(true)]);
    clock.monotonic += 29_999;
    expect(metrics.snapshot().requests).toBe(3);
    clock.monotonic += 1;
    expect(metrics.snapshot()).toMatchObject({ requests: 1, flagged: 1 });
    clock.monotonic += 30_000;
    expect(metrics.snapshot()).toMatchObject({ requests: 0, flagged: 0, attackRate: 0, responseTimeMs: 0, threatsPerMinute: 0 });
  });

  test("a slot reused a minute later starts from zero", () => {
    const { metrics, clock } = setup();
    metrics.observe([trafficRow(false), trafficRow(false)]);
    clock.monotonic += 60_000; // same ring slot, next minute
    metrics.observe([trafficRow(false)]);
    expect(metrics.snapshot().requests).toBe(1);
  });

  test("a wall clock set back or forward an hour neither empties the window nor makes uptime negative", () => {
    const { metrics, clock } = setup();
    metrics.observe([trafficRow(false), trafficRow(true)]);
    clock.now -= HOUR_MS;
    clock.monotonic += 1_000;
    expect(metrics.snapshot()).toMatchObject({ requests: 2, flagged: 1, uptimeSeconds: 91, time: NOW - HOUR_MS });
    clock.now += 2 * HOUR_MS;
    expect(metrics.snapshot()).toMatchObject({ requests: 2, flagged: 1, uptimeSeconds: 91, time: NOW + HOUR_MS });
    expect(metrics.uptimeSeconds()).toBe(91);
  });

  test("blocked counts the rows the pipeline refused, not every flagged one", () => {
    const { metrics } = setup();
    metrics.observe([{ ...trafficRow(true), blocked: true }, trafficRow(true), trafficRow(false)]);
    expect(metrics.snapshot()).toMatchObject({ requests: 3, flagged: 2, blocked: 1 });
  });
});

describe("snapshot", () => {
  test("uptime from the start on the monotonic clock, CPU and memory as percentages of the machine", () => {
    const { metrics } = setup();
    const burnUntil = performance.now() + 300; // enough CPU time for a real CPU sample
    while (performance.now() < burnUntil) Math.sqrt(Math.random());
    const s = metrics.snapshot();
    expect(s.time).toBe(NOW);
    expect(s.uptimeSeconds).toBe(90);
    expect(s.cpuPercent).toBeGreaterThan(0);
    expect(s.cpuPercent).toBeLessThanOrEqual(100);
    expect(s.memoryPercent).toBeGreaterThan(0);
    expect(s.memoryPercent).toBeLessThanOrEqual(100);
    expect(s.rssBytes).toBeGreaterThan(1_000_000);
  });

  test("publish sends the snapshot on the bus", () => {
    const { metrics, bus } = setup();
    const events: BusEvent[] = [];
    bus.subscribe((e) => events.push(e));
    metrics.observe([trafficRow(true)]);
    const published = metrics.publish();
    expect(events).toEqual([{ type: "metrics", data: published }]);
    expect(published.flagged).toBe(1);
  });
});

describe("historical", () => {
  test("one point per minute over 1h, empty minutes as zeros", () => {
    const { store, metrics } = setup();
    write(store, [
      { time: HOUR_START + 5 * MINUTE_MS + 1_000, requestTime: 0.1 },
      { time: HOUR_START + 5 * MINUTE_MS + 2_000, attack: "sqli", requestTime: 0.3, status: 503 },
      { time: HOUR_START + 20 * MINUTE_MS, attack: "xss" },
      { time: HOUR_START - 2 * HOUR_MS }, // outside the range
    ], true);
    const points = metrics.historical(HOUR_MS);
    expect(points).toHaveLength(60);
    expect(points.at(-1)?.time).toBe(HOUR_START + 30 * MINUTE_MS);
    points.forEach((p, i) => expect(p.time).toBe(HOUR_START - 29 * MINUTE_MS + i * MINUTE_MS));
    const at = (minute: number) => points.find((p) => p.time === HOUR_START + minute * MINUTE_MS);
    expect(at(5)).toMatchObject({ requests: 2, flagged: 1, blocked: 1, errors5xx: 1, attackRate: 50, threatsPerMinute: 1 });
    expect(at(5)?.responseTimeMs).toBeCloseTo(200, 9);
    expect(at(20)).toMatchObject({ requests: 1, flagged: 1, blocked: 1 });
    expect(at(6)).toEqual({ time: HOUR_START + 6 * MINUTE_MS, requests: 0, flagged: 0, blocked: 0, errors5xx: 0, attackRate: 0, responseTimeMs: 0, threatsPerMinute: 0 });
    expect(points.reduce((n, p) => n + p.requests, 0)).toBe(3);
  });

  test("6h merges two minutes per point", () => {
    const { store, metrics } = setup();
    write(store, [{ time: HOUR_START + 4 * MINUTE_MS }, { time: HOUR_START + 5 * MINUTE_MS, attack: "sqli" }]);
    const points = metrics.historical(6 * HOUR_MS);
    expect(points).toHaveLength(180);
    expect(points.find((p) => p.time === HOUR_START + 4 * MINUTE_MS)).toMatchObject({ requests: 2, flagged: 1, threatsPerMinute: 0.5 });
  });

  test("hour points are the same whether the hours were rolled up or still read from minutes", () => {
    const { store, metrics } = setup();
    write(store, [
      { time: HOUR_START - 3 * HOUR_MS + 10 * MINUTE_MS, attack: "sqli" },
      { time: HOUR_START - 3 * HOUR_MS + 50 * MINUTE_MS },
      { time: HOUR_START + MINUTE_MS },
    ]);
    const before = metrics.historical(DAY_MS);
    expect(before).toHaveLength(24);
    expect(before.find((p) => p.time === HOUR_START - 3 * HOUR_MS)).toMatchObject({ requests: 2, flagged: 1 });
    expect(before.at(-1)).toMatchObject({ time: HOUR_START, requests: 1 });
    expect(metrics.rollupHours(NOW)).toBe(1);
    expect(metrics.historical(DAY_MS)).toEqual(before);
  });
});

describe("rollupHours", () => {
  const hourRow = (store: Store, hour: number) => store.sqlite!.query("select * from metric_rollups where resolution = 'hour' and bucket = ?").get(hour);

  test("makes each complete hour from its minutes, merging by_type, and a second run changes nothing", () => {
    const { store, metrics } = setup();
    const h = HOUR_START - HOUR_MS;
    write(store, [
      { time: h + MINUTE_MS, attack: "sqli", requestTime: 0.2 },
      { time: h + 2 * MINUTE_MS, attack: "xss", status: 500, requestTime: null },
      { time: h + 30 * MINUTE_MS, attack: "sqli", requestTime: 0.4 },
      { time: h + 59 * MINUTE_MS },
      { time: HOUR_START + MINUTE_MS, attack: "cmdi" }, // the current hour is not complete
    ], true);
    expect(metrics.rollupHours(NOW)).toBe(1);
    const expected = { resolution: "hour", bucket: h, agent: "", requests: 4, flagged: 3, blocked: 3, errors_5xx: 1, response_time_sum: 200 + 400 + 10, response_time_count: 3, by_type: '{"sqli":2,"xss":1}' };
    expect(hourRow(store, h)).toEqual(expected);
    expect(hourRow(store, HOUR_START)).toBeNull();
    expect(metrics.rollupHours(NOW)).toBe(0);
    expect(hourRow(store, h)).toEqual(expected);
  });

  test("a minute written late reaches its hour on the next run", () => {
    const { store, metrics } = setup();
    const h = HOUR_START - 2 * HOUR_MS;
    write(store, [{ time: h + MINUTE_MS, attack: "sqli" }]);
    metrics.rollupHours(NOW);
    write(store, [{ time: h + 40 * MINUTE_MS, attack: "xss" }]);
    expect(metrics.rollupHours(NOW)).toBe(1);
    expect(hourRow(store, h)).toMatchObject({ requests: 2, flagged: 2, by_type: '{"sqli":1,"xss":1}' });
  });

  test("past the lookback, hours never rolled up are caught up and rolled-up ones are left alone", () => {
    const { store, metrics } = setup();
    const old = HOUR_START - 5 * DAY_MS;
    store.db.insert(metricRollups).values([
      { resolution: "minute", bucket: old, requests: 3, flagged: 1, byType: '{"xss":1}' },
      { resolution: "minute", bucket: old + MINUTE_MS, requests: 2, flagged: 1, byType: '{"xss":1}' },
      { resolution: "minute", bucket: old - DAY_MS, requests: 9 },
      { resolution: "hour", bucket: old - DAY_MS, requests: 7 }, // kept: its minutes may have been pruned in part
    ]).run();
    expect(metrics.rollupHours(NOW)).toBe(1);
    expect(hourRow(store, old)).toMatchObject({ requests: 5, flagged: 2, by_type: '{"xss":2}' });
    expect(hourRow(store, old - DAY_MS)).toMatchObject({ requests: 7 });
  });
});

describe("performance", () => {
  test("latency from the rollups, CPU and memory from the snapshots of each bucket", () => {
    const { store, metrics, clock } = setup();
    write(store, [{ time: HOUR_START + 10 * MINUTE_MS, requestTime: 0.05 }]);
    metrics.snapshot();
    clock.now += 5_000;
    metrics.snapshot();
    const points = metrics.performance(HOUR_MS);
    expect(points).toHaveLength(60);
    const current = points.at(-1)!;
    expect(current.cpuPercent).not.toBeNull();
    expect(current.memoryPercent).toBeGreaterThan(0);
    expect(points.find((p) => p.time === HOUR_START + 10 * MINUTE_MS)).toEqual({ time: HOUR_START + 10 * MINUTE_MS, latencyMs: 50, cpuPercent: null, memoryPercent: null });
  });

  test("the CPU and memory history keeps only its last minutes", () => {
    const { metrics, clock } = setup({ historyMinutes: 3 });
    for (let i = 0; i < 5; i++) {
      metrics.snapshot();
      clock.now += MINUTE_MS;
    }
    clock.now -= MINUTE_MS;
    const sampled = metrics.performance(HOUR_MS).filter((p) => p.memoryPercent !== null).map((p) => p.time);
    const minute = Math.floor(clock.now / MINUTE_MS) * MINUTE_MS;
    expect(sampled).toEqual([minute - 2 * MINUTE_MS, minute - MINUTE_MS, minute]);
  });
});
