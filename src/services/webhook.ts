/**
 * The alert webhook: alerts are POSTed as JSON `{ text, alert }` (Slack incoming webhooks show
 * `text`; other receivers read `alert`). Delivery runs in the background off a bounded queue, so a
 * slow or dead receiver never holds up the alert path, and nothing here throws into it.
 *
 * Every attempt checks the destination again (src/core/outbound-url.ts: public addresses only,
 * unless allowed), follows no redirect and is bounded by a timeout.
 */
import type { Logger } from "../core/log.ts";
import { OutboundRefused, resolveOutbound, type Lookup } from "../core/outbound-url.ts";
import type { AlertRow } from "../store/rows.ts";

export interface WebhookOptions {
  url: string;
  /** Non-public addresses and ranges the webhook may reach (alerts.webhook_allow_ranges). */
  allowRanges?: readonly string[];
  fetch?: typeof fetch;
  /** Name resolution; tests pass their own. */
  lookup?: Lookup;
  /** Waits before each retry: one retry per entry, so the default makes four attempts at most. */
  retryDelaysMs?: number[];
  timeoutMs?: number;
  /** Posts waiting beyond this many drop the oldest first (the newest say most about now). */
  maxQueue?: number;
  log?: Pick<Logger, "warn">;
}

export interface WebhookStats {
  sent: number;
  /** Given up on: refused (4xx other than 429, a redirect, a destination that is not public) or still failing after the last retry. */
  failed: number;
  /** Never tried: pushed out of the full queue, or still waiting at close(). */
  dropped: number;
  queued: number;
}

const DEFAULT_RETRY_DELAYS_MS = [1_000, 2_000, 4_000];
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_QUEUE = 1_000;

type Outcome = "sent" | "retry" | "refused";

/**
 * 5xx and 429 are the receiver's passing trouble; any other 4xx means the request itself is wrong,
 * and a 3xx is not followed: the next hop could be anywhere, the cloud metadata service included.
 */
function outcomeOf(status: number): Outcome {
  if (status >= 200 && status < 300) return "sent";
  if (status >= 500 || status === 429) return "retry";
  return "refused";
}

/** Settles as `promise` does, or rejects when `signal` aborts first (a DNS lookup cannot be cancelled, only left behind). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener("abort", abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}

interface PinnedRequest {
  url: string;
  /** The Host header: the one the URL names. */
  host: string;
  /** For https to a host name: the name the TLS handshake (SNI) and the certificate check use. */
  serverName: string | null;
}

/**
 * The request aimed at the checked address itself. Resolving once to check and letting fetch resolve
 * again to connect would leave a gap (DNS rebinding: a public answer for the check, 127.0.0.1 for the
 * connection). So the URL's host becomes the checked address, the Host header keeps the name, and
 * for https Bun's `tls.serverName` keeps SNI and certificate verification on the name as well.
 */
async function pinnedRequest(target: string, allow: readonly string[], lookup: Lookup | undefined, signal: AbortSignal): Promise<PinnedRequest> {
  const url = new URL(target);
  const { address, family } = await untilAborted(resolveOutbound(url, allow, lookup), signal);
  const host = url.host;
  const name = url.hostname.replace(/\.$/, "");
  const isLiteral = url.hostname.startsWith("[") || url.hostname === address;
  url.hostname = family === 6 ? `[${address}]` : address;
  return { url: url.href, host, serverName: url.protocol === "https:" && !isLiteral ? name : null };
}

/** Resolves after `ms`, or at once when `signal` aborts (close() must not wait out a backoff). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** POSTs JSON bodies to one URL, one at a time, in order, with retries. */
export class WebhookQueue {
  /** Bodies already serialized: a post shows the alert as it was when queued. */
  private readonly queue: string[] = [];
  private readonly closing = new AbortController();
  private readonly fetch: typeof fetch;
  private readonly retryDelaysMs: number[];
  private readonly timeoutMs: number;
  private readonly maxQueue: number;
  /** Set and cleared in the same synchronous steps that check the queue, so no post is left behind. */
  private draining: Promise<void> | null = null;
  private counts = { sent: 0, failed: 0, dropped: 0 };

  constructor(private readonly options: WebhookOptions) {
    this.fetch = options.fetch ?? fetch;
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE;
  }

  /** Queues a body for delivery; returns at once. */
  post(body: unknown): void {
    if (this.closing.signal.aborted) {
      this.counts.dropped++;
      return;
    }
    this.queue.push(JSON.stringify(body));
    while (this.queue.length > this.maxQueue) {
      this.queue.shift();
      this.counts.dropped++;
    }
    this.draining ??= this.drain();
  }

  /** Resolves once everything queued so far has been delivered or given up on. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  get stats(): WebhookStats {
    return { ...this.counts, queued: this.queue.length };
  }

  /** Stops delivery: the post in flight is aborted and what still waits is dropped. */
  close(): void {
    this.closing.abort();
    this.counts.dropped += this.queue.length;
    this.queue.length = 0;
  }

  private async drain(): Promise<void> {
    for (let json = this.queue.shift(); json !== undefined; json = this.queue.shift()) {
      const delivered = await this.deliver(json);
      if (delivered) this.counts.sent++;
      else if (this.closing.signal.aborted) this.counts.dropped++;
      else this.counts.failed++;
    }
    this.draining = null;
  }

  private async deliver(json: string): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const { outcome, problem } = await this.attempt(json);
      if (outcome === "sent") return true;
      const delay = this.retryDelaysMs[attempt];
      if (this.closing.signal.aborted) return false;
      if (outcome === "refused" || delay === undefined) {
        this.options.log?.warn("webhook delivery failed", { problem, attempts: attempt + 1 });
        return false;
      }
      await pause(delay, this.closing.signal);
    }
  }

  private async attempt(json: string): Promise<{ outcome: Outcome; problem: string }> {
    // One timeout for the whole attempt: name resolution, connection and answer.
    const signal = AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.closing.signal]);
    try {
      const pinned = await pinnedRequest(this.options.url, this.options.allowRanges ?? [], this.options.lookup, signal);
      const response = await this.fetch(pinned.url, {
        method: "POST",
        headers: { "content-type": "application/json", host: pinned.host },
        body: json,
        redirect: "manual",
        signal,
        ...(pinned.serverName ? { tls: { serverName: pinned.serverName } } : {}),
      });
      await response.body?.cancel(); // the answer's body is not needed; release the connection
      const { status } = response;
      const problem = status >= 300 && status < 400 ? `HTTP ${status}: a redirect${redirectTarget(response)}, not followed (a webhook URL must answer itself)` : `HTTP ${status}`;
      return { outcome: outcomeOf(status), problem };
    } catch (e) {
      if (e instanceof OutboundRefused) return { outcome: "refused", problem: e.message };
      // Network errors, failed lookups and timeouts: the receiver may be back on the next try.
      return { outcome: "retry", problem: (e as Error).message };
    }
  }
}

/** ` to <scheme://host>` of a redirect's Location, for the log: its path may hold a secret. */
function redirectTarget(response: Response): string {
  try {
    const to = new URL(response.headers.get("location") ?? "", response.url || undefined);
    return ` to ${to.protocol}//${to.host}`;
  } catch {
    return "";
  }
}

/** Slack reads `&`, `<` and `>` as markup (`<!channel>` pings everyone); paths in alerts come from attackers. */
function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The one-line summary, e.g. `[CRITICAL] sqli attack from 203.0.113.9 (x12): Latest: GET /login …`. */
export function alertSummary(alert: AlertRow): string {
  const count = alert.count > 1 ? ` (x${alert.count})` : "";
  return escapeSlack(`[${alert.type.toUpperCase()}] ${alert.title}${count}: ${alert.description}`);
}

const REPEAT_INTERVAL_MS = 60_000;
/** Alerts remembered for the repeat limit; forgetting one only lets its next repeat through early. */
const MAX_REMEMBERED_ALERTS = 10_000;

/**
 * Which alert changes go out: every new alert, and a count increase of one alert at most once a
 * minute (a sustained attack would otherwise post for every batch).
 */
export class AlertWebhook {
  private readonly queue: WebhookQueue;
  /** Alert id → when it was last posted, oldest first. */
  private readonly lastPosted = new Map<number, number>();

  constructor(options: WebhookOptions, private readonly now: () => number) {
    this.queue = new WebhookQueue(options);
  }

  notify(alert: AlertRow, isNew: boolean): void {
    const now = this.now();
    const last = this.lastPosted.get(alert.id);
    if (!isNew && last !== undefined && now - last < REPEAT_INTERVAL_MS) return;
    this.remember(alert.id, now);
    this.queue.post({ text: alertSummary(alert), alert });
  }

  private remember(id: number, now: number): void {
    this.lastPosted.delete(id);
    this.lastPosted.set(id, now);
    for (const [oldId, time] of this.lastPosted) {
      if (this.lastPosted.size <= MAX_REMEMBERED_ALERTS && now - time < REPEAT_INTERVAL_MS) return;
      this.lastPosted.delete(oldId);
    }
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  get stats(): WebhookStats {
    return this.queue.stats;
  }

  close(): void {
    this.queue.close();
  }
}
