/**
 * The hub's side of agents (`moat serve --hub URL`): it stores what they judged, each batch exactly
 * once, and keeps what each says of itself. An agent is known by its key's name (moat apikey create
 * NAME --scope agent): revoking the key cuts it off.
 */
import { desc, eq, sql } from "drizzle-orm";
import type { WireEntry, WireHeartbeat } from "../core/agent-wire.ts";
import type { Store } from "../store/db.ts";
import { perStore } from "../store/per-store.ts";
import type { ThreatRow, TrafficRow } from "../store/rows.ts";
import { agents } from "../store/schema.ts";
import type { StoreWriter } from "../store/writer.ts";
import type { Activities } from "./activities.ts";

export type AgentRow = typeof agents.$inferSelect;

export class AgentBatchError extends Error {}

/** An agent reports every hub.heartbeat_seconds (5 s by default): one not heard from for this long has gone silent. */
const SILENT_AFTER_MS = 60_000;

export function isReporting(agent: Pick<AgentRow, "lastSeenAt">, now: number): boolean {
  return now - agent.lastSeenAt <= SILENT_AFTER_MS;
}

/**
 * Stores an agent's batches in order; a batch stored before (sent again after a lost answer) is
 * skipped whole. Returns the counts and the rows now stored, for the live bus.
 */
export function storeAgentBatches(store: Store, writer: StoreWriter, agent: string, entries: readonly WireEntry[], now: number): { stored: number; duplicates: number; traffic: TrafficRow[]; threats: ThreatRow[] } {
  for (const e of entries) {
    if (e.verdicts.length !== e.requests.length || e.blocked.length !== e.requests.length) {
      throw new AgentBatchError(`batch ${e.seq}: ${e.requests.length} requests, ${e.verdicts.length} verdicts and ${e.blocked.length} blocked flags; they must be as many`);
    }
  }
  const out = { stored: 0, duplicates: 0, traffic: [] as TrafficRow[], threats: [] as ThreatRow[] };
  for (const e of entries) {
    const rows = writer.write({ requests: e.requests, verdicts: e.verdicts, blocked: e.blocked, rejected: e.rejected, now: e.now, from: { agent, instance: e.instance, seq: e.seq, receivedAt: now } });
    if (rows.duplicate) out.duplicates++;
    else out.stored++;
    out.traffic.push(...rows.traffic);
    out.threats.push(...rows.threats);
  }
  markLastBatch(store, agent, now);
  return out;
}

/**
 * An agent's last batch, to the second: written at most once a second per agent, since on PostgreSQL
 * each write is a commit of its own, and an agent posts many times a second under load.
 */
function markLastBatch(store: Store, agent: string, now: number): void {
  const marked = lastBatchMarks(store);
  const last = marked.get(agent);
  // Either way: a wall clock set back must not freeze the column at a time still to come.
  if (last !== undefined && Math.abs(now - last) < LAST_BATCH_RESOLUTION_MS) return;
  store.db.update(agents).set({ lastBatchAt: now }).where(eq(agents.name, agent)).run();
  marked.set(agent, now);
}
const LAST_BATCH_RESOLUTION_MS = 1000;
/** When this process last wrote each agent's last batch time. */
const lastBatchMarks = perStore(() => new Map<string, number>());

/** Records an agent's heartbeat; its first one is an activity. */
export function recordAgentReport(store: Store, activities: Activities, agent: string, report: WireHeartbeat, now: number): void {
  const values = {
    host: report.host,
    version: report.version,
    site: report.site ?? "",
    sources: JSON.stringify(report.sources),
    outboxBatches: report.outbox.batches,
    outboxRequests: report.outbox.requests,
    dropped: report.outbox.dropped,
    lagSeconds: report.outbox.lagSeconds,
    lastSeenAt: now,
  };
  const row = store.db.insert(agents).values({ name: agent, firstSeenAt: now, ...values }).onConflictDoUpdate({ target: agents.name, set: values }).returning({ firstSeenAt: agents.firstSeenAt }).get();
  if (row?.firstSeenAt === now) activities.record({ type: "agent.joined", title: `Agent ${agent} joined`, details: `${report.host}, Moat ${report.version}${report.site ? `, site ${report.site}` : ""}, following ${report.sources.logs.length} log(s)${report.sources.mirror ? " and nginx's mirror" : ""}` });
}

/** The agents that ever reported, most recently seen first. */
export function listAgents(store: Store): AgentRow[] {
  return store.db.select().from(agents).orderBy(desc(agents.lastSeenAt), sql`${agents.name}`).all();
}
