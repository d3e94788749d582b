/** A real ApiServices on a temporary store, as `moat serve` builds it, for in-process API tests. */
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/core/log.ts";
import { Detector } from "../../src/detect/detector.ts";
import { openStore } from "../../src/store/db.ts";
import { Bus } from "../../src/services/bus.ts";
import { Activities } from "../../src/services/activities.ts";
import { MetricsService } from "../../src/services/metrics.ts";
import { AlertService } from "../../src/services/alerts.ts";
import { ThreatQueries } from "../../src/services/threats.ts";
import { AnalyticsService } from "../../src/services/analytics.ts";
import { Scheduler } from "../../src/jobs/scheduler.ts";
import { WafSettings } from "../../src/services/waf-settings.ts";
import { WriteBehind } from "../../src/store/write-behind.ts";
import type { ApiServices } from "../../src/api/services.ts";
import type { ServiceContext } from "../../src/serve/context.ts";
import { tempDir } from "./tmp.ts";

export async function makeApiServices(env: Record<string, string> = {}): Promise<ApiServices> {
  const dir = tempDir("moat-api-");
  const config = loadConfig({ env: { MOAT_STORAGE_DATA_DIR: dir, MOAT_SECURITY_NGINX_CONF: "", ...env } }).config;
  const store = openStore(join(dir, "moat.db"));
  const bus = new Bus();
  const ctx: ServiceContext = { config, store, bus, activities: new Activities(store, bus), detector: await Detector.load(), log: createLogger({ level: "error", format: "json" }), startedAt: Date.now(), now: () => Date.now() };
  return { ctx, metrics: new MetricsService(ctx, { blocking: false }), alerts: new AlertService(ctx), threats: new ThreatQueries(store), analytics: new AnalyticsService(ctx), scheduler: new Scheduler(ctx), settings: new WafSettings(ctx), inlineWriter: new WriteBehind(store, bus, (e) => { throw e; }), wsClients: () => 0 };
}
