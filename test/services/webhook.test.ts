import { afterEach, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import type { AlertRow } from "../../src/store/rows.ts";
import { AlertWebhook, WebhookQueue, alertSummary, type WebhookOptions } from "../../src/services/webhook.ts";
import { loadConfig } from "../../src/config/load.ts";
import type { Lookup } from "../../src/core/outbound-url.ts";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/tmp.ts";

/** Retries in tests wait a millisecond, not seconds. */
const TINY_DELAYS = [1, 1, 1];
/** The receivers here listen on loopback, which a webhook may reach only when the config allows it. */
const LOOPBACK_ALLOWED = ["127.0.0.1/32"];

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
  const q = new WebhookQueue({ retryDelaysMs: TINY_DELAYS, allowRanges: LOOPBACK_ALLOWED, ...options });
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
    const hook = new AlertWebhook({ url: r.url, retryDelaysMs: TINY_DELAYS, allowRanges: LOOPBACK_ALLOWED }, () => clock.now);
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

describe("webhook destinations (no SSRF)", () => {
  /** Internal destinations, many written as an attacker would: WHATWG URL parsing turns 0177.0.0.1, 2130706433 and 0x7f.1 into 127.0.0.1. */
  const INTERNAL = [
    "http://127.0.0.1/hook", "http://127.8.9.10:8080/hook", "http://0177.0.0.1/hook", "http://2130706433/hook", "http://0x7f.1/hook", "http://127.1/hook",
    "http://10.1.2.3/hook", "http://172.16.0.1/hook", "http://172.31.255.254/hook", "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/", "http://100.64.0.1/hook", "http://0.0.0.0/hook", "http://0/hook", "http://224.0.0.1/hook", "http://255.255.255.255/hook",
    "http://[::1]/hook", "http://[::]/hook", "http://[fc00::1]/hook", "http://[fd12:3456::1]/hook", "http://[fe80::1]/hook", "http://[ff02::1]/hook",
    "http://[::ffff:127.0.0.1]/hook", "http://[::ffff:a9fe:a9fe]/hook", "http://[::ffff:10.0.0.1]/hook", "http://[::127.0.0.1]/hook",
  ];
  const MALFORMED = ["http://user:pass@hooks.example.com/hook", "https://token@hooks.example.com/hook", "ftp://hooks.example.com/hook", "file:///etc/passwd", "gopher://hooks.example.com/", "javascript:alert(1)", "/relative", "not a url"];
  const configWith = (env: Record<string, string>) => () => loadConfig({ env });

  test("each internal, credentialed or non-http(s) URL is refused at config load, naming alerts.webhook_url", () => {
    const refusal = (url: string) => {
      try {
        loadConfig({ env: { MOAT_ALERTS_WEBHOOK_URL: url } });
        return "loaded";
      } catch (e) {
        return (e as Error).message;
      }
    };
    const notRefused = [...INTERNAL, ...MALFORMED].filter((url) => !/alerts\.webhook_url: .*\(from MOAT_ALERTS_WEBHOOK_URL\)/.test(refusal(url)));
    expect(notRefused).toEqual([]);
    expect(configWith({ MOAT_ALERTS_WEBHOOK_URL: "http://169.254.169.254/" })).toThrow("its host reads as 169.254.169.254, which is not a public address (linkLocal)");
    expect(configWith({ MOAT_ALERTS_WEBHOOK_URL: "http://0177.0.0.1/" })).toThrow("its host reads as 127.0.0.1, which is not a public address (loopback)");
    expect(configWith({ MOAT_ALERTS_WEBHOOK_URL: "http://user:pass@hooks.example.com/" })).toThrow("user:pass@");
  });

  test("public URLs load, and an internal one loads when its range is allowed", () => {
    expect(loadConfig({ env: { MOAT_ALERTS_WEBHOOK_URL: "https://hooks.slack.com/services/T0/B0/secret" } }).config.alerts.webhook_url).toStartWith("https://hooks.slack.com/");
    expect(loadConfig({ env: { MOAT_ALERTS_WEBHOOK_URL: "http://[2606:4700::1111]/hook" } }).config.alerts.webhook_url).toBe("http://[2606:4700::1111]/hook");
    const allowed = loadConfig({ env: { MOAT_ALERTS_WEBHOOK_URL: "http://10.1.2.3:8065/hooks/x", MOAT_ALERTS_WEBHOOK_ALLOW_RANGES: "10.1.2.0/24" } }).config.alerts;
    expect(allowed).toMatchObject({ webhook_url: "http://10.1.2.3:8065/hooks/x", webhook_allow_ranges: ["10.1.2.0/24"] });
    expect(configWith({ MOAT_ALERTS_WEBHOOK_URL: "http://10.1.3.1/hooks/x", MOAT_ALERTS_WEBHOOK_ALLOW_RANGES: "10.1.2.0/24" })).toThrow("alerts.webhook_url");
    expect(configWith({ MOAT_ALERTS_WEBHOOK_ALLOW_RANGES: "10.1.2.0/33" })).toThrow("alerts.webhook_allow_ranges");
  });

  test("at send, an internal URL given straight to the queue is refused without a request, and not retried", async () => {
    const r = receiver();
    const warnings: unknown[] = [];
    const q = queue({ url: r.url, allowRanges: [], log: { warn: (_msg, fields) => warnings.push(fields) } });
    q.post({ n: 1 });
    await q.idle();
    expect(r.bodies).toEqual([]);
    expect(q.stats).toEqual({ sent: 0, failed: 1, dropped: 0, queued: 0 });
    expect(JSON.stringify(warnings)).toContain("reads as 127.0.0.1, which is not a public address (loopback)");
  });

  test("a host name is refused when ANY of its addresses is internal, before any request", async () => {
    let fetched = 0;
    const countingFetch = (() => (fetched++, Promise.resolve(new Response("ok")))) as unknown as typeof fetch;
    for (const addresses of [["93.184.215.14", "127.0.0.1"], ["10.0.0.5"], ["2606:4700::1111", "fd00::1"], ["::ffff:169.254.169.254"]]) {
      const lookup: Lookup = async () => addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
      const warnings: unknown[] = [];
      const q = queue({ url: "https://hooks.example.test/hook", allowRanges: [], lookup, fetch: countingFetch, log: { warn: (_msg, fields) => warnings.push(fields) } });
      q.post({ n: 1 });
      await q.idle();
      expect({ addresses, failed: q.stats.failed }).toEqual({ addresses, failed: 1 });
      expect(JSON.stringify(warnings)).toMatch(/hooks\.example\.test resolves to [0-9a-f:.]+, which is not a public address/);
    }
    expect(fetched).toBe(0);
  });

  test("the request goes to the address that was checked, with the Host header of the URL (no second lookup to rebind)", async () => {
    const hosts: (string | null)[] = [];
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (req) => (hosts.push(req.headers.get("host")), new Response("ok")) });
    servers.push(server);
    let lookups = 0;
    // hooks.example.test resolves nowhere for real: only the checked address can have been reached.
    const lookup: Lookup = async () => (lookups++, [{ address: "127.0.0.1", family: 4 }]);
    const q = queue({ url: `http://hooks.example.test:${server.port}/hook`, lookup });
    q.post({ n: 1 });
    await q.idle();
    expect(q.stats.sent).toBe(1);
    expect(lookups).toBe(1);
    expect(hosts).toEqual([`hooks.example.test:${server.port}`]);
  });

  const OPENSSL_BIN = ["/usr/bin/openssl", "/usr/local/bin/openssl"].find((path) => existsSync(path));
  test.skipIf(!OPENSSL_BIN)("https to a host name pinned to its checked address still verifies the certificate against the name", async () => {
    const dir = tempDir();
    const [cert, key] = [join(dir, "cert.pem"), join(dir, "key.pem")];
    const made = Bun.spawnSync([OPENSSL_BIN!, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=hooks.example.test", "-addext", "subjectAltName=DNS:hooks.example.test"], { stdout: "ignore", stderr: "pipe" });
    expect(made.success).toBe(true);
    const hosts: (string | null)[] = [];
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", tls: { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") }, fetch: (req) => (hosts.push(req.headers.get("host")), new Response("ok")) });
    servers.push(server);
    // Trusts the test certificate, and nothing else changes: the name checked is the queue's doing.
    const ca = readFileSync(cert, "utf8");
    const trusting = ((input: string, init: RequestInit & { tls?: object }) => fetch(input, { ...init, tls: { ...init.tls, ca } })) as unknown as typeof fetch;
    const lookup: Lookup = async () => [{ address: "127.0.0.1", family: 4 }];
    const q = queue({ url: `https://hooks.example.test:${server.port}/hook`, lookup, fetch: trusting });
    q.post({ n: 1 });
    await q.idle();
    expect(q.stats.sent).toBe(1);
    expect(hosts).toEqual([`hooks.example.test:${server.port}`]);
  });

  test("a 307 to /internal-admin is not followed, even with loopback allowed for the first hop", async () => {
    let adminHits = 0;
    let hookHits = 0;
    const server: Server<unknown> = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch(req): Response {
        const { pathname } = new URL(req.url);
        if (pathname === "/internal-admin") {
          adminHits++;
          return new Response("admin");
        }
        hookHits++;
        return new Response(null, { status: 307, headers: { location: `http://127.0.0.1:${server.port}/internal-admin` } });
      },
    });
    servers.push(server);
    const warnings: unknown[] = [];
    const q = queue({ url: `http://127.0.0.1:${server.port}/hook`, log: { warn: (_msg, fields) => warnings.push(fields) } });
    q.post({ n: 1 });
    await q.idle();
    expect(adminHits).toBe(0);
    expect(hookHits).toBe(1); // a redirect is a refusal: not retried either
    expect(q.stats).toEqual({ sent: 0, failed: 1, dropped: 0, queued: 0 });
    expect(JSON.stringify(warnings)).toContain(`HTTP 307: a redirect to http://127.0.0.1:${server.port}, not followed`);
  });

  test("a lookup that never answers is given up on at the timeout", async () => {
    const q = queue({ url: "https://hooks.example.test/hook", lookup: () => new Promise(() => {}), timeoutMs: 20, retryDelaysMs: [] });
    q.post({ n: 1 });
    await q.idle();
    expect(q.stats.failed).toBe(1);
  });
});
