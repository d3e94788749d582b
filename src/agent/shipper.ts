/**
 * An agent's link to its hub: it sends the outbox (src/store/outbox.ts) in order, removes what the hub
 * acknowledged, and reports itself on a heartbeat whose answer carries the hub's bans for the local
 * deny list. Detection never waits for it: the pipeline stores and queues locally, and this loop
 * drains the queue whenever the hub can be reached.
 *
 * Exactly once: an entry leaves the outbox only after the hub said it stored it, and the hub keys
 * every entry on (agent, seq), so an entry sent again (the answer was lost, the agent was killed
 * before it removed it) is stored once.
 */
import { hostname } from "node:os";
import type { Store } from "../store/db.ts";
import { acknowledge, countDropped, depth, peek, type OutboxEntry } from "../store/outbox.ts";
import { AGENT_ROUTE_PREFIX, WIRE_POST_BYTES, type WireDecisions, type WireHeartbeat } from "./wire.ts";
import type { Logger } from "../core/log.ts";
import type { Activities } from "../services/activities.ts";
import { VERSION } from "../version.ts";

/** How often an empty outbox is looked at again: the lag a batch waits at most before it is sent. */
const POLL_MS = 200;
/** Waits after a failed send, doubling up to the last. */
const BACKOFF_MS = [500, 1000, 2000, 5000, 10_000, 30_000];
/** A hub that does not answer within this long is taken as unreachable for this try. */
const REQUEST_TIMEOUT_MS = 15_000;

export interface ShipperOptions {
  store: Store;
  /** The hub's base URL (hub.url) and this agent's key (hub.key). */
  url: string;
  key: string;
  heartbeatMs: number;
  log: Logger;
  activities: Activities;
  /** What the agent follows, for its heartbeat. */
  sources(): WireHeartbeat["sources"];
  /** Applies the hub's bans to the local deny list (null: ban.enabled is off here). */
  adoptBans: ((bans: WireDecisions["bans"]) => void) | null;
  now(): number;
  fetch?: typeof fetch;
}

/** What the hub answered, as the loop acts on it. */
type Outcome = { kind: "ok"; data: unknown } | { kind: "refused"; status: number; message: string } | { kind: "unreachable"; message: string };

export class Shipper {
  private stopped = false;
  private failures = 0;
  private unreachableSince: number | null = null;
  private loop: Promise<void> = Promise.resolve();
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private wake: (() => void) | null = null;
  /** Entries sent and acknowledged since start, and sends that failed. */
  readonly stats = { sent: 0, failedSends: 0 };

  constructor(private readonly o: ShipperOptions) {}

  start(): void {
    this.loop = this.run();
    void this.beat();
    this.heartbeat = setInterval(() => void this.beat(), this.o.heartbeatMs);
  }

  /** Stops after the send in flight; what is left stays in the outbox for the next start. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let wait = POLL_MS;
      try {
        const sent = await this.sendSome();
        if (sent === "sent") continue;
        if (sent === "failed") wait = BACKOFF_MS[Math.min(this.failures - 1, BACKOFF_MS.length - 1)]!;
      } catch (e) {
        // The local store failed (a full disk): logged, and tried again like a failed send.
        this.o.log.error("cannot read or clear the outbox", { error: (e as Error).message });
        wait = BACKOFF_MS.at(-1)!;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  /** Sends the oldest entries (up to WIRE_POST_BYTES); "idle" when none waits. */
  private async sendSome(): Promise<"sent" | "idle" | "failed"> {
    const entries = peek(this.o.store, 0, WIRE_POST_BYTES / 3);
    if (!entries.length) return "idle";
    const last = entries.at(-1)!.seq;
    const outcome = await this.post("batches", postBody(entries));
    if (outcome.kind === "ok") {
      acknowledge(this.o.store, last);
      this.stats.sent += entries.length;
      this.reached();
      return "sent";
    }
    this.stats.failedSends++;
    if (outcome.kind === "refused" && (outcome.status === 400 || outcome.status === 413)) {
      // The hub will never take these (another version's schema, a bug): kept, they would stop the
      // outbox for good. They are dropped and counted like requests the full outbox could not keep.
      const requests = entries.reduce((n, e) => n + e.requests, 0);
      this.o.store.db.transaction(() => {
        acknowledge(this.o.store, last);
        countDropped(this.o.store, requests);
      });
      this.o.log.error("the hub refused batches: dropped and counted", { batches: entries.length, requests, error: outcome.message });
      this.o.activities.record({ type: "outbox.full", title: "Batches refused by the hub", details: `${requests} request(s) in ${entries.length} batch(es) dropped: ${outcome.message}` });
      return "sent";
    }
    this.unreachable(outcome.kind === "refused" ? `${outcome.status}: ${outcome.message}` : outcome.message);
    return "failed";
  }

  private async beat(): Promise<void> {
    if (this.stopped) return;
    try {
      const d = depth(this.o.store);
      const report: WireHeartbeat = {
        host: hostname().slice(0, 255),
        version: VERSION,
        sources: this.o.sources(),
        outbox: { batches: d.batches, requests: d.requests, dropped: d.dropped, lagSeconds: d.oldestAt === null ? 0 : Math.max(0, (this.o.now() - d.oldestAt) / 1000) },
      };
      const outcome = await this.post("heartbeat", JSON.stringify(report));
      if (outcome.kind !== "ok") return this.unreachable(outcome.kind === "refused" ? `${outcome.status}: ${outcome.message}` : outcome.message);
      this.reached();
      const bans = (outcome.data as WireDecisions | null)?.bans;
      if (Array.isArray(bans)) this.o.adoptBans?.(bans);
    } catch (e) {
      this.o.log.error("heartbeat failed", { error: (e as Error).message });
    }
  }

  private async post(route: "batches" | "heartbeat", body: string): Promise<Outcome> {
    let response: Response;
    try {
      response = await (this.o.fetch ?? fetch)(new URL(`${AGENT_ROUTE_PREFIX}${route}`, this.o.url), {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${this.o.key}` },
        body,
        redirect: "error",
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (e) {
      return { kind: "unreachable", message: (e as Error).message };
    }
    const text = await response.text().catch(() => "");
    let parsed: { data?: unknown; message?: string } | null = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not our hub's envelope: a proxy's error page, say
    }
    if (response.ok && parsed) return { kind: "ok", data: parsed.data };
    return { kind: "refused", status: response.status, message: (typeof parsed?.message === "string" ? parsed.message : text).slice(0, 300) };
  }

  private unreachable(why: string): void {
    this.failures++;
    if (this.unreachableSince !== null) return;
    this.unreachableSince = this.o.now();
    this.o.log.warn("cannot reach the hub: batches wait in the outbox", { hub: this.o.url, error: why });
    this.o.activities.record({ type: "hub.unreachable", title: "Hub unreachable", details: `${this.o.url}: ${why}; judged batches wait in the outbox` });
  }

  private reached(): void {
    this.failures = 0;
    if (this.unreachableSince === null) return;
    const seconds = Math.round((this.o.now() - this.unreachableSince) / 1000);
    this.unreachableSince = null;
    this.o.log.info("hub reached again", { hub: this.o.url, after_seconds: seconds });
    this.o.activities.record({ type: "hub.reached", title: "Hub reached again", details: `${this.o.url} after ${seconds} s; the outbox drains` });
  }
}

/** `{"entries":[...]}` from the stored payloads, each given its seq, without parsing them again. */
function postBody(entries: OutboxEntry[]): string {
  return `{"entries":[${entries.map((e) => `{"seq":${e.seq},${e.payload.slice(1)}`).join(",")}]}`;
}
