/**
 * Incidents: the alert of a campaign — one attack type from one network (IPv4 /24, IPv6 /64) while the
 * alert is open — with its threats as members. The contract's alert endpoints see one alert per
 * incident; its description sums the campaign up, and GET /api/incidents/:id gives the whole picture.
 */
import { and, count, countDistinct, desc, eq, isNull, max, min, sql } from "drizzle-orm";
import { alerts, threats } from "../store/schema.ts";
import type { Store } from "../store/db.ts";
import type { AlertRow, ThreatRow } from "../store/rows.ts";
import { clip, incidentKey } from "./alert-rules.ts";

/** Endpoints and addresses an incident's summary names at most; the detail lists more. */
const SUMMARY_ITEMS = 3;
const DETAIL_ITEMS = 20;
const MAX_ENDPOINT_CHARS = 80;

/** The threats of a batch by the group key of the incident they belong to. */
export function incidentMembers(rows: ThreatRow[]): Map<string, number[]> {
  const members = new Map<string, number[]>();
  for (const row of rows) {
    const { groupKey } = incidentKey(row);
    const ids = members.get(groupKey);
    if (ids) ids.push(row.id);
    else members.set(groupKey, [row.id]);
  }
  return members;
}

function topBy(store: Store, incidentId: number, column: typeof threats.endpoint | typeof threats.clientIp, limit: number): { value: string; threats: number }[] {
  return store.db
    .select({ value: column, threats: count() })
    .from(threats)
    .where(eq(threats.incidentId, incidentId))
    .groupBy(column)
    .orderBy(desc(count()), column)
    .limit(limit)
    .all();
}

/** An incident's summary is counted again at most this often: its queries grow with the campaign. */
const SUMMARY_EVERY_MS = 10_000;

/**
 * Incident summaries as last counted, per alert id, so that a busy campaign costs one set of counting
 * queries every SUMMARY_EVERY_MS instead of one per batch of threats (the counts grow with it).
 */
export class IncidentSummaries {
  private readonly last = new Map<number, { text: string; at: number }>();
  /** Prepared once: this runs for every batch of threats, where drizzle's query building would cost more than SQLite. */
  private statements: ReturnType<typeof prepare> | null = null;

  /** The threats join their incident; its description becomes the campaign's summary, then the latest occurrence. */
  join(store: Store, incident: AlertRow, threatIds: number[], latest: string, now: number): AlertRow {
    const q = (this.statements ??= prepare(store));
    for (const id of threatIds) q.joinThreat.run({ incidentId: incident.id, id });
    let summary = this.last.get(incident.id);
    if (!summary || now - summary.at >= SUMMARY_EVERY_MS) {
      this.last.delete(incident.id); // re-inserted: the map's order is least recently counted first
      this.last.set(incident.id, (summary = { text: summarize(store, incident.id), at: now }));
      for (const id of this.last.keys()) {
        if (this.last.size <= MAX_REMEMBERED) break;
        this.last.delete(id);
      }
    }
    return q.describe.get({ id: incident.id, description: `${summary.text}. ${latest}` }) ?? incident;
  }
}

function prepare(store: Store) {
  const p = sql.placeholder;
  return {
    joinThreat: store.db.update(threats).set({ incidentId: sql`${p("incidentId")}` }).where(eq(threats.id, p("id"))).prepare(),
    describe: store.db.update(alerts).set({ description: sql`${p("description")}` }).where(eq(alerts.id, p("id"))).returning().prepare(),
  };
}

/** Incidents whose summary is remembered at most (older ones are counted again when they come back). */
const MAX_REMEMBERED = 10_000;

/** "12 threats from 5 addresses on /login, /, /api/x, +2 more". */
function summarize(store: Store, incidentId: number): string {
  const totals = store.db.select({ threats: count(), addresses: countDistinct(threats.clientIp), endpoints: countDistinct(threats.endpoint) }).from(threats).where(eq(threats.incidentId, incidentId)).get()!;
  const endpoints = topBy(store, incidentId, threats.endpoint, SUMMARY_ITEMS).map((e) => clip(e.value, MAX_ENDPOINT_CHARS));
  const more = totals.endpoints > endpoints.length ? `, +${totals.endpoints - endpoints.length} more` : "";
  return `${totals.threats} threat${totals.threats === 1 ? "" : "s"} from ${totals.addresses} address${totals.addresses === 1 ? "" : "es"} on ${endpoints.join(", ")}${more}`;
}

/** Marks an incident's threats acknowledged, at `now`, those not acknowledged yet. */
export function acknowledgeMembers(store: Store, incidentId: number, now: number): void {
  store.db.update(threats).set({ acknowledgedAt: now }).where(and(eq(threats.incidentId, incidentId), isNull(threats.acknowledgedAt))).run();
}

export interface IncidentDetail {
  alert: AlertRow;
  threats: number;
  firstSeen: number | null;
  lastSeen: number | null;
  /** The most frequent first. */
  addresses: { value: string; threats: number }[];
  endpoints: { value: string; threats: number }[];
}

/** An incident with its counts, first and last seen, and the addresses and endpoints it hit; null when no such alert. */
export function incidentDetail(store: Store, id: number): IncidentDetail | null {
  const alert = store.db.select().from(alerts).where(eq(alerts.id, id)).get();
  if (!alert) return null;
  const span = store.db.select({ threats: count(), firstSeen: min(threats.time), lastSeen: max(threats.time) }).from(threats).where(eq(threats.incidentId, id)).get()!;
  return { alert, ...span, addresses: topBy(store, id, threats.clientIp, DETAIL_ITEMS), endpoints: topBy(store, id, threats.endpoint, DETAIL_ITEMS) };
}
