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
import { and, desc, eq, isNotNull, lte } from "drizzle-orm";
import { canonicalIp, parseIp, rangeContains, type IpRange } from "../../core/ip.ts";
import type { ServiceContext } from "../../serve/context.ts";
import { bans } from "../../store/schema.ts";
import { deleteSetting, writeSetting } from "../../store/settings.ts";
import { BurstTracker, clip } from "../alert-rules.ts";
import type { ThreatRow } from "../bus.ts";
import { type BanRow, type BanConfig, BanError, isActive, parseNeverBan, canonicalOrThrow, renderDenyFile, splitCommand, describeExpiry } from "./rules.ts";
import { PROBLEM_KEY, storedProblem, writeFileAtomically, runReloadCommand } from "./apply.ts";

export type DenyListContext = Pick<ServiceContext, "config" | "store" | "activities" | "log" | "now">;

/** Reasons quote request paths, which are attacker-controlled: a bounded piece of one. */
const MAX_REASON_ENDPOINT_CHARS = 120;

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
    const endpoint = clip(row.endpoint.replace(/[\u0000-\u001f\u007f-\u009f]/g, "\ufffd"), MAX_REASON_ENDPOINT_CHARS);
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
