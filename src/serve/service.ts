/**
 * `moat serve` as a function: opens the store, loads the models, starts the live pipeline and the
 * HTTP server, and stops them in order (flushing and checkpointing) when asked.
 */
import { join } from "node:path";
import { watch } from "chokidar";
import type { Config } from "../config/schema.ts";
import { localUrlHost } from "../config/exposure.ts";
import type { Logger } from "../core/log.ts";
import { createRedactor } from "../detect/redact.ts";
import { tidyModelDir } from "../detect/site/model-dir.ts";
import { loadDetector } from "./load-detector.ts";
import { openStore } from "../store/db.ts";
import { loadRedactionKey } from "../store/redaction-key.ts";
import { lockDatabase } from "../store/lock.ts";
import { isPostgresUrl } from "../store/sql-client.ts";
import { DatabaseIntegrity } from "../services/db-integrity.ts";
import { startBackgroundCheckpoints } from "../store/checkpoints.ts";
import { MemoryGuard } from "../core/memory.ts";
import { Bus } from "../pipeline/bus.ts";
import { startLivePipeline } from "../pipeline/live.ts";
import { WorkerJudge } from "../pipeline/worker-judge.ts";
import { listenForMirror, type MirrorListener } from "../api/mirror/listener.ts";
import { Activities } from "../services/activities.ts";
import { AlertService } from "../services/alerts.ts";
import { MetricsService } from "../services/metrics.ts";
import { Scheduler } from "../jobs/scheduler.ts";
import { integrityCheckJob, registerStandardJobs } from "../jobs/standard.ts";
import type { ServiceContext } from "../services/context.ts";
import { createApi } from "../api/app.ts";
import { ThreatQueries } from "../services/threats.ts";
import { AnalyticsService } from "../services/analytics.ts";
import { WafSettings } from "../services/waf-settings.ts";
import { Allowlist, verdictPath } from "../services/allowlist.ts";
import { RuntimeSettings } from "../services/runtime-settings.ts";
import { DenyList } from "../services/deny-list/service.ts";
import { runSecurityChecks } from "../services/security/checks.ts";
import { recordLiveSiteModel } from "../services/model-versions.ts";
import { startGeo } from "../services/geo.ts";
import { AgentConfigError, MISSING_HUB_KEY, newInstanceId, outboxWriterOptions, startShipper } from "../agent/agent.ts";

export interface Service {
  port: number;
  /** The mirror's listener's port, or null when mirror.enabled is false. */
  mirrorPort: number | null;
  ctx: ServiceContext;
  scheduler: Scheduler;
  alerts: AlertService;
  metrics: MetricsService;
  close(): Promise<void>;
}

/**
 * serve: follows logs and takes nginx's copies (and, with hub.url set, is an agent of that hub);
 * hub: follows nothing of its own and stores what its agents send (`moat hub`).
 */
export type ServiceRole = "serve" | "hub";

export async function startService(config: Config, log: Logger, role: ServiceRole = "serve"): Promise<Service> {
  if (role === "hub") config = { ...config, ingest: { ...config.ingest, logs: [] }, mirror: { ...config.mirror, enabled: false }, hub: { ...config.hub, url: "" } };
  if (config.hub.url && !config.hub.key) throw new AgentConfigError(MISSING_HUB_KEY);
  // An agent that judges with its hub's site model trains none of its own: it would replace the hub's.
  if (config.hub.url && config.hub.pull_site_model) config = { ...config, jobs: { ...config.jobs, retrain_cron: "", auto_train_min_requests: 0 } };
  // First: a second moat serve on the same SQLite file stops here (DatabaseInUseError), before it reads
  // a line. Hubs share a PostgreSQL database by design: their jobs take turns by advisory locks.
  const lock = config.storage.db === ":memory:" || isPostgresUrl(config.storage.db) ? null : lockDatabase(config.storage.db);
  const store = openStore(config.storage.db);
  log.info("database open", { path: store.path });
  const checkpoints = startBackgroundCheckpoints(store, log);
  const siteFile = join(config.detect.model_dir, "site.onnx");
  for (const file of tidyModelDir(config.detect.model_dir)) log.warn("removed a file left by an interrupted model write", { file });
  const { detector, siteRefused } = await loadDetector(siteFile, config.detect.threshold || undefined);
  const hasSite = detector.site !== null;
  // The versions table follows the model on disk, whoever put it there (a retrain, the CLI). It is
  // bookkeeping: a write that fails (a full disk) is logged, and the model judges all the same.
  const recordLive = () => {
    const version = detector.site?.meta.version;
    try {
      recordLiveSiteModel(store, version ? { version, path: siteFile } : null, Date.now());
    } catch (e) {
      log.warn("cannot record the live site model", { version: version ?? "none", error: (e as Error).message });
    }
  };
  recordLive();
  const retrain = `moat train --from <access logs> --out ${config.detect.model_dir}`;
  if (hasSite) log.info("models loaded", { version: detector.modelVersion, threshold: detector.threshold });
  else if (siteRefused) log.error("site model refused: running on the generic model alone until one is trained for it", { version: detector.modelVersion, reason: siteRefused, hint: retrain });
  else log.warn("no site model yet: running on the generic model alone", { version: detector.modelVersion, hint: retrain });

  const bus = new Bus();
  const activities = new Activities(store, bus, (e, a) => log.warn("cannot store an activity", { type: a.type, title: a.title, error: e.message }));
  activities.record({ type: "service.started", title: "Moat started", details: `models ${detector.modelVersion}, threshold ${detector.threshold.toFixed(4)}` });
  if (!hasSite) activities.record({ type: "model.generic-only", title: "Running on the generic model", details: siteRefused ? `${siteRefused} (the generic model judges alone meanwhile)` : `no site model in ${config.detect.model_dir}: train one with ${retrain}` });
  const ctx: ServiceContext = { config, store, bus, activities, detector, log, monotonicStart: performance.now(), now: () => Date.now(), monotonic: () => performance.now() };
  const settings = new WafSettings(ctx);
  // Retention and webhook changed from the dashboard override the config file: applied before the services read it.
  const runtime = new RuntimeSettings(ctx);
  const metrics = new MetricsService(ctx);
  const alerts = new AlertService(ctx);
  runtime.onWebhookChange((url) => alerts.setWebhookUrl(url));
  const allowlist = new Allowlist(store);
  // Passive blocking: a failed write or reload (and its end) shows in the security checks at once, not at the next scheduled run.
  const denyList = config.ban.enabled
    ? new DenyList(ctx, { alerts, onProblemChange: () => void runSecurityChecks(ctx, "deny-list").catch((e: Error) => log.error("security check failed", { error: e.message })) })
    : null;
  if (denyList) {
    const first = await denyList.sync();
    log.info("deny list", { file: first.file, addresses: first.addresses, reload: first.reload });
  }
  const scheduler = new Scheduler(ctx);
  const integrity = new DatabaseIntegrity(ctx, alerts);
  registerStandardJobs(scheduler, ctx, { metrics, alerts, integrity, denyList });
  await scheduler.runNow("security-checks");
  // Not awaited: it reads the whole file on another thread, and start-up does not wait for it (src/store/integrity.ts).
  // SQLite's only: PostgreSQL checks its own pages.
  if (store.sqlite) void scheduler.run(integrityCheckJob("", integrity));
  // The mirror's copies are judged on a thread of their own: nginx waits for each copy's answer.
  const offThread = config.mirror.enabled ? new WorkerJudge(detector, config.detect.model_dir, config.mirror.judge_nice, (why) => log.error("judging mirrored copies on the main thread from now on", { why })) : null;
  const live = startLivePipeline({
    ctx,
    live: settings,
    judge: verdictPath(detector, allowlist, metrics.timings.modelTimeMs),
    ...(offThread ? { judgeOffThread: verdictPath(offThread, allowlist, metrics.timings.modelTimeMs) } : {}),
    redact: createRedactor(loadRedactionKey(config.storage.data_dir)),
    metrics,
    alerts,
    denyList,
    memory: new MemoryGuard(config.ingest.memory_soft_limit_mb * 2 ** 20),
    expectLogs: role === "serve",
    ...(config.hub.url ? { writer: outboxWriterOptions(config, log, activities, newInstanceId()) } : {}),
  });
  const shipper = config.hub.url ? startShipper({ config, store, log, activities, detector, settings, denyList, now: ctx.now }) : null;
  if (shipper) log.info("agent of a hub: judged batches go to it", { hub: config.hub.url });

  // A model trained or rolled back with the CLI while serving is picked up without a restart.
  const modelWatcher = watch(siteFile, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 500 } }).on("all", async (event) => {
    if (event !== "add" && event !== "change") return;
    try {
      await detector.replaceSite(config.detect.model_dir);
      recordLive();
      activities.record({ type: "model.promoted", title: "Site model changed on disk", details: `now judging with ${detector.modelVersion} (threshold ${detector.threshold.toFixed(4)})` });
      log.info("site model reloaded", { version: detector.modelVersion });
    } catch (e) {
      log.error("cannot load the new site model; the previous one stays", { error: (e as Error).message });
    }
  });
  const app = createApi({ ctx, metrics, alerts, threats: new ThreatQueries(store), analytics: new AnalyticsService(ctx), scheduler, settings, writeBehind: live.writeBehind, inline: live.inline, mirror: live.mirror, allowlist, runtime, integrity, denyList, geo: startGeo(config.geo, log), sources: () => live.tail?.sources() ?? [], acceptsAgents: role === "hub" });
  // Elysia asks Bun for SO_REUSEPORT by default: a second server on the same port would then share the
  // connections instead of failing to bind.
  app.listen({ hostname: config.server.host, port: config.server.port, reusePort: false });
  const port = app.server?.port ?? config.server.port;
  log.info("listening", { host: config.server.host, port, dashboard: `http://${localUrlHost(config.server.host)}:${port}/` });
  let mirrorListener: MirrorListener | null = null;
  const service: Service = {
    port,
    mirrorPort: null,
    ctx,
    scheduler,
    alerts,
    metrics,
    async close() {
      log.info("stopping");
      scheduler.stop();
      integrity.close();
      app.decorator.wsHub.close(); // a graceful stop waits for open sockets: close them first
      await modelWatcher.close();
      await app.stop();
      await mirrorListener?.close();
      await live.close();
      await shipper?.close(); // after the last batches are queued: they wait in the outbox for the next start
      offThread?.close();
      await Promise.resolve(); // the alert rules run on a microtask after the flush's threats
      await denyList?.idle(); // a ban from the last threats is written before the store closes
      activities.record({ type: "service.stopped", title: "Moat stopped", details: `${live.tail?.stored() ?? 0} logged requests stored in this run` });
      alerts.close();
      checkpoints.stop();
      store.close();
      lock?.release();
      log.info("stopped", { stored: live.tail?.stored() ?? 0 });
    },
  };
  if (live.mirror) {
    try {
      mirrorListener = await listenForMirror(ctx, live.mirror);
    } catch (e) {
      await service.close();
      throw e;
    }
    service.mirrorPort = mirrorListener.port;
    log.info("listening for nginx's mirror", { host: config.mirror.host, port: mirrorListener.port });
  }
  return service;
}

