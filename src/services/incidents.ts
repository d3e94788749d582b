/**
 * Incidents: the alert of a campaign — one attack type from one network (IPv4 /24, IPv6 /64) while the
 * alert is open — with its threats as members. The contract's alert endpoints see one alert per
 * incident; its description sums the campaign up, and GET /api/incidents/:id gives the whole picture.
 */
import { count, countDistinct, desc, eq, inArray, max, min } from "drizzle-orm";
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

/** The threats join their incident; its description becomes the campaign's summary, then the latest occurrence. */
export function joinIncident(store: Store, incident: AlertRow, threatIds: number[], latest: string): AlertRow {
  store.db.update(threats).set({ incidentId: incident.id }).where(inArray(threats.id, threatIds)).run();
  const totals = store.db.select({ threats: count(), addresses: countDistinct(threats.clientIp), endpoints: countDistinct(threats.endpoint) }).from(threats).where(eq(threats.incidentId, incident.id)).get()!;
  const endpoints = topBy(store, incident.id, threats.endpoint, SUMMARY_ITEMS).map((e) => clip(e.value, MAX_ENDPOINT_CHARS));
  const more = totals.endpoints > endpoints.length ? `, +${totals.endpoints - endpoints.length} more` : "";
  const description = `${totals.threats} threats from ${totals.addresses} address${totals.addresses === 1 ? "" : "es"} on ${endpoints.join(", ")}${more}. ${latest}`;
  return store.db.update(alerts).set({ description }).where(eq(alerts.id, incident.id)).returning().get() ?? incident;
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
