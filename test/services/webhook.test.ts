import { afterEach, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import type { AlertRow } from "../../src/services/bus.ts";
import { AlertWebhook, WebhookQueue, alertSummary, type WebhookOptions } from "../../src/services/webhook.ts";

/** Retries in tests wait a millisecond, not seconds. */
const TINY_DELAYS = [1, 1, 1];

interface Receiver {
  url: string;
  bodies: unknown[];
  /** Statuses to answer, in order; 200 once they run out. */
  statuses: number[];
  /** When set, requests are held until it resolves. */
  gate: Promise<void> | null;
}

const servers: Server<unknown>[] = [];
const queues: WebhookQueue[] = [];
afterEach(() => {
  for (const q of queues.splice(0)) q.close();
  for (const s of servers.splice(0)) s.stop(true);
});

function receiver(): Receiver {
  const r: Receiver = { url: "", bodies: [], statuses: [], gate: null };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      r.bodies.push(await req.json());
      if (r.gate) await r.gate;
      return new Response(null, { status: r.statuses.shift() ?? 200 });
    },
  });
  servers.push(server);
  r.url = `http://127.0.0.1:${server.port}/hook`;
  return r;
}

function queue(options: WebhookOptions): WebhookQueue {
  const q = new WebhookQueue({ retryDelaysMs: TINY_DELAYS, ...options });
  queues.push(q);
  return q;
}

/** A port nothing listens on: one the system just handed out and that is free again. */
function closedPort(): number {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = server.port;
  server.stop(true);
  return port!;
}

const alert = (over: Partial<AlertRow> = {}): AlertRow => ({
  id: 1, type: "critical", severity: "high", title: "sqli attack from 203.0.113.9", description: "Latest: GET /search scored 0.97 (threshold 0.50)",
  source: "203.0.113.9", groupKey: "threat:sqli:203.0.113.9", count: 1, status: "active", firstSeen: 0, lastSeen: 0, updatedAt: 0, ...over,
});

describe("webhook delivery", () => {
  test("5xx and 429 answers are retried until delivered, once", async () => {
    const r = receiver();
    r.statuses = [500, 503, 429];
    const q = queue({ url: r.url });
    q.post({ text: "hello", alert: { id: 7 } });
    await q.idle();
    expect(r.bodies).toEqual(Array.from({ length: 4 }, () => ({ text: "hello", alert: { id: 7 } })));
    expect(q.stats).toEqual({ sent: 1, failed: 0, dropped: 0, queued: 0 });
  });

  test("a 400 is not retried and counts as failed; the next post still goes out", async () => {
    const r = receiver();
    r.statuses = [400];
    const q = queue({ url: r.url });
    q.post({ n: 1 });
    q.post({ n: 2 });
    await q.idle();
    expect(r.bodies).toEqual([{ n: 1 }, { n: 2 }]);
    expect(q.stats).toEqual({ sent: 1, failed: 1, dropped: 0, queued: 0 });
  });

  test("a receiver failing past the last retry counts as failed after one try per delay plus one", async () => {
    const r = receiver();
    r.statuses = [500, 500, 500, 500, 500];
    const q = queue({ url: r.url });
    q.post({ n: 1 });
    await q.idle();
    expect(r.bodies).toHaveLength(TINY_DELAYS.length + 1);
    expect(q.stats.failed).toBe(1);
  });

  test("an unreachable URL fails after its retries without throwing", async () => {
    let tries = 0;
    const countingFetch = ((input: string | URL | Request, init?: RequestInit) => {
      tries++;
      return fetch(input, init);
    }) as typeof fetch;
    const warnings: string[] = [];
    const q = queue({ url: `http://127.0.0.1:${closedPort()}/hook`, fetch: countingFetch, log: { warn: (msg) => warnings.push(msg) } });
    expect(() => q.post({ n: 1 })).not.toThrow();
    await q.idle();
    expect(tries).toBe(TINY_DELAYS.length + 1);
    expect(q.stats).toEqual({ sent: 0, failed: 1, dropped: 0, queued: 0 });
    expect(warnings).toEqual(["webhook delivery failed"]);
  });

  test("a receiver that never answers is given up on at the timeout", async () => {
    const r = receiver();
    r.gate = new Promise(() => {});
    const q = queue({ url: r.url, timeoutMs: 20, retryDelaysMs: [] });
    q.post({ n: 1 });
    await q.idle();
    expect(q.stats.failed).toBe(1);
  });

  test("beyond the queue bound the oldest waiting posts are dropped and counted", async () => {
    const r = receiver();
    let open = () => {};
    r.gate = new Promise((resolve) => (open = resolve));
    const q = queue({ url: r.url, maxQueue: 2 });
    for (let n = 1; n <= 5; n++) q.post({ n }); // 1 is in flight, 2..5 wait in a queue of 2
    expect(q.stats).toEqual({ sent: 0, failed: 0, dropped: 2, queued: 2 });
    open();
    await q.idle();
    expect(r.bodies).toEqual([{ n: 1 }, { n: 4 }, { n: 5 }]);
    expect(q.stats).toEqual({ sent: 3, failed: 0, dropped: 2, queued: 0 });
  });

  test("close() ends a pending backoff, drops what waits and refuses new posts", async () => {
    const r = receiver();
    r.statuses = [500];
    const q = queue({ url: r.url, retryDelaysMs: [3_600_000] });
    q.post({ n: 1 });
    q.post({ n: 2 });
    while (r.bodies.length === 0) await Bun.sleep(1);
    q.close();
    await q.idle(); // would wait an hour if close() did not cut the backoff short
    q.post({ n: 3 });
    expect(r.bodies).toEqual([{ n: 1 }]);
    expect(q.stats).toEqual({ sent: 0, failed: 0, dropped: 3, queued: 0 });
  });
});

describe("alert webhook", () => {
  test("posts { text, alert }: new alerts always, count increases at most once a minute per alert", async () => {
    const r = receiver();
    const clock = { now: 0 };
    const hook = new AlertWebhook({ url: r.url, retryDelaysMs: TINY_DELAYS }, () => clock.now);
    hook.notify(alert({ id: 1 }), true);
    hook.notify(alert({ id: 2, count: 1 }), true);
    clock.now = 59_999;
    hook.notify(alert({ id: 1, count: 2 }), false);
    clock.now = 60_000;
    hook.notify(alert({ id: 1, count: 3 }), false);
    hook.notify(alert({ id: 2, count: 2 }), false);
    await hook.idle();
    const posted = r.bodies as { text: string; alert: AlertRow }[];
    expect(posted.map((p) => [p.alert.id, p.alert.count])).toEqual([[1, 1], [2, 1], [1, 3], [2, 2]]);
    expect(posted[0]).toEqual({ text: alertSummary(alert({ id: 1 })), alert: alert({ id: 1 }) });
    expect(hook.stats).toEqual({ sent: 4, failed: 0, dropped: 0, queued: 0 });
    hook.close();
  });

  test("the summary is one line, with the count and Slack markup escaped", () => {
    const text = alertSummary(alert({ type: "warning", count: 4, description: "Latest: GET /<!channel>&x scored 0.91" }));
    expect(text).toBe("[WARNING] sqli attack from 203.0.113.9 (x4): Latest: GET /&lt;!channel&gt;&amp;x scored 0.91");
  });
});
