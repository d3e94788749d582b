/** A real ApiServices on a temporary store, as `moat serve` builds it, for in-process API tests. */
import { expect } from "bun:test";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/core/log.ts";
import { Detector } from "../../src/detect/detector.ts";
import { createRedactor } from "../../src/detect/redact.ts";
import { loadRedactionKey } from "../../src/store/redaction-key.ts";
import { openStore } from "../../src/store/db.ts";
import { Bus } from "../../src/pipeline/bus.ts";
import { Activities } from "../../src/services/activities.ts";
import { MetricsService } from "../../src/services/metrics.ts";
import { AlertService } from "../../src/services/alerts.ts";
import { ThreatQueries } from "../../src/services/threats.ts";
import { AnalyticsService } from "../../src/services/analytics.ts";
import { Scheduler } from "../../src/jobs/scheduler.ts";
import { WafSettings } from "../../src/services/waf-settings.ts";
import { startLivePipeline, type LivePipeline } from "../../src/pipeline/live.ts";
import type { HttpRequest } from "../../src/core/http-request.ts";
import type { Verdict } from "../../src/detect/verdict.ts";
import { Allowlist, verdictPath } from "../../src/services/allowlist.ts";
import { RuntimeSettings } from "../../src/services/runtime-settings.ts";
import { DatabaseIntegrity } from "../../src/services/db-integrity.ts";
import { DenyList } from "../../src/services/deny-list/service.ts";
import { openGeo } from "../../src/services/geo.ts";
import { startIngest, type Ingest } from "../../src/pipeline/sources/tail.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { MemoryGuard } from "../../src/core/memory.ts";
import type { ApiServices } from "../../src/api/services.ts";
import type { ServiceContext } from "../../src/services/context.ts";
import { tempDir } from "./tmp.ts";

/** ApiServices as a test drives them: `judge` may be replaced (every source reads it when it judges), and the live pipeline. */
export type TestServices = ApiServices & {
  judge(requests: HttpRequest[]): Promise<Verdict[]>;
  live: LivePipeline;
};

/**
 * `dir` reuses a data directory (and its database) from an earlier call: the services "restart" on it.
 * The store is the caller's to close (`s.ctx.store.close()`) before another call opens the same one.
 */
export async function makeApiServices(env: Record<string, string> = {}, dir = tempDir("moat-api-")): Promise<TestServices> {
  const config = loadConfig({ env: { MOAT_STORAGE_DATA_DIR: dir, MOAT_SECURITY_NGINX_CONF: "", ...env } }).config;
  // The data directory's file, unless the test names a database (MOAT_STORAGE_DB: a postgres:// URL).
  const store = openStore(env.MOAT_STORAGE_DB ?? join(dir, "moat.db"));
  const bus = new Bus();
  const detector = await Detector.load();
  const ctx: ServiceContext = { config, store, bus, activities: new Activities(store, bus), detector, log: createLogger({ level: "error", format: "json" }), monotonicStart: performance.now(), now: () => Date.now(), monotonic: () => performance.now() };
  const runtime = new RuntimeSettings(ctx);
  const metrics = new MetricsService(ctx);
  const alerts = new AlertService(ctx);
  runtime.onWebhookChange((url) => alerts.setWebhookUrl(url));
  const allowlist = new Allowlist(store);
  const settings = new WafSettings(ctx);
  const judge = verdictPath(detector, allowlist, metrics.timings.modelTimeMs);
  const denyList = config.ban.enabled ? new DenyList(ctx, { alerts }) : null;
  const live = startLivePipeline({ ctx, live: settings, judge: (requests) => s.judge(requests), redact: createRedactor(loadRedactionKey(dir)), metrics, alerts, denyList, memory: new MemoryGuard(0) });
  const s: TestServices = {
    ctx,
    metrics,
    alerts,
    threats: new ThreatQueries(store),
    analytics: new AnalyticsService(ctx),
    scheduler: new Scheduler(ctx),
    settings,
    writeBehind: live.writeBehind,
    inline: live.inline,
    mirror: live.mirror,
    wsClients: () => 0,
    judge,
    live,
    allowlist,
    runtime,
    integrity: new DatabaseIntegrity(ctx, alerts),
    denyList,
    geo: openGeo(config.geo),
    sources: () => [],
    acceptsAgents: false,
  };
  return s;
}

/** Follows `logs` into the services' store as `moat serve` does (tail → parse → the pipeline → store → bus); they become `s.sources()`. */
export function followLogs(s: TestServices, logs: string[]): Ingest {
  const { ctx } = s;
  const ingest = startIngest({ logs, format: { format: "auto" }, startAt: "beginning", pipeline: s.live.pipeline, join: s.live.join ?? undefined, writer: new StoreWriter(ctx.store), log: ctx.log, bus: ctx.bus, activities: ctx.activities, timings: s.metrics.timings, memory: new MemoryGuard(0) });
  s.sources = () => ingest.sources();
  return ingest;
}

export interface ApiAnswer<T = unknown> {
  status: number;
  body: { success: boolean; data: T; message?: string; timestamp: string };
}

/** Calls an app in process; a body that is not a string is sent as JSON. */
export async function callApi<T = unknown>(app: { handle(request: Request): Promise<Response> }, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer<T>> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
  }
  const res = await app.handle(new Request(`http://localhost${path}`, init));
  return { status: res.status, body: (await res.json()) as ApiAnswer<T>["body"] };
}

type Handler = Parameters<typeof callApi>[0];

/** A running server (`moat serve` at `base`) as an app for callApi, apiData and apiFailure: each request goes to it over HTTP. */
export function overHttp(base: string): Handler {
  return {
    handle: async (request) => {
      const { pathname, search } = new URL(request.url);
      return fetch(`${base}${pathname}${search}`, { method: request.method, headers: request.headers, body: request.body ? await request.text() : undefined });
    },
  };
}

/** The `data` of a successful answer: a 200 in the envelope, with a valid timestamp. */
export async function apiData<T>(app: Handler, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
  const res = await callApi<T>(app, method, path, body, headers);
  expect({ path, status: res.status, message: res.body.message }).toMatchObject({ path, status: 200 });
  expect(res.body.success).toBe(true);
  expect(Number.isNaN(Date.parse(res.body.timestamp))).toBe(false);
  return res.body.data;
}

/** The status and message of an error answer, which is always the failure envelope. */
export async function apiFailure(app: Handler, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; message: string }> {
  const res = await callApi(app, method, path, body, headers);
  expect(res.body).toMatchObject({ success: false, data: null });
  expect(typeof res.body.message).toBe("string");
  return { status: res.status, message: res.body.message! };
}
