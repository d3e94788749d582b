/**
 * Security checks: Moat's own posture and an audit of the nginx configuration, each with pass,
 * warning or fail and a message, stored so that the dashboard shows the last result of each. The
 * compliance score is the share of checks that pass.
 */
import { existsSync, statSync } from "node:fs";
import { asc, eq } from "drizzle-orm";
import { securityChecks } from "../../store/schema.ts";
import { storeBytes, rowCount } from "../../store/stats.ts";
import { authRequired } from "../../config/exposure.ts";
import type { CheckStatus } from "../../core/enums.ts";
import { DAY_MS, MINUTE_MS } from "../range.ts";
import type { ServiceContext } from "../context.ts";
import { auditNginxConfig, type AuditResult } from "./nginx-audit.ts";
import { parseNginxConfig, type NginxConfig } from "./nginx-config.ts";
import { denyListCheck } from "../deny-list/check.ts";
import type { CheckResult } from "./check-result.ts";

export type CheckRow = typeof securityChecks.$inferSelect;

/** A log that has not grown for this long while Moat follows it is worth a warning. */
const LOG_QUIET_MS = 60 * MINUTE_MS;
const MODEL_STALE_DAYS = 14;

type Ctx = Pick<ServiceContext, "config" | "store" | "detector" | "now">;

function logSources(ctx: Ctx, now: number): CheckResult {
  const logs = ctx.config.ingest.logs;
  if (!logs.length) return { key: "log-source", name: "Log source is alive", status: "fail", message: "no access log configured: set [ingest] logs or run moat serve --log <path>" };
  const problems: string[] = [];
  for (const path of logs) {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) problems.push(`${path} does not exist (yet)`);
    else if (now - stat.mtimeMs > LOG_QUIET_MS) problems.push(`${path} has not been written for ${Math.round((now - stat.mtimeMs) / MINUTE_MS)} min`);
  }
  if (!problems.length) return { key: "log-source", name: "Log source is alive", status: "pass", message: `${logs.length} log(s) followed and written to within the last hour` };
  return { key: "log-source", name: "Log source is alive", status: problems.length === logs.length ? "fail" : "warning", message: problems.join("; ") };
}

function modelFreshness(ctx: Ctx, now: number): CheckResult {
  const name = "Site model is trained and fresh";
  const site = ctx.detector.site;
  if (!site) return { key: "model-fresh", name, status: "warning", message: `running on the generic model alone: train a site model (moat train --from <access logs> --out ${ctx.config.detect.model_dir})` };
  const ageDays = (now - Date.parse(site.meta.trainedAt)) / DAY_MS;
  if (ageDays > MODEL_STALE_DAYS) return { key: "model-fresh", name, status: "warning", message: `the site model is ${Math.floor(ageDays)} days old (${site.meta.version}); retraining runs on ${ctx.config.jobs.retrain_cron || "no schedule"}` };
  return { key: "model-fresh", name, status: "pass", message: `${site.meta.version}, ${ageDays < 1 ? "trained today" : `${Math.floor(ageDays)} days old`}` };
}

function apiProtection(ctx: Ctx): CheckResult {
  const name = "API is protected beyond loopback";
  const { host, require_api_key } = ctx.config.server;
  // The same rule the API's guard applies: beyond loopback, keys are always required.
  if (authRequired(ctx.config.server)) return { key: "api-protected", name, status: "pass", message: `the API listens on ${host} and requires an API key (server.require_api_key = ${require_api_key}; create one with moat apikey create <name>)` };
  return { key: "api-protected", name, status: "pass", message: `the API listens on ${host} only` };
}

function retention(ctx: Ctx): CheckResult {
  const r = ctx.config.retention;
  const rows = rowCount(ctx.store, "traffic");
  const status: CheckStatus = rows > r.traffic_rows * 1.1 ? "warning" : "pass";
  return { key: "retention", name: "Retention is configured and enforced", status, message: `${rows} of at most ${r.traffic_rows} traffic rows; rows older than ${r.max_age_days} days are pruned; size limit ${r.max_db_mb} MB` };
}

function dbSize(ctx: Ctx): CheckResult {
  const bytes = storeBytes(ctx.store);
  const limit = ctx.config.retention.max_db_mb * 1024 * 1024;
  const share = bytes / limit;
  const status: CheckStatus = share > 1 ? "fail" : share > 0.8 ? "warning" : "pass";
  return { key: "db-size", name: "Database size is within its limit", status, message: `${(bytes / 2 ** 20).toFixed(1)} MB of ${ctx.config.retention.max_db_mb} MB (${Math.round(share * 100)}%)` };
}

/** The run's nginx configuration: parsed on first use, once for the nginx audit and the deny-list check. */
type NginxConfigOfRun = () => Promise<NginxConfig>;

async function nginxAudit(ctx: Ctx, nginxConfig: NginxConfigOfRun): Promise<CheckResult[]> {
  const path = ctx.config.security.nginx_conf;
  if (!path) return [];
  if (!existsSync(path)) return [{ key: "nginx-config", name: "nginx configuration can be audited", status: "warning", message: `${path} not found: set [security] nginx_conf to your nginx.conf` }];
  let results: AuditResult[];
  try {
    results = auditNginxConfig(await nginxConfig());
  } catch (e) {
    return [{ key: "nginx-config", name: "nginx configuration can be audited", status: "fail", message: (e as Error).message }];
  }
  return results.map((r) => ({
    key: `nginx-${r.id}`,
    name: `nginx: ${r.name}`,
    status: r.status,
    message: r.message,
    details: [r.details, ...(r.locations ?? []).map((l) => `${l.file}:${l.line}`)].filter(Boolean).join("\n") || undefined,
  }));
}

interface Check {
  /** Whether a result of this key comes from this check (the nginx audit gives one result per audit). */
  gives(key: string): boolean;
  run(ctx: Ctx, now: number, nginxConfig: NginxConfigOfRun): CheckResult[] | Promise<CheckResult[]>;
}

/** In the order they are stored (and listed). */
const CHECKS: Check[] = [
  { gives: (key) => key === "log-source", run: (ctx, now) => [logSources(ctx, now)] },
  { gives: (key) => key === "model-fresh", run: (ctx, now) => [modelFreshness(ctx, now)] },
  { gives: (key) => key === "api-protected", run: (ctx) => [apiProtection(ctx)] },
  { gives: (key) => key === "retention", run: (ctx) => [retention(ctx)] },
  { gives: (key) => key === "db-size", run: (ctx) => [dbSize(ctx)] },
  { gives: (key) => key.startsWith("nginx-"), run: (ctx, _now, nginxConfig) => nginxAudit(ctx, nginxConfig) },
  { gives: (key) => key === "deny-list", run: (ctx, _now, nginxConfig) => denyListCheck(ctx, nginxConfig) },
];

/**
 * Runs every check, or only the one that gives `key` (the dashboard's "run again", the deny list's
 * problem changing: neither should parse the nginx configuration or count tables for nothing); stores
 * the results and returns the stored rows.
 */
export async function runSecurityChecks(ctx: Ctx, key?: string): Promise<CheckRow[]> {
  const now = ctx.now();
  let parsed: Promise<NginxConfig> | undefined;
  const nginxConfig = () => (parsed ??= parseNginxConfig(ctx.config.security.nginx_conf));
  const results: CheckResult[] = [];
  for (const check of CHECKS) if (!key || check.gives(key)) results.push(...(await check.run(ctx, now, nginxConfig)));
  const chosen = key ? results.filter((r) => r.key === key) : results;
  return chosen.map((r) =>
    ctx.store.db
      .insert(securityChecks)
      .values({ ...r, details: r.details ?? null, lastChecked: now })
      .onConflictDoUpdate({ target: securityChecks.key, set: { name: r.name, status: r.status, message: r.message, details: r.details ?? null, lastChecked: now } })
      .returning()
      .get(),
  );
}

export function listSecurityChecks(ctx: Pick<ServiceContext, "store">): CheckRow[] {
  return ctx.store.db.select().from(securityChecks).orderBy(asc(securityChecks.id)).all();
}

export function checkById(ctx: Pick<ServiceContext, "store">, id: number): CheckRow | null {
  return ctx.store.db.select().from(securityChecks).where(eq(securityChecks.id, id)).get() ?? null;
}

export function complianceScore(rows: CheckRow[]): { score: number; total: number; passed: number; failed: number } {
  const passed = rows.filter((r) => r.status === "pass").length;
  const failed = rows.filter((r) => r.status === "fail").length;
  return { score: rows.length ? Math.round((passed / rows.length) * 1000) / 10 : 0, total: rows.length, passed, failed };
}
