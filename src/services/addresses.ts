/**
 * The console's questions about client addresses: who attacked most in a range, what one address
 * did (its requests in the recent window, its threats, first and last seen), and how old the data
 * is (the dashboard picks its default range from that).
 */
import { and, count, desc, eq, gte, max, min, sql, type SQL } from "drizzle-orm";
import type { Store } from "../store/db.ts";
import { metricRollups, threats, traffic } from "../store/schema.ts";
import { agentIs } from "./threats.ts";

export interface Attacker {
  ip: string;
  threats: number;
  lastSeen: number;
  /** Its attack types, the most frequent first. */
  types: string[];
}

/** The addresses with the most threats since `since`, the most recent first among equals. */
/** The addresses with the most threats since `since` (on a hub: seen by one agent, when given). */
export function topAttackers(store: Store, since: number, limit: number, agent?: string): Attacker[] {
  const seenBy = agent === undefined ? undefined : agentIs(threats.agent, agent);
  const rows = store.db
    .select({ ip: threats.clientIp, threats: count(), lastSeen: max(threats.time) })
    .from(threats)
    .where(and(gte(threats.time, since), seenBy))
    .groupBy(threats.clientIp)
    .orderBy(desc(count()), desc(max(threats.time)))
    .limit(limit)
    .all();
  return rows.map((r) => ({ ip: r.ip, threats: r.threats, lastSeen: r.lastSeen ?? since, types: typesOf(store, r.ip, since, seenBy) }));
}

function typesOf(store: Store, ip: string, since: number, seenBy: SQL | undefined): string[] {
  return store.db
    .select({ type: threats.attackType })
    .from(threats)
    .where(and(eq(threats.clientIp, ip), gte(threats.time, since), seenBy))
    .groupBy(threats.attackType)
    .orderBy(desc(count()))
    .all()
    .map((r) => r.type);
}

export interface AddressActivity {
  /** Requests still in the recent-traffic window (benign rows are pruned first, so an old address may show none). */
  requests: number;
  flagged: number;
  /** Threats ever stored for it (threats outlive their traffic rows). */
  threats: number;
  firstSeen: number | null;
  lastSeen: number | null;
}

export function addressActivity(store: Store, ip: string): AddressActivity {
  const seen = store.db
    .select({ requests: count(), flagged: sql<number>`coalesce(sum(${traffic.isAnomaly}), 0)`, first: min(traffic.time), last: max(traffic.time) })
    .from(traffic)
    .where(eq(traffic.clientIp, ip))
    .get()!;
  const threatened = store.db.select({ threats: count(), first: min(threats.time), last: max(threats.time) }).from(threats).where(eq(threats.clientIp, ip)).get()!;
  const firsts = [seen.first, threatened.first].filter((t) => t !== null);
  const lasts = [seen.last, threatened.last].filter((t) => t !== null);
  return {
    requests: seen.requests,
    flagged: Number(seen.flagged),
    threats: threatened.threats,
    firstSeen: firsts.length ? Math.min(...firsts) : null,
    lastSeen: lasts.length ? Math.max(...lasts) : null,
  };
}

/** The start of the oldest rollup bucket: when the data the charts draw begins, or null before any request. */
export function oldestData(store: Store): number | null {
  return store.db.select({ oldest: min(metricRollups.bucket) }).from(metricRollups).get()?.oldest ?? null;
}
