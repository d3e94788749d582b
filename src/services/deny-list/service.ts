/**
 * Deny lists for passive blocking, in the spirit of CrowdSec's bouncers: a source that sends
 * `ban.threshold` threats within `ban.window_seconds` is banned for `ban.duration_seconds`, and Moat
 * keeps an nginx include file of `deny <ip>;` lines. The `bans` table is the truth; the file is
 * rendered from it, written atomically when its content changes, and then the configured reload
 * command runs. `moat serve` and `moat ban` both go through this module, so whichever writes last
 * writes every active ban.
 *
 * The file is nginx configuration, and one line nginx rejects stops every reload and, after a
 * restart, nginx itself. Client addresses come from log lines an attacker shapes: only a unicast
 * address that parses completely (src/core/ip.ts) is ever written, in its canonical form, and nothing
 * else from a row (reasons hold attacker-controlled paths) goes into the file. The file holds at most
 * `ban.max_entries` lines, each new file passes `ban.test_command` before it replaces the live one,
 * and the writes and reloads that automatic bans cause are gathered (see syncSoon).
 */
import { and, count, desc, eq, gt, isNotNull, isNull, lte, ne, or } from "drizzle-orm";
import { campaignPrefix, canonicalIp, canonicalIpOrRange, parseCidr, parseIp, rangeContains, type IpRange } from "../../core/ip.ts";
import { atLeastSeverity } from "../../core/enums.ts";
import type { ServiceContext } from "../context.ts";
import type { NewActivity } from "../activities.ts";
import { bans } from "../../store/schema.ts";
import { deleteSetting, writeSetting } from "../../store/settings.ts";
import { BurstTracker, clip, type AlertDraft } from "../alert-rules.ts";
import { escapeControls } from "../../core/control-chars.ts";
import type { AlertService } from "../alerts.ts";
import type { ThreatRow } from "../../store/rows.ts";
import { type BanRow, type BanConfig, BanError, banProblem, isActive, parseNeverBan, canonicalOrThrow, renderDenyFile, splitCommand, describeExpiry } from "./rules.ts";
import { PROBLEM_KEY, banRowsOldestFirst, fileHolds, storedProblem, writeDenyFile, runCommand } from "./apply.ts";
import { denyFileTest, type DenyFileTest } from "./file-test.ts";

/** How an activity says who decided a ban. */
const BAN_SOURCE_WORDS: Record<BanRow["source"], string> = { auto: "automatically", manual: "by hand", hub: "by the hub" };

export type DenyListContext = Pick<ServiceContext, "config" | "store" | "activities" | "log" | "now" | "monotonic">;

/** A hub's reasons are another machine's words: bounded, and made printable. */
const MAX_HUB_REASON_CHARS = 500;
/** Reasons quote request paths, which are attacker-controlled: a bounded piece of one. */
const MAX_REASON_ENDPOINT_CHARS = 120;
/**
 * Automatic bans wait this long to be written, so that a burst (300 addresses of one /64 in a
 * second) is one write and one reload, not one per batch of threats. Counted from the first ban
 * that waits, not the last: a steady trickle of bans cannot put the write off for ever.
 */
const GATHER_MS = 1000;
/**
 * And at least this long after the previous write or reload: each reload starts new nginx workers
 * while the old ones finish their requests, so reloads in quick succession pile up generations.
 */
const MIN_RELOAD_INTERVAL_MS = 2000;

/** Why a ban is not made: `protected` is the operator's choice and not reported for automatic bans; the others are. */
type Refusal = { kind: "unbannable" | "protected" | "full"; message: string };

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
  /** Threats per /24 or /64, when ban.prefix_threshold is set. */
  private readonly prefixTracker: BurstTracker | null;
  private readonly reloadArgv: string[];
  /** Syncs run one at a time; a change while one runs queues exactly one more. */
  private chain: Promise<unknown> = Promise.resolve();
  private queued: Promise<SyncResult> | null = null;
  /** What the live deny file refuses: its addresses, and its prefixes (rebuilt each time the file is written or found current). */
  private enforced: { addresses: Set<string>; prefixes: IpRange[] } = { addresses: new Set(), prefixes: [] };
  /** The last failure, so that a persisting problem is reported once, and retried by the sweep. */
  private failure: string | null;
  /** A reload that failed after its file was written is owed even though the file no longer changes. */
  private reloadOwed: boolean;

  /** The test a new file passes before it replaces the live one, or null (none configured, or no nginx found). */
  private readonly test: DenyFileTest | null;
  /** The sync syncSoon() asked for, not started yet. */
  private gathering: ReturnType<typeof setTimeout> | null = null;
  /** monotonic() when a sync last wrote the file or ran the reload command. */
  private lastAppliedAt = Number.NEGATIVE_INFINITY;
  /** Bans from the hub refused here (never_ban, a full list), by address: each refusal is logged once. */
  private refusedFromHub = new Set<string>();
  /** Automatic bans refused since the last report, by kind: a flood of them is reported as one log line and one alert. */
  private readonly refused = new Map<Refusal["kind"], { count: number; example: string }>();

  /**
   * `onProblemChange` runs when a problem appears or goes away (to re-run the security check at once);
   * `alerts` raises the alerts of a new problem and of a full deny list (moat serve; the CLI prints them).
   */
  constructor(private readonly ctx: DenyListContext, private readonly options: { onProblemChange?: () => void; alerts?: Pick<AlertService, "raiseAlert"> } = {}) {
    this.cfg = ctx.config.ban;
    this.neverBan = parseNeverBan(this.cfg.never_ban);
    this.tracker = new BurstTracker(this.cfg.threshold, this.cfg.window_seconds * 1000);
    this.prefixTracker = this.cfg.prefix_threshold ? new BurstTracker(this.cfg.prefix_threshold, this.cfg.window_seconds * 1000) : null;
    this.reloadArgv = splitCommand(this.cfg.reload_command);
    this.test = denyFileTest(this.cfg.test_command, this.reloadArgv);
    if (!this.test && this.cfg.test_command.trim() === "auto") ctx.log.warn("no nginx found to test the deny file with: new files replace the live one untested", { hint: "set ban.test_command" });
    // A problem left by an earlier run (or by moat ban) may be a file written but never reloaded: retry it.
    this.failure = storedProblem(ctx.store);
    this.reloadOwed = this.failure !== null;
  }

  /** The current problem with the file or the reload, or null. */
  get problem(): string | null {
    return this.failure;
  }

  /**
   * Whether the deny file nginx holds refuses this client (its address, or a prefix holding it):
   * nginx answered such a request 403 itself, and it counts as blocked. Simulated decisions refuse nothing.
   */
  denies(clientIp: string): boolean {
    const ip = canonicalIp(clientIp);
    if (!ip) return false;
    if (this.enforced.addresses.has(ip)) return true;
    if (!this.enforced.prefixes.length) return false;
    const address = parseIp(ip)!;
    return this.enforced.prefixes.some((range) => rangeContains(range, address));
  }

  /** Active bans, newest first. */
  list(): BanRow[] {
    const now = this.ctx.now();
    return this.ctx.store.db.select().from(bans).orderBy(desc(bans.createdAt)).all().filter((r) => isActive(r, now));
  }

  /** The `never_ban` entry protecting a canonical address, or sharing an address with a canonical prefix, or null. */
  private protectedBy(ipOrRange: string): string | null {
    const range = parseCidr(ipOrRange)!;
    const i = this.neverBan.findIndex((r) => rangeContains(r, range) || (r.family === range.family && rangeContains(range, r)));
    return i < 0 ? null : this.cfg.never_ban[i]!;
  }

  /** The active ban of an address or prefix, or null. */
  get(ip: string): BanRow | null {
    const canonical = canonicalIpOrRange(ip);
    if (!canonical) return null;
    const row = this.ctx.store.db.select().from(bans).where(eq(bans.ip, canonical)).get();
    return row && isActive(row, this.ctx.now()) ? row : null;
  }

  /** Active bans other than `ip`'s (which a new ban of it replaces). */
  private activeBansBesides(ip: string): number {
    const now = this.ctx.now();
    return this.ctx.store.db.select({ n: count() }).from(bans).where(and(ne(bans.ip, ip), or(isNull(bans.expiresAt), gt(bans.expiresAt, now)))).get()!.n;
  }

  /** Why a canonical address may not be banned now, or null. */
  private refusal(ip: string): Refusal | null {
    const problem = banProblem(parseCidr(ip)!);
    if (problem) return { kind: "unbannable", message: `${ip} is ${problem}` };
    const protectedBy = this.protectedBy(ip);
    if (protectedBy) return { kind: "protected", message: `${ip} is protected by ban.never_ban (${protectedBy})` };
    const active = this.activeBansBesides(ip);
    // Refused, never dropped from the file later: the bans that are written stay valid and the operator hears of it.
    if (active >= this.cfg.max_entries) return { kind: "full", message: `the deny list is full (${active} active bans, ban.max_entries = ${this.cfg.max_entries}): ${ip} is not banned; lift bans with moat ban remove, or raise ban.max_entries` };
    return null;
  }

  /** Stores a ban (replacing an earlier one of the same address); the file follows on the next sync. A ban that may not be made is a BanError. */
  ban(ip: string, ban: { reason: string; source: BanRow["source"]; durationMs: number | null }): BanRow {
    const canonical = canonicalOrThrow(ip);
    const refused = this.refusal(canonical);
    if (refused) throw new BanError(refused.message);
    return this.store(canonical, ban);
  }

  /** Stores a ban lasting `durationMs` from now, or (a hub's) until the given `expiresAt`. */
  private store(canonical: string, ban: { reason: string; source: BanRow["source"]; simulated?: boolean } & ({ durationMs: number | null } | { expiresAt: number | null })): BanRow {
    const now = this.ctx.now();
    const simulated = ban.simulated ?? false;
    const expiresAt = "expiresAt" in ban ? ban.expiresAt : ban.durationMs === null ? null : now + ban.durationMs;
    const values = { reason: ban.reason, source: ban.source, createdAt: now, expiresAt, simulated };
    const title = simulated ? `Would ban ${canonical} (ban.simulate)` : `Banned ${canonical}`;
    const row = this.recorded(
      () => this.ctx.store.db.insert(bans).values({ ip: canonical, ...values }).onConflictDoUpdate({ target: bans.ip, set: values }).returning().get(),
      (row) => [{ type: "ban.added", title, details: `${BAN_SOURCE_WORDS[ban.source]}, ${describeExpiry(row.expiresAt)}: ${ban.reason}`, ip: canonical }],
    );
    this.ctx.log.info(simulated ? "ban decided (simulated: not written)" : "banned", { ip: canonical, source: ban.source, expires: describeExpiry(row.expiresAt), reason: ban.reason });
    return row;
  }

  /** Removes a ban (of an address or a prefix) by hand; null when there was none. */
  unban(ip: string): BanRow | null {
    const canonical = canonicalIpOrRange(ip);
    if (!canonical) throw new BanError(`"${ip}" is neither an IP address nor a prefix such as 203.0.113.0/24`);
    const row = this.recorded(
      () => this.ctx.store.db.delete(bans).where(eq(bans.ip, canonical)).returning().get(),
      (row) => (row ? [{ type: "ban.removed", title: `Ban on ${canonical} removed`, details: `by hand (it was ${row.source}: ${row.reason})`, ip: canonical }] : []),
    );
    if (!row) return null;
    this.ctx.log.info("ban removed", { ip: canonical });
    return row;
  }

  /**
   * An agent takes its hub's decisions (src/agent/): each active ban the hub holds becomes a `hub` ban
   * here, until the hub's own expiry, and a `hub` ban the hub no longer holds is lifted. A ban this
   * Moat made itself (automatic or by hand) stands as it is; never_ban, ban.max_entries and
   * ban.simulate apply as to any ban, and a refusal is logged once while the hub holds that ban (it is
   * tried again at each heartbeat: a full list may have room later). The file follows when anything
   * changed; returns the number of bans added, changed or lifted.
   */
  adopt(hubBans: readonly { ip: string; reason: string; expiresAt: number | null }[]): number {
    const now = this.ctx.now();
    const held = new Map(this.ctx.store.db.select().from(bans).all().map((r) => [r.ip, r]));
    const wanted = new Set<string>();
    const refusedNow = new Set<string>();
    let changes = 0;
    for (const ban of hubBans) {
      const ip = canonicalIpOrRange(ban.ip);
      if (!ip || (ban.expiresAt !== null && ban.expiresAt <= now)) continue;
      wanted.add(ip);
      const reason = clip(escapeControls(ban.reason), MAX_HUB_REASON_CHARS);
      const mine = held.get(ip);
      if (mine && (mine.source !== "hub" || (mine.expiresAt === ban.expiresAt && mine.reason === reason))) continue;
      const refused = this.refusal(ip);
      if (refused) {
        if (refused.kind !== "protected" && !this.refusedFromHub.has(ip)) this.ctx.log.warn("a ban from the hub is refused here", { ip, why: refused.message });
        refusedNow.add(ip);
        continue;
      }
      this.store(ip, { source: "hub", reason, expiresAt: ban.expiresAt, simulated: this.cfg.simulate });
      changes++;
    }
    for (const row of held.values()) {
      if (row.source !== "hub" || wanted.has(row.ip)) continue;
      this.recorded(
        () => this.ctx.store.db.delete(bans).where(eq(bans.ip, row.ip)).run(),
        () => [{ type: "ban.removed", title: `Ban on ${row.ip} lifted by the hub`, details: `the hub no longer holds it: ${row.reason}`, ip: row.ip }],
      );
      changes++;
    }
    this.refusedFromHub = refusedNow; // forgotten once the hub drops the ban or it is taken
    if (changes && !this.cfg.simulate) this.syncSoon();
    return changes;
  }

  /** Deletes the bans that expired by `now`; returns them. */
  expire(now: number): BanRow[] {
    const expired = this.recorded(
      () => this.ctx.store.db.delete(bans).where(and(isNotNull(bans.expiresAt), lte(bans.expiresAt, now))).returning().all(),
      (rows) => rows.map((row) => ({ type: "ban.expired", title: `Ban on ${row.ip} expired`, details: `decided ${BAN_SOURCE_WORDS[row.source]} at ${new Date(row.createdAt).toISOString()}: ${row.reason}`, ip: row.ip })),
    );
    for (const row of expired) this.ctx.log.info("ban expired", { ip: row.ip });
    return expired;
  }

  /**
   * A change to the bans and the activities that record it, in one transaction: whoever reads the
   * database (another hub, the console, moat ban list) sees a ban added, lifted or expired only with
   * the record of it. Nested in a caller's transaction it is a savepoint.
   */
  private recorded<T>(change: () => T, records: (result: T) => NewActivity[]): T {
    return this.ctx.store.db.transaction(() => {
      const result = change();
      for (const activity of records(result)) this.ctx.activities.record(activity);
      return result;
    });
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
    if (now - row.time > this.cfg.window_seconds * 1000 || !this.counts(row)) return;
    const ip = canonicalIp(row.clientIp);
    if (!ip) return;
    const prefix = this.prefixTracker ? campaignPrefix(ip) : null;
    const banned = [
      this.tracker.add(ip, row.time) && this.decide(ip, row, `${this.cfg.threshold} threats within ${this.cfg.window_seconds} s`),
      prefix !== null && this.prefixTracker!.add(prefix, row.time) && this.decide(prefix, row, `${this.cfg.prefix_threshold} threats from ${prefix} within ${this.cfg.window_seconds} s`),
    ];
    // A simulated decision writes nothing: no file, no reload.
    if (banned.some(Boolean) && !this.cfg.simulate) this.syncSoon();
  }

  /** Whether a threat counts toward a ban: at ban.min_severity or worse, of ban.attack_types (never an anomaly unless listed). */
  private counts(row: ThreatRow): boolean {
    if (!atLeastSeverity(row.severity, this.cfg.min_severity)) return false;
    return this.cfg.attack_types.length ? this.cfg.attack_types.includes(row.attackType) : row.attackType !== "anomaly";
  }

  /** Bans an address or prefix that crossed its threshold, unless it is banned, protected or refused; returns whether it did. */
  private decide(target: string, row: ThreatRow, why: string): boolean {
    // Control characters would reach the terminal of `moat decisions list` (escape sequences): shown as U+FFFD.
    const endpoint = clip(row.endpoint.replace(/[\u0000-\u001f\u007f-\u009f]/g, "\ufffd"), MAX_REASON_ENDPOINT_CHARS);
    try {
      if (this.get(target)) return false;
      const refused = this.refusal(target);
      if (refused) {
        if (refused.kind !== "protected") this.countRefusal(refused);
        return false;
      }
      this.store(target, {
        source: "auto",
        reason: `${why}, latest ${row.attackType} (${row.severity}) on ${row.method} ${endpoint}`,
        durationMs: this.cfg.duration_seconds ? this.cfg.duration_seconds * 1000 : null,
        simulated: this.cfg.simulate,
      });
      return true;
    } catch (e) {
      // The bus would swallow it: a ban that could not be stored (database full, locked) must at least be logged.
      this.ctx.log.error("cannot ban", { target, error: (e as Error).message });
      return false;
    }
  }

  private countRefusal(refused: Refusal): void {
    const seen = this.refused.get(refused.kind);
    if (seen) seen.count++;
    else this.refused.set(refused.kind, { count: 1, example: refused.message });
    this.syncSoon(); // reported with the next write, gathered like it
  }

  /** Logs the automatic bans refused since the last report; a full list also raises an alert: attackers go unbanned. */
  private reportRefusals(): void {
    for (const [kind, { count: refusals, example }] of this.refused) {
      this.ctx.log.warn("automatic bans refused", { count: refusals, kind, example });
      if (kind === "full") this.alert({ type: "warning", severity: "high", title: "Deny list full: attackers are not banned", description: `${refusals} automatic ban(s) refused; ${example}`, groupKey: "deny-list:full", occurrences: refusals });
    }
    this.refused.clear();
  }

  private alert(draft: Omit<AlertDraft, "source">): void {
    try {
      this.options.alerts?.raiseAlert({ ...draft, source: "deny list" });
    } catch (e) {
      this.ctx.log.error("cannot store a deny list alert", { title: draft.title, error: (e as Error).message });
    }
  }

  /**
   * A sync after GATHER_MS, and MIN_RELOAD_INTERVAL_MS after the last write or reload (monotonic, so
   * that a clock step neither stalls nor hurries it); what more arrives meanwhile joins it.
   */
  private syncSoon(): void {
    if (this.gathering) return;
    const wait = Math.max(GATHER_MS, this.lastAppliedAt + MIN_RELOAD_INTERVAL_MS - this.ctx.monotonic());
    this.gathering = setTimeout(() => void this.sync(), wait);
    this.gathering.unref?.(); // moat serve runs on; a one-shot command must not wait for it
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

  /** Resolves once the syncs asked for so far, a gathering one included, are done (before the store closes). */
  async idle(): Promise<void> {
    if (this.gathering) void this.sync();
    await this.chain;
  }

  private async syncNow(): Promise<SyncResult> {
    // This sync sees every ban stored so far: a gathering one is no longer needed.
    if (this.gathering) clearTimeout(this.gathering);
    this.gathering = null;
    this.reportRefusals();
    const file = this.cfg.file;
    let rendered: ReturnType<typeof renderDenyFile>;
    let changed: boolean;
    try {
      rendered = renderDenyFile(banRowsOldestFirst(this.ctx.store), this.ctx.now(), this.cfg.max_entries);
      changed = !fileHolds(file, rendered.text);
    } catch (e) {
      return this.failed({ written: false, addresses: 0, file, reload: "skipped" }, `cannot write the deny file ${file}: ${(e as Error).message}`);
    }
    for (const { ip, why } of rendered.refused) this.ctx.log.error("a stored ban may not be written: left out of the deny file", { ip, why });
    if (rendered.overCap.length) this.ctx.log.error("active bans left out of the deny file: more than ban.max_entries", { left_out: rendered.overCap.length, max_entries: this.cfg.max_entries, first: rendered.overCap[0] });
    const addresses = rendered.addresses.length;
    if (changed && this.test) {
      let problem: string | null;
      try {
        problem = await this.test.run(rendered.text);
      } catch (e) {
        problem = `cannot run it: ${(e as Error).message}`;
      }
      if (problem) return this.failed({ written: false, addresses, file, reload: "skipped" }, `the new deny file failed its test (${this.test.describe}), so ${file} was left as it was: ${problem}`);
    }
    const written = changed; // read above, before the test: the file is not read again
    try {
      if (written) writeDenyFile(file, rendered.text);
    } catch (e) {
      return this.failed({ written: false, addresses: 0, file, reload: "skipped" }, `cannot write the deny file ${file}: ${(e as Error).message}`);
    }
    if (written) this.lastAppliedAt = this.ctx.monotonic();
    this.enforced = enforcedBy(rendered.addresses);
    const result: SyncResult = { written, addresses, file, reload: "skipped", error: null };
    if (written) this.ctx.log.info("deny file written", { file, addresses: rendered.addresses.length });
    if (!this.reloadArgv.length) {
      result.reload = "not configured";
    } else if (written || this.reloadOwed) {
      const problem = await runCommand(this.reloadArgv);
      this.lastAppliedAt = this.ctx.monotonic();
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
      this.alert({ type: "warning", severity: "high", title: "Deny list not applied", description: message, groupKey: "deny-list:problem", occurrences: 1 });
      this.options.onProblemChange?.();
    }
    return { ...result, error: message };
  }
}

/** The addresses and prefixes of a written deny file, ready for denies(). */
function enforcedBy(entries: string[]): { addresses: Set<string>; prefixes: IpRange[] } {
  const addresses = new Set<string>();
  const prefixes: IpRange[] = [];
  for (const entry of entries) {
    if (entry.includes("/")) prefixes.push(parseCidr(entry)!);
    else addresses.add(entry);
  }
  return { addresses, prefixes };
}
