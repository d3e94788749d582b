/**
 * An agent's link to its hub: it sends the outbox (src/store/outbox.ts) in order, removes what the hub
 * acknowledged, and reports itself on a heartbeat whose answer carries the hub's bans, settings and
 * site model version. Detection never waits for it: the pipeline stores and queues locally, and this
 * loop drains the queue whenever the hub can be reached.
 *
 * Exactly once: an entry leaves the outbox only after the hub's answer says it has every entry of the
 * POST (stored now or before), and the hub keys entries on (agent, instance, seq), so an entry sent
 * again (the answer was lost, the agent was killed before it removed it) is stored once.
 *
 * Every answer is read as hostile input: checked against the wire schema before it is acted on.
 */
import { hostname } from "node:os";
import type { TSchema, Static } from "@sinclair/typebox";
import type { Store } from "../store/db.ts";
import { acknowledge, depth, peek, recount, type OutboxEntry } from "../store/outbox.ts";
import { AGENT_ROUTE_PREFIX, hubRoute, SITE_MODEL_ROUTE, SITE_MODEL_VERSION_HEADER, WIRE_ENTRY_CHARS, WireBatchesStored, WireHubState, type WireHeartbeat } from "../core/agent-wire.ts";
import type { Logger } from "../core/log.ts";
import type { Activities } from "../services/activities.ts";
import { VERSION } from "../version.ts";
import { compiledCheck } from "../core/schema-types.ts";
import { escapeControls } from "../core/control-chars.ts";

/** How often an empty outbox is looked at again: the lag a batch waits at most before it is sent. */
const POLL_MS = 200;
/** Waits after a failed send, the last repeated. */
const BACKOFF_MS = [500, 1000, 2000, 5000, 10_000, 30_000];
/** A hub that does not answer within this long is taken as unreachable for this try. */
const REQUEST_TIMEOUT_MS = 15_000;
/** A POST carries entries up to this many characters of payload (and at least one): see WIRE_POST_BYTES. */
const POST_CHARS = WIRE_ENTRY_CHARS;
/** The largest site model taken from a hub (the ones Moat trains are well under 1 MiB). */
const MAX_MODEL_BYTES = 64 * 2 ** 20;
/** The largest answer read from a hub (a heartbeat's answer lists every active ban: ban.max_entries is at most 1,000,000). */
const MAX_ANSWER_BYTES = 256 * 2 ** 20;

/** A body read up to `max` bytes: more is an error, whether the length was declared or not. */
async function readCapped(response: Response, max: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of response.body ?? []) {
    length += chunk.length;
    if (length > max) {
      await response.body?.cancel().catch(() => {});
      throw new Error(`the hub's answer is over ${max} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

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
  /** The site it serves (hub.site; "" the hub's default). */
  site: string;
  /** Acts on the hub's state from a heartbeat's answer (bans, settings, site model). */
  onHubState(state: WireHubState): Promise<void>;
  now(): number;
  fetch?: typeof fetch;
}

/** What the hub answered, as the loop acts on it. `hub`: the answer is the hub's own error envelope, not a proxy's. */
type Outcome<T> = { kind: "ok"; data: T } | { kind: "refused"; status: number; message: string; hub: boolean } | { kind: "unreachable"; message: string };

export class Shipper {
  private stopped = false;
  /** Failed sends in a row: the backoff. Only a stored batch resets it (a heartbeat may pass while batches fail). */
  private sendFailures = 0;
  /**
   * After a POST of several entries is refused (or keeps timing out), entries go one at a time up to
   * its last seq: the one the hub refuses is found, and the others go through.
   */
  private isolateUntil = 0;
  /** Whether the hub stored anything since it last refused an entry for good: a refusal after another is the hub's problem, not the entry's. */
  private storedSinceRefusal = true;
  private unreachableSince: number | null = null;
  /** The last refusal reported, so that a persisting one is logged once. */
  private lastRefusal: string | null = null;
  private loop: Promise<void> = Promise.resolve();
  /** The heartbeat in flight, if any: a beat due meanwhile is skipped, not queued behind it. */
  private beating: Promise<void> | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly o: ShipperOptions) {}

  start(): void {
    recount(this.o.store);
    this.loop = this.run();
    const beat = () => {
      this.beating ??= this.beat().finally(() => (this.beating = null));
    };
    beat();
    this.heartbeat = setInterval(beat, this.o.heartbeatMs);
  }

  /** Stops after the send and the heartbeat in flight; what is left stays in the outbox for the next start. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.wake?.();
    await Promise.all([this.loop, this.beating]);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let wait = POLL_MS;
      try {
        const sent = await this.sendSome();
        if (sent === "sent") continue;
        if (sent === "failed") wait = BACKOFF_MS[Math.min(this.sendFailures - 1, BACKOFF_MS.length - 1)]!;
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

  /** Sends the oldest entries; "idle" when none waits. */
  private async sendSome(): Promise<"sent" | "idle" | "failed"> {
    const waiting = peek(this.o.store, POST_CHARS);
    if (!waiting.length) return "idle";
    const entries = waiting[0]!.seq <= this.isolateUntil ? waiting.slice(0, 1) : waiting;
    const last = entries.at(-1)!.seq;
    const outcome = await this.post("batches", postBody(entries), WireBatchesStored);
    if (outcome.kind === "ok" && outcome.data.stored + outcome.data.duplicates === entries.length) {
      acknowledge(this.o.store, last);
      this.sendFailures = 0;
      this.storedSinceRefusal = true;
      this.lastRefusal = null;
      this.reached();
      return "sent";
    }
    this.sendFailures++;
    if (outcome.kind === "ok") {
      this.refused(`the hub acknowledged ${outcome.data.stored + outcome.data.duplicates} of ${entries.length} batches: kept, to be sent again`);
      return "failed";
    }
    if (outcome.kind === "unreachable") {
      // A POST that keeps timing out may be too large for the link: its entries go one at a time.
      if (this.sendFailures >= 3 && entries.length > 1) this.isolateUntil = last;
      this.unreachable(outcome.message);
      return "failed";
    }
    // The hub itself says it will never take this POST (its schema, its size limit).
    if (outcome.hub && (outcome.status === 400 || outcome.status === 413)) {
      if (entries.length > 1) {
        this.isolateUntil = last; // find the one it refuses; the others go through
        this.sendFailures = 0;
        return "sent";
      }
      // One refusal after another is systemic (an older hub): kept, not dropped, until the hub changes.
      if (!this.storedSinceRefusal) {
        this.refused(`every batch is refused (${outcome.status}: ${outcome.message}): is the hub an older version than this agent? Batches wait in the outbox`);
        return "failed";
      }
      this.drop(entries[0]!, outcome.message);
      return "sent";
    }
    this.refused(`${outcome.status}: ${outcome.message}`);
    return "failed";
  }

  /** Kept, the entry would stop the outbox for good: it is dropped and counted, like requests a full outbox could not keep. */
  private drop(entry: OutboxEntry, why: string): void {
    acknowledge(this.o.store, entry.seq, true);
    this.sendFailures = 0;
    this.storedSinceRefusal = false;
    this.o.log.error("the hub refused a batch: dropped and counted", { seq: entry.seq, requests: entry.requests, error: why });
    this.o.activities.record({ type: "hub.refused", title: "A batch refused by the hub", details: `${entry.requests} request(s) will not reach the hub (still stored here): ${why}` });
  }

  private async beat(): Promise<void> {
    if (this.stopped) return;
    try {
      const d = depth(this.o.store);
      const report: WireHeartbeat = {
        host: hostname().slice(0, 255),
        version: VERSION,
        site: this.o.site,
        sources: this.o.sources(),
        outbox: { batches: d.batches, requests: d.requests, dropped: d.dropped, lagSeconds: d.oldestAt === null ? 0 : Math.max(0, (this.o.now() - d.oldestAt) / 1000) },
      };
      const outcome = await this.post("heartbeat", JSON.stringify(report), WireHubState);
      if (outcome.kind === "unreachable") return this.unreachable(outcome.message);
      if (outcome.kind === "refused") return this.refused(`${outcome.status}: ${outcome.message}`);
      // With batches waiting, only a stored batch says the hub is back for them.
      if (!d.batches) this.reached();
      if (!this.stopped) await this.o.onHubState(outcome.data);
    } catch (e) {
      this.o.log.error("heartbeat failed", { error: (e as Error).message });
    }
  }

  /** The hub's live site model: its version and bytes (null when it has none). */
  async fetchSiteModel(): Promise<{ version: string; bytes: Uint8Array } | null> {
    const response = await (this.o.fetch ?? fetch)(hubRoute(this.o.url, SITE_MODEL_ROUTE), { headers: { authorization: `Bearer ${this.o.key}` }, redirect: "error", signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(`the hub answered ${response.status}`);
    const version = response.headers.get(SITE_MODEL_VERSION_HEADER);
    if (!version) throw new Error(`not a site model: no ${SITE_MODEL_VERSION_HEADER} header`);
    return { version, bytes: await readCapped(response, MAX_MODEL_BYTES) };
  }

  private async post<T extends TSchema>(route: "batches" | "heartbeat", body: string, answer: T): Promise<Outcome<Static<T>>> {
    let response: Response;
    let text: string;
    try {
      response = await (this.o.fetch ?? fetch)(hubRoute(this.o.url, `${AGENT_ROUTE_PREFIX}${route}`), {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${this.o.key}` },
        body,
        redirect: "error",
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      text = new TextDecoder().decode(await readCapped(response, MAX_ANSWER_BYTES));
    } catch (e) {
      return { kind: "unreachable", message: (e as Error).message };
    }
    let parsed: { success?: unknown; data?: unknown; message?: unknown } | null = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not the hub's envelope: a proxy's error page, say
    }
    if (response.ok && parsed?.success === true && compiledCheck(answer).Check(parsed.data)) return { kind: "ok", data: parsed.data };
    const hub = parsed?.success === false && typeof parsed.message === "string";
    const message = hub ? (parsed!.message as string) : response.ok ? "an answer that is not the hub's (check hub.url)" : text;
    return { kind: "refused", status: response.status, message: escapeControls(message.slice(0, 300)), hub };
  }

  private unreachable(why: string): void {
    if (this.unreachableSince !== null) return;
    this.unreachableSince = this.o.now();
    this.o.log.warn("cannot reach the hub: batches wait in the outbox", { hub: this.o.url, error: why });
    this.o.activities.record({ type: "hub.unreachable", title: "Hub unreachable", details: `${this.o.url}: ${why}; judged batches wait in the outbox` });
  }

  /** The hub answers but refuses (a revoked key, a 5xx, a proxy's page): reported once per different reason. */
  private refused(why: string): void {
    if (why === this.lastRefusal) return;
    this.lastRefusal = why;
    this.o.log.error("the hub refuses this agent: batches wait in the outbox", { hub: this.o.url, error: why });
    this.o.activities.record({ type: "hub.refused", title: "Hub refuses this agent", details: `${this.o.url}: ${why}` });
  }

  /** The hub answered: an outage is over (a refusal is over only when a batch is stored). */
  private reached(): void {
    if (this.unreachableSince === null) return;
    const seconds = Math.round((this.o.now() - this.unreachableSince) / 1000);
    this.unreachableSince = null;
    this.o.log.info("hub reached again", { hub: this.o.url, after_seconds: seconds });
    this.o.activities.record({ type: "hub.reached", title: "Hub reached again", details: `${this.o.url} after ${seconds} s; the outbox drains` });
  }
}

/** `{"entries":[...]}` from the stored payloads, each given its instance and seq, without parsing them again. */
function postBody(entries: OutboxEntry[]): string {
  return `{"entries":[${entries.map((e) => `{"instance":${JSON.stringify(e.instance)},"seq":${e.seq},${e.payload.slice(1)}`).join(",")}]}`;
}
