/**
 * Alerts: raised from stored threats (grave payloads, bursts from one IP) and from the per-minute
 * rollups (5xx share, request-rate jumps). Alerts with the same group key are one alert with a count
 * while it is open (active or acknowledged). Every new or changed alert goes on the bus and, when a
 * webhook is configured, out to it.
 */
import { and, desc, eq, gte, inArray, lt, lte, sql } from "drizzle-orm";
import { isIP } from "node:net";
import type { ServiceContext } from "./context.ts";
import type { Db } from "../store/db.ts";
import { alerts, metricRollups } from "../store/schema.ts";
import { BurstTracker, burstAlert, errorRateAlert, graver, mergeDrafts, rateJumpAlert, threatAlerts, type AlertDraft } from "./alert-rules.ts";
import type { ActivityType } from "./activities.ts";
import type { AlertRow, ThreatRow } from "../store/rows.ts";
import { MINUTE_MS } from "./range.ts";
import { AlertWebhook, type WebhookStats } from "./webhook.ts";
import { acknowledgeMembers, IncidentSummaries, incidentMembers } from "./incidents.ts";
import type { Lookup } from "../core/outbound-url.ts";

export type AlertContext = Pick<ServiceContext, "store" | "bus" | "activities" | "config" | "log" | "now" | "monotonic">;

export interface AlertServiceOptions {
  /** For the webhook; tests pass their own. */
  fetch?: typeof fetch;
  lookup?: Lookup;
}

export const MAX_ALERTS_PER_QUERY = 1000;
/**
 * The rate-jump baseline is the mean of up to this many minutes before the one checked: an hour
 * follows the site's current level, and one busy minute in it moves the mean little.
 */
const BASELINE_MINUTES = 60;
/**
 * Fewer minutes than this are no baseline: just after installation (or a quiet night where few
 * minutes had any traffic) an ordinary busy minute would look like a jump.
 */
const MIN_BASELINE_MINUTES = 10;
const OPEN_STATUSES: AlertRow["status"][] = ["active", "acknowledged"];

function clampLimit(limit: number): number {
  return Number.isFinite(limit) ? Math.min(Math.max(Math.trunc(limit), 0), MAX_ALERTS_PER_QUERY) : MAX_ALERTS_PER_QUERY;
}

const p = sql.placeholder;

function prepareRaise(db: Db) {
  return {
    openInGroup: db.select().from(alerts).where(and(eq(alerts.groupKey, p("groupKey")), inArray(alerts.status, OPEN_STATUSES))).orderBy(desc(alerts.id)).limit(1).prepare(),
    insert: db
      .insert(alerts)
      .values({ type: p("type"), severity: p("severity"), title: p("title"), description: p("description"), source: p("source"), groupKey: p("groupKey"), count: p("count"), status: "active", firstSeen: p("now"), lastSeen: p("now"), updatedAt: p("now") })
      .returning()
      .prepare(),
    addOccurrences: db
      .update(alerts)
      .set({ type: sql`${p("type")}`, severity: sql`${p("severity")}`, description: sql`${p("description")}`, count: sql`${alerts.count} + ${p("occurrences")}`, lastSeen: sql`${p("now")}`, updatedAt: sql`${p("now")}` })
      .where(eq(alerts.id, p("id")))
      .returning()
      .prepare(),
  };
}

export class AlertService {
  private readonly bursts: BurstTracker;
  private webhook: AlertWebhook | null;
  /** The incidents' summaries, counted again at most every few seconds (src/services/incidents.ts). */
  private readonly incidents = new IncidentSummaries();
  /** The last minute checkTraffic judged: a minute counts once however often the job runs. */
  private lastCheckedMinute = Number.NEGATIVE_INFINITY;

  /** raise()'s statements, prepared once: threats raise alerts on every write of a busy service. */
  private readonly statements: ReturnType<typeof prepareRaise>;

  constructor(private readonly ctx: AlertContext, private readonly options: AlertServiceOptions = {}) {
    const cfg = ctx.config.alerts;
    this.statements = prepareRaise(ctx.store.db);
    this.bursts = new BurstTracker(cfg.burst_threats, cfg.burst_window_seconds * 1000);
    this.webhook = null;
    this.setWebhookUrl(cfg.webhook_url);
  }

  /** Points the webhook at `url` ("" turns it off); posts still queued for the previous URL are dropped. */
  setWebhookUrl(url: string): void {
    this.webhook?.close();
    const { fetch, lookup } = this.options;
    this.webhook = url ? new AlertWebhook({ url, allowRanges: this.ctx.config.alerts.webhook_allow_ranges, fetch, lookup, log: this.ctx.log }, () => this.ctx.monotonic()) : null;
  }

  /** Called with every batch of newly stored threats; returns the alerts it raised or updated. */
  onThreats(rows: ThreatRow[]): AlertRow[] {
    const drafts = mergeDrafts([...threatAlerts(rows), ...this.burstDrafts(rows)]);
    return drafts.length ? this.raiseAll(drafts, incidentMembers(rows)) : [];
  }

  /** Judges the last complete minute before `now` from its rollup; returns the alerts it raised or updated. */
  checkTraffic(now: number): AlertRow[] {
    const minuteStart = Math.floor(now / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
    if (minuteStart <= this.lastCheckedMinute) return [];
    this.lastCheckedMinute = minuteStart;
    const { db } = this.ctx.store;
    // The whole site's minute: on a hub, every agent's row of it summed.
    const rows = db.select().from(metricRollups).where(and(eq(metricRollups.resolution, "minute"), eq(metricRollups.bucket, minuteStart))).all();
    if (!rows.length) return [];
    const minute = { ...rows[0]!, requests: rows.reduce((n, r) => n + r.requests, 0), errors5xx: rows.reduce((n, r) => n + r.errors5xx, 0) };
    // Minutes without traffic have no rollup, so the mean is over busy minutes only: it errs high, towards fewer jump alerts on a quiet site.
    const baseline = db
      .select({ minutes: sql<number>`count(distinct ${metricRollups.bucket})`, mean: sql<number | null>`sum(${metricRollups.requests}) * 1.0 / nullif(count(distinct ${metricRollups.bucket}), 0)` })
      .from(metricRollups)
      .where(and(eq(metricRollups.resolution, "minute"), gte(metricRollups.bucket, minuteStart - BASELINE_MINUTES * MINUTE_MS), lt(metricRollups.bucket, minuteStart)))
      .get();
    const cfg = this.ctx.config.alerts;
    const drafts = [errorRateAlert(minute, cfg.error_rate_percent)];
    if (baseline && baseline.minutes >= MIN_BASELINE_MINUTES && baseline.mean !== null) drafts.push(rateJumpAlert(minute, baseline.mean, cfg.rate_jump_factor));
    const raised = drafts.filter((d) => d !== null);
    return raised.length ? this.raiseAll(raised) : [];
  }

  /** Raises an alert no threat or rollup rule drafts (a damaged database); returns it as stored. */
  raiseAlert(draft: AlertDraft): AlertRow {
    return this.raiseAll([draft])[0]!;
  }

  /** Acknowledging an incident acknowledges its threats too (those not acknowledged yet). */
  acknowledge(id: number): AlertRow | null {
    const row = this.changeStatus(id, "acknowledged", "alert.acknowledged", "Alert acknowledged", ["active"]);
    if (row?.status === "acknowledged") acknowledgeMembers(this.ctx.store, id, row.updatedAt);
    return row;
  }

  dismiss(id: number): AlertRow | null {
    return this.changeStatus(id, "dismissed", "alert.dismissed", "Alert dismissed", OPEN_STATUSES);
  }

  /** Open alerts not raised again for auto_resolve_minutes become resolved; returns them. */
  autoResolve(now: number): AlertRow[] {
    const cutoff = now - this.ctx.config.alerts.auto_resolve_minutes * MINUTE_MS;
    const stale = this.ctx.store.db.select({ id: alerts.id }).from(alerts).where(and(inArray(alerts.status, OPEN_STATUSES), lt(alerts.lastSeen, cutoff))).all();
    return stale.map(({ id }) => this.changeStatus(id, "resolved", "alert.resolved", "Alert resolved", OPEN_STATUSES)).filter((row) => row !== null);
  }

  /** Active and acknowledged alerts, most recently seen first. */
  active(limit: number): AlertRow[] {
    return this.ctx.store.db.select().from(alerts).where(inArray(alerts.status, OPEN_STATUSES)).orderBy(desc(alerts.lastSeen), desc(alerts.id)).limit(clampLimit(limit)).all();
  }

  /** Alerts in every state that were open at some time within [since, until], most recently seen first. */
  history(options: { since?: number; until?: number; limit: number }): AlertRow[] {
    const conditions = [options.since !== undefined ? gte(alerts.lastSeen, options.since) : undefined, options.until !== undefined ? lte(alerts.firstSeen, options.until) : undefined].filter((c) => c !== undefined);
    return this.ctx.store.db.select().from(alerts).where(conditions.length ? and(...conditions) : undefined).orderBy(desc(alerts.lastSeen), desc(alerts.id)).limit(clampLimit(options.limit)).all();
  }

  byId(id: number): AlertRow | null {
    return this.ctx.store.db.select().from(alerts).where(eq(alerts.id, id)).get() ?? null;
  }

  /** Delivery figures of the webhook, or null when none is configured. */
  get webhookStats(): WebhookStats | null {
    return this.webhook?.stats ?? null;
  }

  /** Resolves once the webhook has delivered (or given up on) everything queued so far. */
  async webhookIdle(): Promise<void> {
    await this.webhook?.idle();
  }

  close(): void {
    this.webhook?.close();
  }

  private burstDrafts(rows: ThreatRow[]): AlertDraft[] {
    const threshold = this.ctx.config.alerts.burst_threats;
    const window = this.ctx.config.alerts.burst_window_seconds;
    return rows.filter((row) => this.bursts.add(row.clientIp, row.time)).map((row) => burstAlert(row.clientIp, threshold, window, row.attackType));
  }

  /**
   * Stores the drafts in one transaction, then tells the bus and the webhook (only what was committed).
   * `members` are the threats of each incident's group key: they join the incident, whose description
   * then sums up the campaign so far.
   */
  private raiseAll(drafts: AlertDraft[], members = new Map<string, number[]>()): AlertRow[] {
    const now = this.ctx.now();
    // bun:sqlite has one connection, so the statements raise() runs through `db` are inside this transaction.
    const stored = this.ctx.store.db.transaction(() =>
      drafts.map((draft) => {
        const raised = this.raise(draft, now);
        const ids = members.get(draft.groupKey);
        return ids ? { ...raised, row: this.incidents.join(this.ctx.store, raised.row, ids, draft.description, now) } : raised;
      }),
    );
    for (const { row, isNew } of stored) {
      this.ctx.bus.publish({ type: "alert", data: row });
      this.webhook?.notify(row, isNew);
    }
    return stored.map(({ row }) => row);
  }

  private raise(draft: AlertDraft, now: number): { row: AlertRow; isNew: boolean } {
    const q = this.statements;
    const open = q.openInGroup.get({ groupKey: draft.groupKey });
    const { occurrences, ...fields } = draft;
    if (!open) {
      const row = q.insert.get({ ...fields, count: occurrences, now })!;
      return { row, isNew: true };
    }
    // A graver occurrence (a critical payload after high ones) makes the whole alert graver; never the reverse.
    const { type, severity } = graver(open, draft);
    const row = q.addOccurrences.get({ id: open.id, type, severity, description: draft.description, occurrences, now });
    return { row: row ?? open, isNew: false };
  }

  /** Moves an alert from one of `from` to `to`; an alert in any other state is returned unchanged. */
  private changeStatus(id: number, to: AlertRow["status"], activity: ActivityType, title: string, from: AlertRow["status"][]): AlertRow | null {
    const current = this.byId(id);
    if (!current || !from.includes(current.status)) return current;
    const now = this.ctx.now();
    const row = this.ctx.store.db.update(alerts).set({ status: to, updatedAt: now }).where(eq(alerts.id, id)).returning().get() ?? current;
    this.ctx.activities.record({ type: activity, title, details: `#${row.id} ${row.title}`, ip: isIP(row.source) ? row.source : undefined, time: now });
    this.ctx.bus.publish({ type: "alert", data: row });
    return row;
  }
}
