/**
 * The console API's operational endpoints on real services (createApi, a temporary store) filled by
 * real ingestion: sources, performance, settings (persisted across a restart of the services on the
 * same database, applied live to the retention job and the alert webhook), API keys, and the guard.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createApi } from "../../src/api/app.ts";
import { createKey } from "../../src/api/auth/keys.ts";
import type { ApiServices } from "../../src/api/services.ts";
import { Scheduler } from "../../src/jobs/scheduler.ts";
import { registerStandardJobs } from "../../src/jobs/standard.ts";
import { DURATION_SAMPLES, DurationSamples, RateMeter, WINDOW_SECONDS } from "../../src/services/metrics.ts";
import { formatTimeLocal } from "../../bench/lib/nginx-combined.ts";
import { apiData, apiFailure, callApi, followLogs, makeApiServices } from "../helpers/api.ts";
import { waitFor } from "../helpers/serve.ts";
import { tempDir } from "../helpers/tmp.ts";

const line = (i: number) => `198.51.100.${(i % 200) + 1} - - [${formatTimeLocal(Date.now())}] "GET /products?id=${i} HTTP/1.1" 200 512 "-" "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"`;
const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => line(from + i)).join("\n") + "\n";

interface Settings {
  retention: { traffic_rows: number; max_age_days: number; max_db_mb: number };
  webhook: { url: string; configured: boolean };
  server: { host: string; port: number; requireApiKey: string };
  mode: string;
  threshold: number;
}
interface Source {
  path: string;
  format: string;
  alive: boolean;
  lines: number;
  parseErrors: number;
  lastLineAt: string | null;
  lagMs: number | null;
  rotations: number;
  problem: string | null;
}
interface Key {
  id: number;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  key?: string;
}

const closers: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

const data = apiData;
const failure = apiFailure;

const trafficRows = (s: ApiServices) => (s.ctx.store.sqlite!.query("select count(*) as n from traffic").get() as { n: number }).n;

describe("the measurements behind /api/performance", () => {
  test("quantiles are nearest-rank over the latest measurements only; rates are per second over the last minute", () => {
    const samples = new DurationSamples({ name: "test_duration_seconds", help: "a test's" });
    expect(samples.quantiles()).toEqual({ p50: 0, p99: 0, samples: 0 });
    for (let ms = 1; ms <= 100; ms++) samples.add(ms);
    expect(samples.quantiles()).toEqual({ p50: 50, p99: 99, samples: 100 });
    for (let i = 0; i < DURATION_SAMPLES; i++) samples.add(1000);
    expect(samples.quantiles()).toEqual({ p50: 1000, p99: 1000, samples: DURATION_SAMPLES });

    let monotonic = 0; // the meter's own clock (monotonic in the service)
    const rate = new RateMeter(() => monotonic);
    monotonic = 500;
    rate.add(100);
    monotonic = 1000;
    expect(rate.perSecond()).toBe(100); // one second since start
    for (let s = 1; s < 120; s++) {
      monotonic = s * 1000;
      rate.add(10);
    }
    monotonic = 119_500;
    expect(rate.perSecond()).toBe(10);
    monotonic += WINDOW_SECONDS * 1000;
    expect(rate.perSecond()).toBe(0);
  });
});

describe("sources, performance and retention", () => {
  test("every followed log with its format, liveness, lines, parse errors, lag and rotations; performance figures; a retention change reaches the retention job", async () => {
    const s = await makeApiServices();
    const dir = tempDir("moat-console-");
    const log = join(dir, "access.log");
    const later = join(dir, "later.log");
    writeFileSync(log, `${lines(0, 1100)}not a log line\n`);
    const ingest = followLogs(s, [log, later]);
    closers.push(() => ingest.close());
    const app = createApi(s);
    await waitFor("the log ingested", () => s.sources()[0]!.lines === 1101);

    const [first, waiting] = await data<Source[]>(app, "GET", "/api/sources");
    expect(first).toMatchObject({ path: log, format: "combined", alive: true, lines: 1101, parseErrors: 1, rotations: 0, problem: null });
    expect(Date.now() - Date.parse(first!.lastLineAt!)).toBeLessThan(60_000);
    expect(typeof first!.lagMs).toBe("number");
    expect(first!.lagMs!).toBeGreaterThanOrEqual(0);
    expect(waiting).toEqual({ path: later, format: "auto", alive: false, lines: 0, parseErrors: 0, lastLineAt: null, lagMs: null, rotations: 0, problem: "the file does not exist yet" });

    // logrotate's rename + create: the rotation is counted and the new file is followed.
    renameSync(log, `${log}.1`);
    writeFileSync(log, lines(2000, 5));
    await waitFor("the rotated log followed", () => s.sources()[0]!.lines === 1106);
    expect((await data<Source[]>(app, "GET", "/api/sources"))[0]).toMatchObject({ alive: true, rotations: 1, lines: 1106 });

    // Performance: measured as the service works.
    await callApi(app, "POST", "/check", { method: "GET", path: "/products", query_params: { id: "7" } });
    await waitFor("the check's latency", () => s.metrics.timings.checkLatencyMs.quantiles().samples === 1);
    // The same route with a trailing slash (Elysia serves it) is timed too.
    expect((await callApi(app, "POST", "/check/", { method: "GET", path: "/products", query_params: { id: "8" } })).status).toBe(200);
    await waitFor("the latency of the check at /check/", () => s.metrics.timings.checkLatencyMs.quantiles().samples === 2, 5_000);
    const perf = await data<Record<string, number | Record<string, number>>>(app, "GET", "/api/performance");
    expect(Object.keys(perf).sort()).toEqual(["checkLatencyMs", "cpuPercent", "dbBytes", "heapBytes", "ingestLagMs", "linesPerSecond", "modelTimeMs", "rssBytes", "uptime"]);
    expect(perf.linesPerSecond as number).toBeGreaterThan(0);
    for (const key of ["ingestLagMs", "checkLatencyMs", "modelTimeMs"]) {
      const q = perf[key] as Record<string, number>;
      expect({ key, types: [typeof q.p50, typeof q.p99] }).toEqual({ key, types: ["number", "number"] });
      expect(q.samples).toBeGreaterThan(0);
      expect(q.p99).toBeGreaterThanOrEqual(q.p50!);
    }
    expect((perf.ingestLagMs as Record<string, number>).samples).toBe(1105);
    expect((perf.checkLatencyMs as Record<string, number>).samples).toBe(2);
    expect((perf.checkLatencyMs as Record<string, number>).p50).toBeGreaterThan(0);
    expect(perf.cpuPercent as number).toBeGreaterThanOrEqual(0);
    expect(perf.cpuPercent as number).toBeLessThanOrEqual(100);
    for (const key of ["rssBytes", "heapBytes", "dbBytes"]) expect({ key, positive: (perf[key] as number) > 0 }).toEqual({ key, positive: true });
    expect(typeof perf.uptime).toBe("number");

    // A retention change is applied by the next run of the real retention job.
    s.writeBehind.flush();
    expect(trafficRows(s)).toBe(1107); // the 1105 lines read and the 2 checks
    await data(app, "PUT", "/api/settings/retention", { traffic_rows: 1000 });
    const scheduler = new Scheduler(s.ctx);
    registerStandardJobs(scheduler, s.ctx, { metrics: s.metrics, alerts: s.alerts, integrity: s.integrity });
    await scheduler.runNow("retention");
    scheduler.stop();
    expect(trafficRows(s)).toBe(1000);
  }, 30_000);
});

describe("settings", () => {
  test("retention and webhook changes are validated, masked, recorded, applied live, and outlive a restart on the same database", async () => {
    const dir = tempDir("moat-console-");
    // The receiver below listens on loopback: allowed for 127.0.0.1 only, as an operator would for a local relay.
    const s = await makeApiServices({ MOAT_ALERTS_WEBHOOK_ALLOW_RANGES: "127.0.0.1" }, dir);
    const app = createApi(s);
    const initial = await data<Settings>(app, "GET", "/api/settings");
    expect(initial).toEqual({
      retention: { traffic_rows: 1_000_000, max_age_days: 30, max_db_mb: 2048 },
      webhook: { url: "", configured: false },
      server: { host: "127.0.0.1", port: 8080, requireApiKey: "auto" },
      mode: "detect",
      threshold: s.ctx.detector.threshold,
    });

    // Only the keys sent change, within the config schema's limits.
    const changed = await data<Settings>(app, "PUT", "/api/settings/retention", { max_age_days: 7, max_db_mb: 512 });
    expect(changed.retention).toEqual({ traffic_rows: 1_000_000, max_age_days: 7, max_db_mb: 512 });
    expect(s.ctx.config.retention.max_age_days).toBe(7);
    for (const body of [{ traffic_rows: 999 }, { max_age_days: 0 }, { max_db_mb: 15 }, { max_age_days: 1.5 }, { unknown: 1 }, {}, [], "{"]) {
      expect({ body, status: (await failure(app, "PUT", "/api/settings/retention", body)).status }).toEqual({ body, status: 400 });
    }
    expect((await failure(app, "PUT", "/api/settings/retention", { traffic_rows: 999 })).message).toContain("at least 1000");
    expect((await data<Settings>(app, "GET", "/api/settings")).retention).toEqual(changed.retention);

    // The webhook: applied at once (a real receiver gets the next alert), shown as scheme and host only.
    const received: unknown[] = [];
    const receiver = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: async (req) => (received.push(await req.json()), new Response("ok")) });
    closers.push(() => receiver.stop(true));
    const url = `http://127.0.0.1:${receiver.port}/services/T000/B000/secret-token`;
    expect(s.alerts.webhookStats).toBeNull();
    const withHook = await data<Settings>(app, "PUT", "/api/settings/webhook", { url });
    expect(withHook.webhook).toEqual({ url: `http://127.0.0.1:${receiver.port}`, configured: true });
    await callApi(app, "POST", "/check", { method: "GET", path: "/items", query_params: { id: "1' UNION SELECT password FROM users--" } });
    s.writeBehind.flush();
    expect(s.alerts.onThreats(s.threats.recent(1)).length).toBe(1);
    await s.alerts.webhookIdle();
    expect(received.length).toBe(1);
    expect(JSON.stringify(received[0])).toContain("sqli");
    for (const bad of ["ftp://example.com/x", "not a url", "/relative", "http://127.0.0.2/x", "http://169.254.169.254/latest/meta-data/", "http://0177.0.0.2:8080/", "http://user:pass@example.com/"]) {
      expect({ bad, status: (await failure(app, "PUT", "/api/settings/webhook", { url: bad })).status }).toEqual({ bad, status: 400 });
    }
    expect((await failure(app, "PUT", "/api/settings/webhook", {})).status).toBe(400);
    const off = await data<Settings>(app, "PUT", "/api/settings/webhook", { url: "" });
    expect(off.webhook).toEqual({ url: "", configured: false });
    expect(s.alerts.webhookStats).toBeNull();
    await data(app, "PUT", "/api/settings/webhook", { url: "https://hooks.example.com/services/T1/B1/other-secret" });

    const activities = s.ctx.activities.list({ limit: 20 }).filter((a) => a.type === "settings.changed").map((a) => a.title);
    expect(activities.filter((t) => t === "Alert webhook changed").length).toBe(3);
    expect(activities).toContain("Retention limits changed");
    expect(JSON.stringify(s.ctx.activities.list({ limit: 20 }))).not.toContain("secret");

    // A restart on the same database, with the environment saying otherwise: the stored settings win.
    s.ctx.store.close();
    const restarted = await makeApiServices({ MOAT_RETENTION_MAX_AGE_DAYS: "60", MOAT_ALERTS_WEBHOOK_URL: "https://env.example.com/hook" }, dir);
    closers.push(() => restarted.ctx.store.close());
    const after = await data<Settings>(createApi(restarted), "GET", "/api/settings");
    expect(after.retention).toEqual({ traffic_rows: 1_000_000, max_age_days: 7, max_db_mb: 512 });
    expect(after.webhook).toEqual({ url: "https://hooks.example.com", configured: true });
    expect(restarted.ctx.config.retention.max_age_days).toBe(7);
    expect(restarted.ctx.config.alerts.webhook_url).toBe("https://hooks.example.com/services/T1/B1/other-secret");
    expect(restarted.alerts.webhookStats).not.toBeNull();
  });
});

describe("API keys and the guard", () => {
  test("create → use → revoke → rejected; the key is shown once; errors", async () => {
    const s = await makeApiServices({ MOAT_SERVER_REQUIRE_API_KEY: "always" });
    closers.push(() => s.ctx.store.close());
    const app = createApi(s);
    const admin = { authorization: `Bearer ${createKey(s.ctx.store, "admin").key}` };

    const created = await data<Key>(app, "POST", "/api/keys", { name: " dashboard " }, admin);
    expect(created).toMatchObject({ name: "dashboard", lastUsedAt: null, revokedAt: null });
    expect(created.key).toMatch(/^moat_[A-Za-z0-9_-]{51}$/);
    expect(created.key!.startsWith(created.prefix)).toBe(true);
    expect(Number.isNaN(Date.parse(created.createdAt))).toBe(false);
    const listed = await data<Key[]>(app, "GET", "/api/keys", undefined, admin);
    expect(listed.map((k) => k.name)).toEqual(["admin", "dashboard"]);
    for (const k of listed) expect("key" in k).toBe(false);
    expect(JSON.stringify(listed)).not.toContain(created.key!.slice(13));

    const own = { "x-api-key": created.key! };
    expect((await data<Settings>(app, "GET", "/api/settings", undefined, own)).server.requireApiKey).toBe("always");
    expect((await data<Key[]>(app, "GET", "/api/keys", undefined, own)).find((k) => k.id === created.id)!.lastUsedAt).not.toBeNull();

    const revoked = await data<Key>(app, "DELETE", `/api/keys/${created.id}`, undefined, admin);
    expect(revoked.id).toBe(created.id);
    expect(Number.isNaN(Date.parse(revoked.revokedAt!))).toBe(false);
    expect((await failure(app, "GET", "/api/settings", undefined, own)).status).toBe(401);
    const again = await callApi(app, "DELETE", `/api/keys/${created.id}`, undefined, admin);
    expect(again.status).toBe(200);
    expect(again.body.message).toContain("already revoked");

    expect((await failure(app, "DELETE", "/api/keys/999", undefined, admin)).status).toBe(404);
    expect((await failure(app, "DELETE", "/api/keys/first", undefined, admin)).status).toBe(400);
    for (const body of [{ name: "" }, { name: "   " }, { name: "x".repeat(101) }, {}, { name: 3 }]) {
      expect({ body, status: (await failure(app, "POST", "/api/keys", body, admin)).status }).toEqual({ body, status: 400 });
    }
  });

  test("where credentials are required, every console endpoint answers 401 without them", async () => {
    const s = await makeApiServices({ MOAT_SERVER_REQUIRE_API_KEY: "always" });
    closers.push(() => s.ctx.store.close());
    const app = createApi(s);
    const routes: [string, string, unknown?][] = [
      ["GET", "/api/threats/1"], ["POST", "/api/threats/1/false-positive", {}], ["GET", "/api/allowlist"], ["DELETE", "/api/allowlist/1"],
      ["GET", "/api/models"], ["POST", "/api/models/train"], ["POST", "/api/models/site-x/promote"], ["POST", "/api/models/rollback"],
      ["GET", "/api/sources"], ["GET", "/api/settings"], ["PUT", "/api/settings/retention", { max_age_days: 9 }], ["PUT", "/api/settings/webhook", { url: "" }],
      ["GET", "/api/keys"], ["POST", "/api/keys", { name: "x" }], ["DELETE", "/api/keys/1"], ["GET", "/api/performance"],
      ["GET", "/api/threats?ip=1.2.3.4"], ["GET", "/api/traffic?verdict=flagged"],
    ];
    for (const [method, path, body] of routes) expect({ method, path, status: (await failure(app, method, path, body)).status }).toEqual({ method, path, status: 401 });
    expect(s.ctx.config.retention.max_age_days).toBe(30);
    expect(s.allowlist.list()).toEqual([]);
  });
});
