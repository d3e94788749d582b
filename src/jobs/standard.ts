/** The jobs `moat serve` runs, on the schedules of the configuration. */
import { enforceRetention, compactIfDue } from "../services/retention.ts";
import { complianceScore, runSecurityChecks } from "../services/security/checks.ts";
import { benignTrafficCount } from "../services/recent-benign.ts";
import type { AlertService } from "../services/alerts.ts";
import type { DenyList } from "../services/deny-list/service.ts";
import type { DatabaseIntegrity } from "../services/db-integrity.ts";
import type { MetricsService } from "../services/metrics.ts";
import type { ServiceContext } from "../services/context.ts";
import { retrainJob } from "./retrain.ts";
import type { Job, Scheduler } from "./scheduler.ts";

/** SQLite's quick_check of the database: on its schedule, and by `moat serve` at every start. */
export function integrityCheckJob(pattern: string, integrity: DatabaseIntegrity): Job {
  return { name: "integrity-check", pattern, run: () => integrity.check(), perProcess: true };
}

export function registerStandardJobs(scheduler: Scheduler, ctx: ServiceContext, services: { metrics: MetricsService; alerts: AlertService; integrity: DatabaseIntegrity; denyList?: DenyList | null }): void {
  const { config, store } = ctx;
  scheduler.add({ name: "metrics", pattern: "*/5 * * * * *", run: () => (services.metrics.publish(), null), perProcess: true });
  scheduler.add({
    name: "rollups",
    pattern: "5 * * * * *",
    run: (now) => {
      const hours = services.metrics.rollupHours(now);
      services.alerts.checkTraffic(now);
      const resolved = services.alerts.autoResolve(now).length;
      return hours || resolved ? `${hours} hour rollups written, ${resolved} alerts auto-resolved` : null;
    },
  });
  scheduler.add({
    name: "retention",
    pattern: config.jobs.retention_cron,
    run: (now) => {
      const r = enforceRetention(store, { trafficRows: config.retention.traffic_rows, maxAgeDays: config.retention.max_age_days, maxDbMb: config.retention.max_db_mb }, now);
      const deleted = r.trafficDeleted + r.threatsDeleted + r.otherDeleted;
      return deleted ? `pruned ${r.trafficDeleted} traffic rows, ${r.threatsDeleted} threats, ${r.otherDeleted} other rows; ${(r.usedBytesAfter / 2 ** 20).toFixed(1)} MB used` : null;
    },
  });
  scheduler.add({ name: "compact", pattern: "30 4 * * *", run: () => (compactIfDue(store).vacuumed ? "database vacuumed" : null) });
  // SQLite's quick_check of its file; PostgreSQL checks its own pages.
  if (store.sqlite) scheduler.add(integrityCheckJob(config.jobs.integrity_check_cron, services.integrity));
  scheduler.add({
    name: "security-checks",
    pattern: config.jobs.security_checks_cron,
    perProcess: true, // this host's nginx, files and exposure
    run: async () => {
      const { total, passed, failed } = complianceScore(await runSecurityChecks(ctx));
      return `${total} checks: ${passed} pass, ${total - passed - failed} warning, ${failed} fail`;
    },
  });
  // Expired bans leave the deny file within seconds; each expiry is its own activity, so the run itself reports nothing.
  const denyList = services.denyList;
  if (denyList) scheduler.add({ name: "ban-expiry", pattern: "*/5 * * * * *", run: async (now) => (await denyList.sweep(now), null) });
  scheduler.add({ name: "retrain", pattern: config.jobs.retrain_cron, run: (now) => retrainJob(ctx, now) });
  // The first site model, once enough traffic has been seen (when enabled).
  scheduler.add({
    name: "auto-train",
    pattern: "*/10 * * * *",
    run: (now) => {
      const min = config.jobs.auto_train_min_requests;
      if (!min || ctx.detector.site) return null;
      return benignTrafficCount(store) >= min ? retrainJob(ctx, now) : null;
    },
  });
}
