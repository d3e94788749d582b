/**
 * `moat doctor`: what a first run needs, checked one by one with what to do when something is wrong —
 * the log path and its permissions, the format of its first lines, the database (its location, who can
 * read it, whether a moat serve has it, SQLite's quick_check), the port, whether nginx answers, the
 * mirror path (src/serve/doctor-mirror.ts), and the geo databases when configured.
 */
import { accessSync, constants, existsSync, mkdirSync, openSync, readSync, closeSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { connect } from "node:net";
import type { Config } from "../config/schema.ts";
import { localUrlHost } from "../config/exposure.ts";
import { parserFor } from "../parse/formats.ts";
import { KeyFieldTally, keyFieldWarning } from "../parse/key-fields.ts";
import { isParseError, type HttpRequest } from "../core/http-request.ts";
import { splitCommand } from "../services/deny-list/rules.ts";
import { openGeo } from "../services/geo.ts";
import { PRIVATE_DIR_MODE, readableByOthers } from "../core/private-files.ts";
import { checkIntegrity } from "../store/integrity.ts";
import { isDatabaseLocked, lockHolderPid } from "../store/lock.ts";
import { isPostgresUrl } from "../store/sql-client.ts";
import { inspectPostgres } from "../store/db.ts";
import { PG_JOURNAL } from "../store/pg/migrations/index.ts";
import { checkMirror } from "./doctor-mirror.ts";
import type { DoctorFinding, DoctorStatus } from "./doctor-finding.ts";
import { checkHub } from "./doctor-hub.ts";
import { loadDetector } from "./load-detector.ts";

const HEAD_BYTES = 64 * 1024;

function firstLines(path: string): string[] {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const n = readSync(fd, buf, 0, HEAD_BYTES, 0);
    return buf.toString("utf8", 0, n).split("\n").slice(0, 20).filter((l) => l.trim() !== "");
  } finally {
    closeSync(fd);
  }
}

function checkLog(path: string, config: Config): DoctorFinding[] {
  const check = `log ${path}`;
  if (!existsSync(path)) return [{ check, status: "warn", message: "does not exist yet: moat serve will wait for it (is the path right? nginx writes access_log where nginx.conf says)" }];
  try {
    accessSync(path, constants.R_OK);
  } catch {
    return [{ check, status: "fail", message: `not readable by this user: add the user to the log's group (often adm) or run moat as a user that can read ${path}` }];
  }
  if (!statSync(path).isFile()) return [{ check, status: "fail", message: "is not a regular file" }];
  const lines = firstLines(path);
  if (!lines.length) return [{ check, status: "warn", message: "is empty: the format will be detected from its first lines" }];
  try {
    const parser = parserFor({ format: config.ingest.format, logFormat: config.ingest.log_format || undefined }, lines, path);
    const requests = lines.map((l) => parser.parse(l, { source: path })).filter((r): r is HttpRequest => !isParseError(r));
    const parsed = requests.length;
    const status: DoctorStatus = parsed === lines.length ? "ok" : parsed > 0 ? "warn" : "fail";
    const findings: DoctorFinding[] = [{ check, status, message: `format ${parser.name}: ${parsed} of the first ${lines.length} lines parse${status === "ok" ? "" : " (moat explain '<line>' shows why a line does not)"}` }];
    const tally = new KeyFieldTally();
    for (const r of requests) tally.add(r);
    const warning = keyFieldWarning(path, parser.name, tally);
    if (warning) findings.push({ check: `${check} fields`, status: "warn", message: warning });
    return findings;
  } catch (e) {
    return [{ check, status: "fail", message: (e as Error).message }];
  }
}

/** Null when `dir` exists (it is created as Moat would, with `mode`) and can be written; otherwise why not. */
function unwritable(dir: string, mode?: number): string | null {
  try {
    mkdirSync(dir, { recursive: true, mode });
    accessSync(dir, constants.W_OK);
    return null;
  } catch (e) {
    return `${dir} is not writable (${(e as Error).message})`;
  }
}

/** ", in use by moat serve (pid N)" when a serve holds the database's lock; "" when none does or it cannot be told. */
function servedBy(path: string): string {
  try {
    if (!isDatabaseLocked(path)) return "";
    const pid = lockHolderPid(path);
    return `, in use by moat serve${pid ? ` (pid ${pid})` : ""}`;
  } catch {
    return ""; // a lock file this user cannot write: says nothing about the database
  }
}

/**
 * A PostgreSQL store: it answers, and how far its schema is from this build's. Nothing is migrated
 * here: doctor run from a newer binary must not change the tables under hubs still running the older.
 */
function checkPostgres(url: string): DoctorFinding[] {
  try {
    const { shown, pending } = inspectPostgres(url);
    const schema = !pending.length ? "schema up to date" : pending.length === PG_JOURNAL.entries.length ? "empty: moat makes its tables at its first start" : `${pending.length} migration(s) to apply at the next start`;
    return [{ check: "database", status: "ok", message: `${shown} (PostgreSQL; ${schema})` }];
  } catch (e) {
    return [{ check: "database", status: "fail", message: `${(e as Error).message}: check storage.db, and that PostgreSQL runs and lets this user in` }];
  }
}

async function checkDatabase(path: string): Promise<DoctorFinding[]> {
  if (isPostgresUrl(path)) return checkPostgres(path);
  const problem = unwritable(dirname(path), PRIVATE_DIR_MODE);
  if (problem) return [{ check: "database", status: "fail", message: `${problem}: set storage.db or --db to a writable place` }];
  if (!existsSync(path)) return [{ check: "database", status: "ok", message: `${path} (will be created)` }];
  const findings: DoctorFinding[] = [{ check: "database", status: "ok", message: `${path} (exists${servedBy(path)})` }];
  if (readableByOthers(path)) {
    findings.push({ check: "database access", status: "warn", message: `other users can read ${path}, which holds flagged requests and key hashes: chmod 600 ${path}*; chmod 700 ${dirname(path)}` });
  }
  try {
    const report = await checkIntegrity(path);
    findings.push(
      report.problems.length
        ? { check: "database integrity", status: "fail", message: `quick_check found ${report.problems.length} problems (first: ${report.problems[0]}): run moat db check, then see README, Troubleshooting, to recover` }
        : { check: "database integrity", status: "ok", message: `quick_check found no problem (${(report.bytes / 2 ** 20).toFixed(1)} MB in ${report.ms} ms)` },
    );
  } catch (e) {
    findings.push({ check: "database integrity", status: "warn", message: (e as Error).message });
  }
  return findings;
}

/** Passive blocking, when enabled: the deny file can be written and the reload command exists. */
function checkDenyList(config: Config): DoctorFinding[] {
  const { enabled, file, reload_command } = config.ban;
  if (!enabled) return [];
  const problem = unwritable(dirname(file));
  if (problem) return [{ check: "deny list", status: "fail", message: `${problem}: set ban.file to a place Moat can write and nginx can read` }];
  const [program] = splitCommand(reload_command);
  if (!program) return [{ check: "deny list", status: "warn", message: `${file}; no ban.reload_command: bans take effect only when nginx is reloaded by other means (e.g. nginx -s reload)` }];
  if (!Bun.which(program)) return [{ check: "deny list", status: "fail", message: `ban.reload_command: ${program} is not found or not executable (it runs without a shell: give the full path)` }];
  return [{ check: "deny list", status: "ok", message: `${file}, reloaded with: ${reload_command} (add "include ${file};" to your nginx server block)` }];
}

/** The geo databases, when configured: each file read and usable as moat serve will (it runs without one it cannot use). */
export function checkGeo(config: Config): DoctorFinding[] {
  const geo = openGeo(config.geo);
  const failed: DoctorFinding[] = geo.problems.map((p) => ({ check: "geo", status: "fail", message: `${p.message}: moat serve runs without it; fix the file or empty ${p.key}` }));
  if (!geo.databases.length) return failed;
  const what = (key: string) => (key === "geo.country_db" ? "country" : "ASN");
  const used = geo.databases.map((d) => `${what(d.key)} from ${d.path} (${d.type}, built ${d.builtAt.toISOString().slice(0, 10)})`);
  return [...failed, { check: "geo", status: "ok", message: used.join("; ") }];
}

/**
 * The port is free, or taken by a moat serve (it answers /health as Moat does: a second doctor run
 * while the service runs is not a failure), or taken by another program. The pid is the one written
 * in the configured database's lock (src/store/lock.ts), when that process runs.
 */
async function checkPort(config: Config, fetchHealth: (url: string) => Promise<unknown>): Promise<DoctorFinding & { moatServes: boolean }> {
  const { host, port } = config.server;
  if (port === 0) return { check: "port", status: "ok", message: "0: a free port is picked at start", moatServes: false };
  const problem = cannotListen(host, port);
  if (!problem) return { check: "port", status: "ok", message: `${host}:${port} is free`, moatServes: false };
  const health = await fetchHealth(`http://${localUrlHost(host)}:${port}/health`).catch(() => null);
  if (isMoatHealth(health)) {
    const pid = livePid(lockHolderPid(config.storage.db));
    return { check: "port", status: "ok", message: `${host}:${port} is in use by moat serve${pid ? `, pid ${pid}` : ""}`, moatServes: true };
  }
  return { check: "port", status: "fail", message: `${host}:${port} cannot be used (${problem}): set server.port or --port`, moatServes: false };
}

/** The mirror listener's port, when enabled and fixed: the running moat serve's own, free, or taken by another program. */
function checkMirrorPort(config: Config, moatServes: boolean): DoctorFinding[] {
  const { enabled, host, port } = config.mirror;
  if (!enabled || port === 0) return [];
  if (moatServes) return [{ check: "mirror port", status: "ok", message: `${host}:${port}: moat serve's mirror listener` }];
  const problem = cannotListen(host, port);
  if (problem) return [{ check: "mirror port", status: "fail", message: `${host}:${port} cannot be used (${problem}): set mirror.port, or mirror.enabled = false` }];
  return [{ check: "mirror port", status: "ok", message: `${host}:${port} is free` }];
}

/** Why nothing can listen on host:port now, or null when it is free. */
function cannotListen(hostname: string, port: number): string | null {
  try {
    Bun.listen({ hostname, port, socket: { data() {} } }).stop(true);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The pid when that process runs (a lock file outlives its holder, and keeps its pid). */
function livePid(pid: number | null): number | null {
  if (!pid) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM" ? pid : null; // EPERM: it runs, as another user
  }
}

/** Moat's /health answer (src/api/routes/ops.ts): status "ok" and an uptime in seconds. */
function isMoatHealth(body: unknown): boolean {
  const b = body as { status?: unknown; uptime?: unknown } | null;
  return b?.status === "ok" && typeof b.uptime === "number";
}

function reachable(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** GET a URL as JSON, giving up after a second. */
async function fetchJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return res.json();
}

export async function runDoctor(config: Config, nginx: { host: string; port: number }, fetchHealth: (url: string) => Promise<unknown> = fetchJson): Promise<DoctorFinding[]> {
  const findings: DoctorFinding[] = [];
  if (!config.ingest.logs.length) findings.push({ check: "logs", status: "fail", message: "no access log configured: set [ingest] logs or pass --log <path>" });
  for (const path of config.ingest.logs) findings.push(...checkLog(path, config));
  findings.push(...(await checkDatabase(config.storage.db)));
  findings.push(...checkDenyList(config));
  findings.push(...checkGeo(config));
  findings.push(...(await checkHub(config)));
  // The port check and the mirror's ask the same /health: once.
  const asked = new Map<string, Promise<unknown>>();
  const healthOnce = (url: string) => asked.get(url) ?? asked.set(url, fetchHealth(url)).get(url)!;
  const { moatServes, ...port } = await checkPort(config, healthOnce);
  findings.push(port, ...checkMirrorPort(config, moatServes));
  const up = await reachable(nginx.host, nginx.port);
  findings.push({ check: "nginx", status: up ? "ok" : "warn", message: up ? `answers on ${nginx.host}:${nginx.port}` : `nothing answers on ${nginx.host}:${nginx.port} (pass --nginx host:port if it listens elsewhere)` });
  findings.push(...(await checkMirror(config, healthOnce)));
  findings.push(await checkSiteModel(config.detect.model_dir));
  return findings;
}

/** Whether serve would judge with the site model on disk: one of another release is refused (the generic model judges alone). */
async function checkSiteModel(dir: string): Promise<DoctorFinding> {
  const check = "site model";
  const siteFile = join(dir, "site.onnx");
  if (!existsSync(siteFile)) return { check, status: "warn", message: `none yet in ${dir}: moat train --from <access logs> --out ${dir}` };
  try {
    const { detector, siteRefused } = await loadDetector(siteFile);
    if (siteRefused) return { check, status: "fail", message: `${siteRefused} (until then moat serve judges with the generic model alone)` };
    return { check, status: "ok", message: `${detector.site!.meta.version} in ${dir}` };
  } catch (e) {
    return { check, status: "fail", message: `cannot load ${siteFile}: ${(e as Error).message}` };
  }
}
