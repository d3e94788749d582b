/**
 * On a hub, every page's figures for one agent: the rollups, the live window, the charts, the
 * analytics summary (with its traffic-window top lists), threat stats and top attackers, with
 * `?agent=<name>`, `?agent=local` (the hub's own sources) or no filter (the sum). On SQLite and on
 * PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApi } from "../../src/api/app.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { rawHttpParser } from "../../src/parse/raw-http.ts";
import type { HttpRequest } from "../../src/core/http-request.ts";
import type { Verdict } from "../../src/detect/verdict.ts";
import { apiData, makeApiServices, type TestServices } from "../helpers/api.ts";
import { postgres, PG_SKIP } from "../helpers/postgres.ts";

const benign: Verdict = { score: 0.02, isAnomaly: false, threshold: 0.9, attackType: null, severity: "none", reasons: [], modelVersion: "m" };
const sqli: Verdict = { score: 0.99, isAnomaly: true, threshold: 0.9, attackType: "sqli", severity: "critical", reasons: [], modelVersion: "m" };

function request(path: string, clientIp: string, status = 200): HttpRequest {
  const r = rawHttpParser.parse(`GET ${path} HTTP/1.1\nHost: shop.example\n\n`, { source: "t", line: 1 }) as HttpRequest;
  return { ...r, time: Date.now(), clientIp, status };
}

function suite(name: string, run: boolean, env: () => Promise<Record<string, string>>) {
  describe.skipIf(!run)(name, () => {
    let s: TestServices;
    let app: ReturnType<typeof createApi>;
    beforeAll(async () => {
      s = await makeApiServices(await env());
      app = createApi(s);
      const writer = new StoreWriter(s.ctx.store);
      const store = (from: string | null, requests: HttpRequest[], verdicts: Verdict[]) => {
        const stored = writer.write({ requests, verdicts, now: Date.now(), ...(from ? { from: { agent: from, instance: "run-aaaaaaaa", seq: 1, receivedAt: Date.now() } } : {}) });
        s.metrics.observe(stored.traffic);
      };
      // web-1: 3 requests, one SQLi; web-2: 5 benign, one a 502; the hub's own: 1.
      store("web-1", [request("/a", "198.51.100.1"), request("/b", "198.51.100.1"), request("/item?id=1'--", "203.0.113.9")], [benign, benign, sqli]);
      store("web-2", ["/c", "/c", "/d", "/e", "/f"].map((p, i) => request(p, "198.51.100.2", i === 0 ? 502 : 200)), Array(5).fill(benign));
      store(null, [request("/local", "192.0.2.1")], [benign]);
    });
    afterAll(() => s?.ctx.store.close());
    const get = <T>(path: string) => apiData<T>(app, "GET", path);

    test("the minute rollups are kept per agent, and the charts sum them or show one", async () => {
      expect(s.ctx.store.sql.query("select agent, requests, flagged, errors_5xx from metric_rollups order by agent").all()).toEqual([
        { agent: "", requests: 1, flagged: 0, errors_5xx: 0 },
        { agent: "web-1", requests: 3, flagged: 1, errors_5xx: 0 },
        { agent: "web-2", requests: 5, flagged: 0, errors_5xx: 1 },
      ]);
      const total = (points: { requests: number }[]) => points.reduce((n, p) => n + p.requests, 0);
      expect(total(await get("/api/charts/requests?range=1h"))).toBe(9);
      expect(total(await get("/api/charts/requests?range=1h&agent=web-2"))).toBe(5);
      expect(total(await get("/api/charts/requests?range=1h&agent=local"))).toBe(1);
      expect(total(await get("/api/charts/requests?range=1h&agent=nobody"))).toBe(0);
      const threats = await get<{ sql: number }[]>("/api/charts/threats?range=1h&agent=web-2");
      expect(threats.reduce((n, p) => n + p.sql, 0)).toBe(0);
    });

    test("the analytics summary of one agent: its totals and its traffic window's top lists", async () => {
      const all = await get<{ requests: number; flagged: number; errors5xx: number; topIps: { key: string }[] }>("/api/analytics/summary?range=1h");
      expect([all.requests, all.flagged, all.errors5xx]).toEqual([9, 1, 1]);
      const one = await get<{ requests: number; flagged: number; topIps: { key: string; requests: number }[]; topEndpoints: { key: string }[] }>("/api/analytics/summary?range=1h&agent=web-1");
      expect([one.requests, one.flagged]).toEqual([3, 1]);
      expect(one.topIps.map((e) => e.key).sort()).toEqual(["198.51.100.1", "203.0.113.9"]);
      const local = await get<{ requests: number; topEndpoints: { key: string }[] }>("/api/analytics/summary?range=1h&agent=local");
      expect([local.requests, local.topEndpoints.map((e) => e.key)]).toEqual([1, ["/local"]]);
      const trend = await get<{ value: number }[]>("/api/analytics/trends/errors?range=1h&agent=web-2");
      expect(trend.reduce((n, p) => n + p.value, 0)).toBe(1);
    });

    test("the live window, threat stats and top attackers of one agent", async () => {
      expect((await get<{ requests: number }>("/api/metrics/realtime")).requests).toBe(9);
      expect((await get<{ requests: number }>("/api/metrics/realtime?agent=web-1")).requests).toBe(3);
      expect((await get<{ requests: number }>("/api/metrics/realtime?agent=nobody")).requests).toBe(0);
      expect(await get("/api/threats/stats?range=1h&agent=web-1")).toEqual({ sqli: 1 });
      expect(await get("/api/threats/stats?range=1h&agent=web-2")).toEqual({});
      expect((await get<{ ip: string }[]>("/api/attackers?range=1h&agent=web-1")).map((a) => a.ip)).toEqual(["203.0.113.9"]);
      expect(await get("/api/attackers?range=1h&agent=local")).toEqual([]);
    });

    test("hour rollups are made per agent", () => {
      const now = Date.now() + 2 * 3_600_000; // the current hour is complete then
      expect(s.metrics.rollupHours(now)).toBe(3);
      expect(s.ctx.store.sql.query("select agent, requests from metric_rollups where resolution = 'hour' order by agent").all()).toEqual([
        { agent: "", requests: 1 },
        { agent: "web-1", requests: 3 },
        { agent: "web-2", requests: 5 },
      ]);
      expect(s.metrics.rollupHours(now)).toBe(0);
    });
  });
}

suite("an agent filter on every page's figures", true, async () => ({}));
suite("an agent filter on every page's figures, on PostgreSQL", !PG_SKIP, async () => ({ MOAT_STORAGE_DB: await (await postgres()).database() }));
