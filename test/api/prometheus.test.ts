/**
 * GET /metrics on real services: valid Prometheus text, the stored-traffic counters after known
 * traffic, the build, the process, and the ingest-lag histogram left alone by a replayed log.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { Registry } from "prom-client";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createApi } from "../../src/api/app.ts";
import { Bus } from "../../src/pipeline/bus.ts";
import { LiveTimings } from "../../src/services/metrics.ts";
import { StoredCounters } from "../../src/services/stored-counters.ts";
import type { ThreatRow, TrafficRow } from "../../src/store/rows.ts";
import { COMMIT, VERSION } from "../../src/version.ts";
import { formatTimeLocal } from "../../bench/lib/nginx-combined.ts";
import { apiData, callApi, followLogs, makeApiServices } from "../helpers/api.ts";
import { waitFor } from "../helpers/serve.ts";
import { tempDir } from "../helpers/tmp.ts";
import { parsePrometheus, valueOf, type Family } from "./prometheus-text.ts";
import type { CheckAnswerT } from "../../src/api/inline-check.ts";
import { countDropped, enqueue } from "../../src/store/outbox.ts";
import { recordAgentReport } from "../../src/services/agents.ts";

const closers: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

async function scrape(app: { handle(r: Request): Promise<Response> }): Promise<Map<string, Family>> {
  const res = await app.handle(new Request("http://localhost/metrics"));
  expect(res.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
  return parsePrometheus(await res.text());
}

const XSS = { method: "GET", path: "/search", query_params: { q: "<script>alert(document.cookie)</script>" } };
const CLEAN = { method: "GET", path: "/products", query_params: { id: "7" } };

describe("/metrics", () => {
  test("valid text: requests by verdict and threats by type and severity as stored, build info, process figures", async () => {
    const s = await makeApiServices();
    const app = createApi(s);
    const check = async (body: object) => (await callApi(app, "POST", "/check", body)).body as unknown as CheckAnswerT;
    expect((await check(CLEAN)).blocked).toBe(false);
    const flagged = await check(XSS);
    await apiData(app, "PUT", "/api/waf/config", { mode: "block" });
    expect((await check(XSS)).blocked).toBe(true);
    s.writeBehind.flush();

    const m = await scrape(app);
    expect(m.get("moat_requests_total")?.type).toBe("counter");
    expect(["clean", "flagged", "blocked"].map((verdict) => valueOf(m, "moat_requests_total", { verdict }))).toEqual([1, 1, 1]);
    expect(m.get("moat_threats_total")?.samples).toEqual([{ name: "moat_threats_total", labels: { type: flagged.attack_type!, severity: flagged.severity }, value: 2 }]);
    expect(valueOf(m, "moat_threats_stored", { type: flagged.attack_type! })).toBe(2);

    expect(m.get("moat_build_info")?.samples).toEqual([{ name: "moat_build_info", labels: { version: VERSION, commit: COMMIT, generic_model: s.ctx.detector.generic.meta.version, bun: Bun.version }, value: 1 }]);
    expect(valueOf(m, "process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(valueOf(m, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(Math.abs(valueOf(m, "process_start_time_seconds")! - Date.now() / 1000)).toBeLessThan(3600);
    expect([...m.keys()].filter((name) => name.startsWith("nodejs_") || name === "process_heap_bytes")).toEqual([]);

    // The figures that were there before prom-client keep their names and types.
    const kept: Record<string, Family["type"]> = { moat_rejected_lines_total: "counter", moat_threats_stored: "gauge", moat_log_source_up: "gauge", moat_db_bytes: "gauge", moat_inline_write_failures_total: "counter", moat_mirror_copies_total: "counter", moat_mirror_queued: "gauge", moat_bus_errors_total: "counter", moat_ws_clients: "gauge", moat_window_requests: "gauge", moat_process_resident_bytes: "gauge", moat_check_duration_seconds: "histogram", moat_ingest_lag_seconds: "histogram", moat_model_duration_seconds: "histogram" };
    expect(Object.fromEntries(Object.keys(kept).map((name) => [name, m.get(name)?.type]))).toEqual(kept);
    expect(valueOf(m, "moat_window_requests")).toBe(3);
    expect(valueOf(m, "moat_model_duration_seconds_count")).toBe(3);
  });

  test("label values are Moat's own: an unknown attack type or severity counts as other", async () => {
    const bus = new Bus();
    const counters = new StoredCounters(bus);
    bus.publish({ type: "threat", data: { attackType: 'x"}\nevil', severity: "catastrophic" } as unknown as ThreatRow });
    bus.publish({ type: "threat", data: { attackType: "sqli", severity: "critical" } as ThreatRow });
    bus.publish({ type: "traffic", data: { isAnomaly: false, blocked: true } as TrafficRow });
    expect(bus.errors).toBe(0);
    const registry = new Registry();
    registry.registerMetric(counters.threats);
    registry.registerMetric(counters.requests);
    const m = parsePrometheus(await registry.metrics());
    expect(m.get("moat_threats_total")?.samples.map((x) => x.labels)).toEqual([{ type: "other", severity: "other" }, { type: "sqli", severity: "critical" }]);
    expect(valueOf(m, "moat_requests_total", { verdict: "blocked" })).toBe(1);
  });

  test("the reader refuses what Prometheus would", () => {
    const ok = "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"a\\\"b\"} 1\n";
    expect(valueOf(parsePrometheus(ok), "a_total", { x: 'a"b' })).toBe(1);
    const histogram = (b1: number, count: number) => `# TYPE h histogram\nh_bucket{le="1"} ${b1}\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count ${count}\n`;
    expect(() => parsePrometheus(histogram(1, 2))).not.toThrow();
    for (const bad of ["a_total 1\n", "# TYPE a counter\na{x=\"1} 1\n", "# TYPE a gauge\na Nan\n", "# TYPE a gauge\na 1\na 2\n", "# TYPE a gauge\na 1", histogram(3, 2), histogram(1, 3)]) {
      expect(() => parsePrometheus(bad)).toThrow();
    }
  });
});

describe("the ingest-lag histogram and a replayed log", () => {
  test("lines the log dates before the start are not measured (one second of grace for whole-second times)", () => {
    const start = Date.UTC(2026, 11, 1, 12, 0, 0, 500);
    const timings = new LiveTimings(() => 0, 0, start);
    timings.ingestLag(start + 60_000, start - 86_400_000); // yesterday's line, read a minute after the start
    timings.ingestLag(start + 60_000, start - 1_500); // before the start's second
    timings.ingestLag(start + 60_000, start - 500); // the start's own second, as $time_local writes it
    timings.ingestLag(start + 60_000, start + 30_000); // written after the start, read 30 s late: Moat's delay
    expect(timings.ingestLagMs.quantiles()).toMatchObject({ samples: 2, p50: 30_000, p99: 60_500 });
  });

  test("a log replayed from its start: every line is counted, only those written since are measured", async () => {
    const s = await makeApiServices();
    const app = createApi(s);
    const dir = tempDir("moat-replay-");
    const log = join(dir, "access.log");
    const line = (i: number, time: number) => `198.51.100.${(i % 200) + 1} - - [${formatTimeLocal(time)}] "GET /products?id=${i} HTTP/1.1" 200 512 "-" "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"\n`;
    const dayAgo = Date.now() - 86_400_000;
    writeFileSync(log, Array.from({ length: 300 }, (_, i) => line(i, dayAgo + i * 1000)).join(""));
    const ingest = followLogs(s, [log]);
    closers.push(() => ingest.close());
    await waitFor("the old lines", () => s.sources()[0]?.lines === 300);
    writeFileSync(log, Array.from({ length: 5 }, (_, i) => line(300 + i, Date.now())).join(""), { flag: "a" });
    await waitFor("the new lines", () => s.sources()[0]?.lines === 305);

    const m = await scrape(app);
    expect(valueOf(m, "moat_requests_total", { verdict: "clean" })! + valueOf(m, "moat_requests_total", { verdict: "flagged" })!).toBe(305);
    expect(valueOf(m, "moat_ingest_lag_seconds_count")).toBe(5);
    // Each measured line waited for a poll and a commit, not a day.
    expect(valueOf(m, "moat_ingest_lag_seconds_sum")! / 5).toBeLessThan(60);
  });

  test("an agent's outbox (waiting, never sent) and a hub's agents (reporting or silent)", async () => {
    const s = await makeApiServices();
    closers.push(() => s.ctx.store.close());
    const app = createApi(s);
    enqueue(s.ctx.store, "run-aaaaaaaa", [{ requests: 4, payload: "{}" }], 4, Date.now());
    countDropped(s.ctx.store, 9);
    const report = { host: "web", version: "0", sources: { logs: [], mirror: false }, outbox: { batches: 0, requests: 0, dropped: 0, lagSeconds: 0 } };
    recordAgentReport(s.ctx.store, s.ctx.activities, "web-1", report, Date.now());
    recordAgentReport(s.ctx.store, s.ctx.activities, "web-2", report, Date.now() - 3_600_000);
    const m = await scrape(app);
    expect([valueOf(m, "moat_outbox_requests"), valueOf(m, "moat_outbox_dropped_total")]).toEqual([4, 9]);
    expect([valueOf(m, "moat_agents", { reporting: "true" }), valueOf(m, "moat_agents", { reporting: "false" })]).toEqual([1, 1]);
  });
});
