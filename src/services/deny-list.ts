/**
 * Deny lists for passive blocking, in the spirit of CrowdSec's bouncers: a source that sends
 * `ban.threshold` threats within `ban.window_seconds` is banned for `ban.duration_seconds`, and Moat
 * keeps an nginx include file of `deny <ip>;` lines. The `bans` table is the truth; the file is
 * rendered from it, written atomically when its content changes, and then the configured reload
 * command runs. `moat serve` and `moat ban` both go through this module, so whichever writes last
 * writes every active ban.
 *
 * The file is nginx configuration and client addresses come from log lines an attacker shapes: only
 * an address that parses completely (src/core/ip.ts) is ever written, in its canonical form, and
 * nothing else from a row (reasons hold attacker-controlled paths) goes into the file.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join, resolve } from "node:path";
import { and, desc, eq, isNotNull, lte } from "drizzle-orm";
import type { Config } from "../config/schema.ts";
import { canonicalIp, parseCidr, parseIp, rangeContains, type IpRange } from "../core/ip.ts";
import type { ServiceContext } from "../serve/context.ts";
import type { Store } from "../store/db.ts";
import { bans } from "../store/schema.ts";
import { deleteSetting, readSettings, writeSetting } from "../store/settings.ts";
import { BurstTracker } from "./alert-rules.ts";
import type { ThreatRow } from "./bus.ts";
import { parseNginxConfig } from "./security/nginx-config.ts";
import type { CheckResult } from "./security/checks.ts";

export type BanRow = typeof bans.$inferSelect;
export type BanConfig = Config["ban"];
export type DenyListContext = Pick<ServiceContext, "config" | "store" | "activities" | "log" | "now">;

/** A reload that hangs (a sudo prompt, a wedged nginx) must not hold the next rewrite forever. */
const RELOAD_TIMEOUT_MS = 30_000;
/**
 * The current failure to apply the deny list, kept in the settings table so that the security check,
 * a restarted `moat serve` and `moat ban` all see it; removed by the next sync that works.
 */
const PROBLEM_KEY = "ban.problem";
/** Reasons quote request paths, which are attacker-controlled: a bounded piece of one. */
const MAX_REASON_ENDPOINT_CHARS = 120;

/** A ban that cannot be made (not an address, or protected by `ban.never_ban`); the message says which. */
export class BanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BanError";
  }
}

// ---------------------------------------------------------------------------------------------
// Pure pieces

function isActive(row: Pick<BanRow, "expiresAt">, now: number): boolean {
  return row.expiresAt === null || row.expiresAt > now;
}

function parseNeverBan(list: string[]): IpRange[] {
  return list.map((text) => {
    const range = parseCidr(text);
    if (!range) throw new BanError(`ban.never_ban: "${text}" is not an IP address or CIDR range`);
    return range;
  });
}

/** The canonical form of an address given by a user, or a BanError saying what an address is. */
function canonicalOrThrow(ip: string): string {
  const canonical = canonicalIp(ip);
  if (!canonical) throw new BanError(`"${ip}" is not an IP address (IPv4 or IPv6, without port, prefix or zone)`);
  return canonical;
}

/**
 * The deny file for the active bans, sorted so that the same bans always give the same bytes (an
 * unchanged file is neither rewritten nor reloaded). A row whose address does not parse is refused
 * and reported, never written.
 */
export function renderDenyFile(rows: Pick<BanRow, "ip" | "expiresAt">[], now: number): { text: string; addresses: string[]; refused: string[] } {
  const refused: string[] = [];
  const lines = new Map<string, string>();
  for (const row of rows) {
    if (!isActive(row, now)) continue;
    const ip = canonicalIp(row.ip);
    if (!ip) {
      refused.push(row.ip);
      continue;
    }
    lines.set(ip, `deny ${ip}; # ${row.expiresAt === null ? "until removed" : `until ${new Date(row.expiresAt).toISOString()}`}`);
  }
  const addresses = [...lines.keys()].sort();
  const text = [
    "# Written by Moat: do not edit, it is rewritten as bans come and go (moat ban list|add|remove).",
    "# Include it in an nginx http, server or location block: include <this file>;",
    ...addresses.map((ip) => lines.get(ip)!),
    "",
  ].join("\n");
  return { text, addresses, refused };
}

/** `reload_command` as argv: split on whitespace, '…' and "…" group words; no shell is involved. */
export function splitCommand(text: string): string[] {
  const argv: string[] = [];
  for (const m of text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) argv.push(m[1] ?? m[2] ?? m[3]!);
  return argv;
}

/** `30s`, `15m`, `1h`, `7d` → milliseconds; `0` or `forever` → null (until removed). */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === "0" || trimmed === "forever") return null;
  const m = /^([1-9][0-9]{0,6})(s|m|h|d)$/.exec(trimmed);
  if (!m) throw new BanError(`invalid duration "${text}": expected <N>s, <N>m, <N>h or <N>d (e.g. 90s, 15m, 1h, 7d), or 0 for until removed`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s" | "m" | "h" | "d"];
}

export function describeExpiry(expiresAt: number | null): string {
  return expiresAt === null ? "until removed" : `until ${new Date(expiresAt).toISOString()}`;
}

// ---------------------------------------------------------------------------------------------
// Effects

export function storedProblem(store: Store): string | null {
  const problem = readSettings(store, [PROBLEM_KEY]).get(PROBLEM_KEY);
  return typeof problem === "string" ? problem : null;
}

/**
 * Writes `text` to `path` so that a reader sees the old file or the new one, never a part: a temporary
 * file in the same directory, fsync, rename over the target, fsync of the directory. Returns false
 * (and writes nothing) when the file already holds `text`.
 */
export function writeFileAtomically(path: string, text: string): boolean {
  try {
    if (readFileSync(path, "utf8") === text) return false;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    const fd = openSync(tmp, "wx", 0o644);
    try {
      writeFileSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  // The rename is durable once the directory is synced; some file systems refuse to sync one, which is no reason to fail.
  try {
    const dirFd = openSync(dir, "r");
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // best effort
  }
  return true;
}

/** Runs the reload command (argv, no shell) with a timeout; resolves to null when it succeeded, else what went wrong. */
export async function runReloadCommand(argv: string[], timeoutMs = RELOAD_TIMEOUT_MS): Promise<string | null> {
  let proc;
  try {
    proc = Bun.spawn(argv, { stdin: "ignore", stdout: "ignore", stderr: "pipe", timeout: timeoutMs, killSignal: "SIGKILL" });
  } catch (e) {
    return `cannot run ${argv[0]}: ${(e as Error).message}`;
  }
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  if (code === 0) return null;
  const said = stderr.trim().split("\n").slice(-3).join(" / ").slice(0, 500);
  if (proc.signalCode) return `${argv.join(" ")} was stopped by ${proc.signalCode}${proc.signalCode === "SIGKILL" ? ` (no answer within ${timeoutMs / 1000} s)` : ""}${said ? `: ${said}` : ""}`;
  return `${argv.join(" ")} exited with ${code}${said ? `: ${said}` : ""}`;
}

export interface SyncResult {
  /** Whether the file's content changed (and so was written). */
  written: boolean;
  addresses: number;
  file: string;
  /** "skipped": the file did not change and no earlier reload is owed. */
  reload: "not configured" | "ok" | "skipped" | "failed";
  /** What went wrong (writing or reloading), or null. */
  error: string | null;
}

// ---------------------------------------------------------------------------------------------
// The service

export class DenyList {
  private readonly cfg: BanConfig;
  private readonly neverBan: IpRange[];
  private readonly tracker: BurstTracker;
  private readonly reloadArgv: string[];
  /** Syncs run one at a time; a change while one runs queues exactly one more. */
  private chain: Promise<unknown> = Promise.resolve();
  private queued: Promise<SyncResult> | null = null;
  /** The last failure, so that a persisting problem is reported once, and retried by the sweep. */
  private failure: string | null;
  /** A reload that failed after its file was written is owed even though the file no longer changes. */
  private reloadOwed: boolean;

  /** `onProblemChange` runs when a problem appears or goes away (to re-run the security check at once). */
  constructor(private readonly ctx: DenyListContext, private readonly options: { onProblemChange?: () => void } = {}) {
    this.cfg = ctx.config.ban;
    this.neverBan = parseNeverBan(this.cfg.never_ban);
    this.tracker = new BurstTracker(this.cfg.threshold, this.cfg.window_seconds * 1000);
    this.reloadArgv = splitCommand(this.cfg.reload_command);
    // A problem left by an earlier run (or by moat ban) may be a file written but never reloaded: retry it.
    this.failure = storedProblem(ctx.store);
    this.reloadOwed = this.failure !== null;
  }

  /** The current problem with the file or the reload, or null. */
  get problem(): string | null {
    return this.failure;
  }

  /** Active bans, newest first. */
  list(): BanRow[] {
    const now = this.ctx.now();
    return this.ctx.store.db.select().from(bans).orderBy(desc(bans.createdAt)).all().filter((r) => isActive(r, now));
  }

  /** The `never_ban` entry protecting a canonical address, or null. */
  private protectedBy(ip: string): string | null {
    const address = parseIp(ip)!;
    const i = this.neverBan.findIndex((r) => rangeContains(r, address));
    return i < 0 ? null : this.cfg.never_ban[i]!;
  }

  get(ip: string): BanRow | null {
    const canonical = canonicalIp(ip);
    if (!canonical) return null;
    const row = this.ctx.store.db.select().from(bans).where(eq(bans.ip, canonical)).get();
    return row && isActive(row, this.ctx.now()) ? row : null;
  }

  /** Stores a ban (replacing an earlier one of the same address); the file follows on the next sync. */
  ban(ip: string, ban: { reason: string; source: BanRow["source"]; durationMs: number | null }): BanRow {
    const canonical = canonicalOrThrow(ip);
    const protectedBy = this.protectedBy(canonical);
    if (protectedBy) throw new BanError(`${canonical} is protected by ban.never_ban (${protectedBy})`);
    const now = this.ctx.now();
    const values = { reason: ban.reason, source: ban.source, createdAt: now, expiresAt: ban.durationMs === null ? null : now + ban.durationMs };
    const row = this.ctx.store.db.insert(bans).values({ ip: canonical, ...values }).onConflictDoUpdate({ target: bans.ip, set: values }).returning().get();
    this.ctx.activities.record({ type: "ban.added", title: `Banned ${canonical}`, details: `${ban.source === "auto" ? "automatically" : "by hand"}, ${describeExpiry(row.expiresAt)}: ${ban.reason}`, ip: canonical });
    this.ctx.log.info("banned", { ip: canonical, source: ban.source, expires: describeExpiry(row.expiresAt), reason: ban.reason });
    return row;
  }

  /** Removes a ban by hand; null when the address had none. */
  unban(ip: string): BanRow | null {
    const canonical = canonicalOrThrow(ip);
    const row = this.ctx.store.db.delete(bans).where(eq(bans.ip, canonical)).returning().get();
    if (!row) return null;
    this.ctx.activities.record({ type: "ban.removed", title: `Ban on ${canonical} removed`, details: `by hand (it was ${row.source}: ${row.reason})`, ip: canonical });
    this.ctx.log.info("ban removed", { ip: canonical });
    return row;
  }

  /** Deletes the bans that expired by `now`; returns them. */
  expire(now: number): BanRow[] {
    const expired = this.ctx.store.db.delete(bans).where(and(isNotNull(bans.expiresAt), lte(bans.expiresAt, now))).returning().all();
    for (const row of expired) {
      this.ctx.activities.record({ type: "ban.expired", title: `Ban on ${row.ip} expired`, details: `${row.source === "auto" ? "automatic" : "manual"} ban from ${new Date(row.createdAt).toISOString()}: ${row.reason}`, ip: row.ip });
      this.ctx.log.info("ban expired", { ip: row.ip });
    }
    return expired;
  }

  /** The expiry sweep (a job): drops expired bans and rewrites the file when that changed it or an earlier write or reload failed. */
  async sweep(now: number): Promise<SyncResult | null> {
    const expired = this.expire(now);
    return expired.length || this.failure ? this.sync() : null;
  }

  /**
   * Counts a stored threat; when its source crosses the threshold it is banned and the file rewritten.
   * Threats older than the window (a backlog read at start-up) are history, not an attack in progress.
   */
  onThreat(row: ThreatRow): void {
    const now = this.ctx.now();
    if (now - row.time > this.cfg.window_seconds * 1000) return;
    const ip = canonicalIp(row.clientIp);
    if (!ip || !this.tracker.add(ip, row.time)) return;
    // Control characters would reach the terminal of `moat ban list` (escape sequences): shown as U+FFFD.
    const clean = row.endpoint.replace(/[\u0000-\u001f\u007f-\u009f]/g, "\ufffd");
    const endpoint = clean.length > MAX_REASON_ENDPOINT_CHARS ? `${clean.slice(0, MAX_REASON_ENDPOINT_CHARS - 1)}…` : clean;
    try {
      if (this.protectedBy(ip) || this.get(ip)) return;
      this.ban(ip, {
        source: "auto",
        reason: `${this.cfg.threshold} threats within ${this.cfg.window_seconds} s, latest ${row.attackType} (${row.severity}) on ${row.method} ${endpoint}`,
        durationMs: this.cfg.duration_seconds ? this.cfg.duration_seconds * 1000 : null,
      });
    } catch (e) {
      // The bus would swallow it: a ban that could not be stored (database full, locked) must at least be logged.
      this.ctx.log.error("cannot ban", { ip, error: (e as Error).message });
      return;
    }
    void this.sync();
  }

  /** Rewrites the file from the table when its content changed, then reloads. Never throws. */
  sync(): Promise<SyncResult> {
    if (this.queued) return this.queued; // not started yet: it will see this change too
    const run = this.chain.then(() => {
      this.queued = null;
      return this.syncNow();
    });
    this.queued = run;
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Resolves once the syncs asked for so far are done (before the store closes). */
  async idle(): Promise<void> {
    await this.chain;
  }

  private async syncNow(): Promise<SyncResult> {
    const file = this.cfg.file;
    let rendered: ReturnType<typeof renderDenyFile>;
    let written: boolean;
    try {
      rendered = renderDenyFile(this.ctx.store.db.select({ ip: bans.ip, expiresAt: bans.expiresAt }).from(bans).all(), this.ctx.now());
      for (const ip of rendered.refused) this.ctx.log.error("a stored ban is not an IP address: left out of the deny file", { ip });
      written = writeFileAtomically(file, rendered.text);
    } catch (e) {
      return this.failed({ written: false, addresses: 0, file, reload: "skipped" }, `cannot write the deny file ${file}: ${(e as Error).message}`);
    }
    const result: SyncResult = { written, addresses: rendered.addresses.length, file, reload: "skipped", error: null };
    if (written) this.ctx.log.info("deny file written", { file, addresses: rendered.addresses.length });
    if (!this.reloadArgv.length) {
      result.reload = "not configured";
    } else if (written || this.reloadOwed) {
      const problem = await runReloadCommand(this.reloadArgv);
      this.reloadOwed = problem !== null;
      if (problem) return this.failed({ ...result, reload: "failed" }, `the deny file was written but the reload command failed: ${problem}`);
      result.reload = "ok";
      this.ctx.log.info("reload command ran", { command: this.cfg.reload_command });
    }
    try {
      deleteSetting(this.ctx.store, PROBLEM_KEY);
    } catch (e) {
      this.ctx.log.error("cannot clear the stored deny list problem", { error: (e as Error).message });
    }
    if (this.failure) {
      this.ctx.log.info("deny list applied again", { file });
      this.failure = null;
      this.options.onProblemChange?.();
    }
    return result;
  }

  private failed(result: Omit<SyncResult, "error">, message: string): SyncResult {
    const isNew = message !== this.failure;
    this.failure = message;
    try {
      // Stored on every failure: another process's success may have cleared it meanwhile.
      writeSetting(this.ctx.store, PROBLEM_KEY, message, this.ctx.now());
      if (isNew) this.ctx.activities.record({ type: "ban.failed", title: "Deny list not applied", details: message });
    } catch (e) {
      // a full disk fails the database too: the log lines are then the only trace
      this.ctx.log.error("cannot record the deny list problem", { error: (e as Error).message });
    }
    if (isNew) {
      this.ctx.log.error("deny list not applied", { error: message });
      this.options.onProblemChange?.();
    }
    return { ...result, error: message };
  }
}

// ---------------------------------------------------------------------------------------------
// The security check

const CHECK_NAME = "Deny list is applied";

function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/**
 * When bans are enabled: the file exists and lists every active ban (a failed write — full disk,
 * unwritable directory — leaves it behind the table), and the audited nginx configuration includes it.
 */
export async function denyListCheck(ctx: Pick<ServiceContext, "config" | "store" | "now">): Promise<CheckResult[]> {
  const cfg = ctx.config.ban;
  if (!cfg.enabled) return [];
  const check = (status: CheckResult["status"], message: string): CheckResult[] => [{ key: "deny-list", name: CHECK_NAME, status, message }];
  const problem = storedProblem(ctx.store);
  if (problem) return check("warning", `${problem} (retried every 5 s by moat serve, and by every moat ban add|remove)`);
  let text: string;
  try {
    text = readFileSync(cfg.file, "utf8");
  } catch (e) {
    return check("warning", `cannot read the deny file ${cfg.file} (${(e as Error).message}): Moat writes it at start and after every ban; check that its directory is writable`);
  }
  const listed = new Set([...text.matchAll(/^deny (\S+);/gm)].map((m) => m[1]!));
  const now = ctx.now();
  const active = ctx.store.db.select({ ip: bans.ip, expiresAt: bans.expiresAt }).from(bans).all().filter((r) => isActive(r, now));
  const missing = active.filter((r) => !listed.has(r.ip)).map((r) => r.ip);
  if (missing.length) return check("warning", `${missing.length} active ban(s) missing from ${cfg.file} (${missing.slice(0, 5).join(", ")}): the last write failed (disk full? directory not writable?), see the ban.failed activities`);
  const conf = ctx.config.security.nginx_conf;
  if (conf) {
    try {
      const parsed = await parseNginxConfig(conf);
      if (!parsed.files.some((f) => sameFile(f, cfg.file))) return check("warning", `${conf} does not include ${cfg.file}: add "include ${cfg.file};" to the server block, or the bans have no effect`);
    } catch {
      // unreadable or invalid nginx configuration: the nginx audit reports it
    }
  }
  return check("pass", `${active.length} active ban(s) in ${cfg.file}${conf ? `, included by ${conf}` : ""}`);
}
