/**
 * The live feed at /ws (shared/API-CONTRACT.md, WebSocket) on a real server with real clients: Bun's
 * WebSocket, and raw TCP clients for what a browser cannot do (never answer a ping, never read).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { heapStats } from "bun:jsc";
import { connect, type Socket } from "node:net";
import { Elysia } from "elysia";
import type { TSchema } from "elysia";
import { Value } from "@sinclair/typebox/value";
import { Bus, type MetricsSnapshot } from "../../src/pipeline/bus.ts";
import { type ActivityRow, type AlertRow, type ThreatRow, type TrafficRow } from "../../src/store/rows.ts";
import { ActivityData, AlertData, ChartDataPoint, RealTimeMetrics, ThreatData, TrafficData } from "../../src/api/contract.ts";
import { CLOSE_CREDENTIALS_REVOKED, CLOSE_EVICTED, CLOSE_FULL, CLOSE_SHUTDOWN, type ServerMessage } from "../../src/api/ws/hub.ts";
import { wsRoute, WS_SERVER_OPTIONS, type WsRouteOptions } from "../../src/api/ws/route.ts";
import { createApi } from "../../src/api/app.ts";
import { createKey, revokeKey } from "../../src/api/auth/keys.ts";
import { makeApiServices } from "../helpers/api.ts";

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

function trafficRow(id: number): TrafficRow {
  return { id, time: T0 + id, clientIp: "203.0.113.7", method: "GET", path: `/products/${id}`, query: "", status: 200, bytesSent: 1536, requestTime: 0.012, userAgent: "curl/8.5.0", score: 0.02, isAnomaly: false, attackType: null, blocked: false, source: "test", requestId: null, partial: null, host: null, agent: null };
}

function threatRow(id: number, attackType: string, blocked: boolean): ThreatRow {
  const reasons = [{ field: "query.q", name: attackType, evidence: "' or 1=1--", detector: "generic", weight: 0.9, detail: "a SQL tautology" }];
  return { id, time: T0, clientIp: "198.51.100.9", method: "GET", endpoint: "/search", attackType, severity: "critical", score: 0.97, threshold: 0.5, blocked, reasons: JSON.stringify(reasons), request: "{}", modelVersion: "test", source: "test", requestId: null, incidentId: null, acknowledgedAt: null, agent: null };
}

function alertRow(id: number): AlertRow {
  return { id, type: "critical", severity: "high", title: "SQL injection burst", description: "12 sqli requests from 198.51.100.9", source: "detector", groupKey: "sqli:198.51.100.9", count: 12, status: "active", firstSeen: T0, lastSeen: T0, updatedAt: T0 };
}

const startedActivity: ActivityRow = { id: 11, time: T0, type: "service.started", title: "Moat started", details: "following /var/log/nginx/access.log", ip: null, endpoint: null };

function snapshot(requests: number): MetricsSnapshot {
  return { time: T0, requests, flagged: 3, blocked: 0, attackRate: 1.5, responseTimeMs: 12.5, threatsPerMinute: 3, uptimeSeconds: 60, cpuPercent: 7.5, memoryPercent: 21, rssBytes: 50_000_000 };
}

async function waitUntil(what: string, condition: () => boolean, deadlineMs = 5000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

/** The servers a test started, stopped after it (unless the test stopped its own). */
const running: { readonly server: unknown; stop(closeActiveConnections?: boolean): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const app of running.splice(0)) if (app.server) await app.stop(true);
});

function startServer(options: WsRouteOptions = {}) {
  const bus = new Bus();
  const route = wsRoute(bus, options);
  const app = new Elysia({ websocket: WS_SERVER_OPTIONS }).use(route).listen(0);
  running.push(app);
  const port = app.server!.port!;
  return { app, bus, hub: route.decorator.wsHub, port, url: `ws://127.0.0.1:${port}/ws` };
}

/** A browser-like client that records every message; `take` consumes them in order per type. */
class Client {
  readonly messages: ServerMessage[] = [];
  closed: { code: number; reason: string } | null = null;
  readonly ws: WebSocket;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(url, { headers });
    this.ws.onmessage = (e) => this.messages.push(JSON.parse(String(e.data)) as ServerMessage);
    this.ws.onclose = (e) => {
      this.closed = { code: e.code, reason: e.reason };
    };
  }

  static async connected(url: string, headers: Record<string, string> = {}): Promise<Client> {
    const client = new Client(url, headers);
    const hello = await client.take("connection");
    expect(hello.data).toBe("connected");
    return client;
  }

  async take(type: string): Promise<ServerMessage> {
    await waitUntil(`a ${type} message`, () => this.messages.some((m) => m.type === type) || this.closed !== null);
    const at = this.messages.findIndex((m) => m.type === type);
    if (at < 0) throw new Error(`closed (${JSON.stringify(this.closed)}) before a ${type} message`);
    return this.messages.splice(at, 1)[0]!;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === "string" ? message : JSON.stringify(message));
  }
}

function expectShape(schema: TSchema, value: unknown): void {
  expect([...Value.Errors(schema, value)].map((e) => `${e.path}: ${e.message}`)).toEqual([]);
}

function expectEnvelope(m: ServerMessage): void {
  expect(Object.keys(m).sort()).toEqual(["data", "timestamp", "type"]);
  expect(new Date(m.timestamp).toISOString()).toBe(m.timestamp);
}

/** A WebSocket client made by hand: it answers nothing, and reads only when told to. */
class RawClient {
  private readonly chunks: Buffer[] = [];

  private constructor(readonly socket: Socket) {}

  static async connected(port: number): Promise<RawClient> {
    const socket = connect(port, "127.0.0.1");
    await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    const client = new RawClient(socket);
    socket.on("data", (chunk: Buffer) => client.chunks.push(chunk));
    socket.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await waitUntil("the handshake", () => client.bytes().includes("\r\n\r\n"));
    expect(client.bytes().toString("latin1")).toStartWith("HTTP/1.1 101");
    return client;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** The server's frames so far (unmasked, unfragmented), after the handshake response. */
  frames(): { opcode: number; payload: Buffer }[] {
    const all = this.bytes();
    const frames: { opcode: number; payload: Buffer }[] = [];
    let at = all.indexOf("\r\n\r\n") + 4;
    while (at + 2 <= all.length) {
      let length = all[at + 1]! & 0x7f;
      let header = 2;
      if (length === 126) {
        if (at + 4 > all.length) break;
        length = all.readUInt16BE(at + 2);
        header = 4;
      } else if (length === 127) {
        if (at + 10 > all.length) break;
        length = Number(all.readBigUInt64BE(at + 2));
        header = 10;
      }
      if (at + header + length > all.length) break;
      frames.push({ opcode: all[at]! & 0x0f, payload: all.subarray(at + header, at + header + length) });
      at += header + length;
    }
    return frames;
  }

  messages(): ServerMessage[] {
    return this.frames()
      .filter((f) => f.opcode === 1)
      .map((f) => JSON.parse(f.payload.toString("utf8")) as ServerMessage);
  }

  closeFrame(): { code: number; reason: string } | undefined {
    const close = this.frames().find((f) => f.opcode === 8);
    return close && { code: close.payload.readUInt16BE(0), reason: close.payload.subarray(2).toString("utf8") };
  }
}

describe("live messages", () => {
  test("connection on open, then every type with the contract's fields", async () => {
    const { bus, url } = startServer();
    const client = await Client.connected(url);

    bus.publish({ type: "traffic", data: trafficRow(1) });
    const traffic = await client.take("traffic");
    expectEnvelope(traffic);
    expectShape(TrafficData, traffic.data);
    expect(traffic.data).toMatchObject({ ip: "203.0.113.7", method: "GET", endpoint: "/products/1", status: 200, size: "1.5 KB", userAgent: "curl/8.5.0" });

    bus.publish({ type: "threat", data: threatRow(5, "sqli", false) });
    const threat = await client.take("threat");
    expectShape(ThreatData, threat.data);
    expect(threat.data).toMatchObject({ id: 5, type: "sqli", severity: "critical", source: "198.51.100.9", endpoint: "/search", blocked: false });
    const threatActivity = await client.take("activity");
    expectShape(ActivityData, threatActivity.data);
    expect(threatActivity.data).toMatchObject({ type: "allowed", title: "sqli flagged", details: "query.q: sqli — ' or 1=1--", ip: "198.51.100.9", endpoint: "/search" });

    bus.publish({ type: "threat", data: threatRow(6, "xss", true) });
    await client.take("threat");
    expect((await client.take("activity")).data).toMatchObject({ type: "blocked", title: "xss blocked" });

    bus.publish({ type: "alert", data: alertRow(7) });
    const alert = await client.take("alert");
    expectShape(AlertData, alert.data);
    expect(alert.data).toMatchObject({ id: 7, type: "critical", severity: "high", title: "SQL injection burst", actions: ["acknowledge", "dismiss"] });

    bus.publish({ type: "activity", data: startedActivity });
    const activity = await client.take("activity");
    expectShape(ActivityData, activity.data);
    expect(activity.data).toMatchObject({ id: 11, type: "allowed", title: "Moat started", kind: "service.started" });

    bus.publish({ type: "metrics", data: snapshot(200) });
    const metrics = await client.take("metrics");
    expectShape(RealTimeMetrics, metrics.data);
    expect(metrics.data).toMatchObject({ requests: 200, blocked: 3, attackRate: 1.5, responseTime: 12.5, threatsPerMinute: 3, uptime: 60, activeConnections: 1 });

    const charts = [await client.take("chart"), await client.take("chart"), await client.take("chart")].map((m) => m.data as { type: string; data: unknown });
    for (const chart of charts) expectShape(ChartDataPoint, chart.data);
    expect(charts.map((c) => c.type)).toEqual(["requests", "threats", "performance"]);
    expect(charts[0]!.data).toMatchObject({ time: "12:00:00", requests: 200, blocked: 3 });
    // The two threats published since start-up: one sqli, one xss.
    expect(charts[1]!.data).toMatchObject({ time: "12:00:00", sql: 1, xss: 1, ddos: 0, other: 0 });
    expect(charts[2]!.data).toMatchObject({ time: "12:00:00", latency: 12.5, cpu: 7.5, memory: 21 });

    bus.publish({ type: "metrics", data: snapshot(201) });
    await client.take("metrics");
    const threatsSinceLast = (await Promise.all([client.take("chart"), client.take("chart"), client.take("chart")]))[1]!.data;
    expect(threatsSinceLast).toMatchObject({ type: "threats", data: { sql: 0, xss: 0, ddos: 0, other: 0 } });
  });

  test("subscribe and unsubscribe filter what a client receives", async () => {
    const { bus, url } = startServer();
    const client = await Client.connected(url);

    client.send({ type: "subscribe", message_types: ["alert", "threat"] });
    expect((await client.take("subscribed")).data).toEqual(["alert", "threat"]);
    bus.publish({ type: "traffic", data: trafficRow(1) });
    bus.publish({ type: "metrics", data: snapshot(1) });
    bus.publish({ type: "alert", data: alertRow(1) });
    await client.take("alert");
    // Delivery is in order: had traffic or metrics been sent, they would have arrived before the alert.
    expect(client.messages).toEqual([]);

    client.send({ type: "unsubscribe", message_types: ["alert"] });
    expect((await client.take("unsubscribed")).data).toEqual(["threat"]);
    bus.publish({ type: "alert", data: alertRow(2) });
    bus.publish({ type: "threat", data: threatRow(3, "sqli", true) });
    expect((await client.take("threat")).data).toMatchObject({ id: 3 });
    expect(client.messages).toEqual([]);
  });

  test("unsubscribing first keeps every other type", async () => {
    const { bus, url } = startServer();
    const client = await Client.connected(url);
    client.send({ type: "unsubscribe", message_types: ["traffic"] });
    expect((await client.take("unsubscribed")).data).toEqual(["metrics", "alert", "activity", "threat", "chart"]);
    bus.publish({ type: "traffic", data: trafficRow(1) });
    bus.publish({ type: "activity", data: startedActivity });
    await client.take("activity");
    expect(client.messages).toEqual([]);
  });

  test("ping gets pong, whatever the subscriptions", async () => {
    const { url } = startServer();
    const client = await Client.connected(url);
    client.send({ type: "subscribe", message_types: ["alert"] });
    await client.take("subscribed");
    client.send({ type: "ping" });
    const pong = await client.take("pong");
    expectEnvelope(pong);
  });

  test("bad client messages get an error and the connection stays open", async () => {
    const { bus, url } = startServer();
    const client = await Client.connected(url);
    const deep = (depth: number) => '{"type":'.repeat(depth) + '"ping"' + "}".repeat(depth);
    const cases: [unknown, string][] = [
      ["{not json", "malformed JSON"],
      ["hello", "malformed JSON"],
      ["42", 'expected a JSON object with a "type"'],
      [{ type: "launch" }, "unknown message type: expected subscribe, unsubscribe or ping"],
      [{ message_types: ["alert"] }, "unknown message type: expected subscribe, unsubscribe or ping"],
      [{ type: "subscribe" }, "message_types must be an array of: metrics, alert, activity, threat, traffic, chart"],
      [{ type: "subscribe", message_types: ["alert", "secrets"] }, "message_types must be an array of: metrics, alert, activity, threat, traffic, chart"],
      // Within the size limit, but nested deeper than any client message: measured before anything recurses.
      [deep(9), "message nested too deep: at most 8 levels"],
      [deep(400), "message nested too deep: at most 8 levels"],
      ["[".repeat(4000), "message nested too deep: at most 8 levels"],
    ];
    for (const [message, error] of cases) {
      client.send(message);
      const reply = await client.take("error");
      expectEnvelope(reply);
      expect(reply.data).toBe(error);
    }
    client.ws.send(new Uint8Array([1, 2, 3]));
    expect((await client.take("error")).data).toBe("binary messages are not supported: send JSON text");

    // Still open, still unfiltered (the bad subscribe changed nothing).
    bus.publish({ type: "traffic", data: trafficRow(1) });
    await client.take("traffic");
    expect(client.closed).toBeNull();
  });
});

/** A client frame's header (FIN, text, masked) announcing `length` bytes of payload. */
function maskedFrameHeader(length: number): Buffer {
  const header = Buffer.alloc(14);
  header[0] = 0x81;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  header.writeUInt32BE(0, 10); // a zero mask: the payload goes as it is
  return header;
}

describe("what a client's messages cannot do to the server", () => {
  test("a frame over 4 KiB closes the socket with 1009 as soon as its header arrives, before its payload is read", async () => {
    const { hub, port, url } = startServer();
    const client = await Client.connected(url);
    client.send({ type: "ping", padding: "x".repeat(5000) });
    await waitUntil("the close", () => client.closed !== null);
    expect(client.closed!.code).toBe(1009);

    // 15 MB announced, 1 KiB sent: the server closes at once instead of waiting to buffer the rest.
    const raw = await RawClient.connected(port);
    raw.socket.write(maskedFrameHeader(15 * 1024 * 1024));
    raw.socket.write(Buffer.alloc(1024, 0x61));
    await waitUntil("the server's close frame", () => raw.closeFrame() !== undefined);
    expect(raw.closeFrame()!.code).toBe(1009);
    await waitUntil("the connection to end", () => raw.socket.readableEnded || raw.socket.destroyed);
    await waitUntil("the hub to let both go", () => hub.stats().clients === 0);
  });

  test("a message nested a million deep gets an answer, not silence, and the server goes on", async () => {
    const { url } = startServer();
    const client = await Client.connected(url);
    client.send("[".repeat(1_000_000) + "]".repeat(1_000_000));
    await waitUntil("an answer", () => client.closed !== null || client.messages.length > 0);
    expect(client.closed?.code).toBe(1009); // over the frame limit: refused before it is parsed
    const next = await Client.connected(url);
    next.send({ type: "ping" });
    await next.take("pong");
  });
});

describe("connections", () => {
  test("a client over the maximum is refused with a reason", async () => {
    const { hub, url } = startServer({ maxClients: 2 });
    const first = await Client.connected(url);
    await Client.connected(url);
    const third = new Client(url);
    await waitUntil("the refusal", () => third.closed !== null);
    expect(third.closed).toEqual({ code: CLOSE_FULL, reason: "too many clients: at most 2, try again later" });
    expect(third.messages).toEqual([]);
    expect(hub.stats()).toMatchObject({ clients: 2, refused: 1 });

    // A place freed is a place taken.
    first.ws.close();
    await waitUntil("the first client to leave", () => hub.stats().clients === 1);
    await Client.connected(url);
  });

  test("a client that answers no heartbeat is evicted; one that does stays", async () => {
    const heartbeatMs = 100;
    const { hub, url, port } = startServer({ heartbeatMs });
    const live = await Client.connected(url);
    const dead = await RawClient.connected(port);
    await waitUntil("the eviction", () => hub.stats().evicted === 1);
    await waitUntil("the close frame", () => dead.closeFrame() !== undefined);
    expect(dead.closeFrame()).toEqual({ code: CLOSE_EVICTED, reason: "no answer to 2 heartbeats" });
    // It was pinged (opcode 9) before it was given up.
    expect(dead.frames().filter((f) => f.opcode === 9).length).toBe(2);

    // Bun's client answers pings by itself, as browsers do: many heartbeats later it is still there.
    const heartbeats = hub.stats();
    await Bun.sleep(heartbeatMs * 6);
    expect(hub.stats()).toEqual(heartbeats);
    expect(hub.stats().clients).toBe(1);
    expect(live.closed).toBeNull();
  });

  test("closing the hub closes its clients and refuses new ones, so a graceful stop can finish", async () => {
    const { app, bus, hub, port, url } = startServer();
    const client = await Client.connected(url);
    const slow = await RawClient.connected(port);
    slow.socket.pause();
    hub.close();
    await waitUntil("the close", () => client.closed !== null);
    expect(client.closed).toEqual({ code: CLOSE_SHUTDOWN, reason: "server shutting down" });
    const late = new Client(url);
    await waitUntil("the late client's refusal", () => late.closed !== null);
    expect(late.closed!.code).toBe(CLOSE_SHUTDOWN);
    expect(hub.stats().clients).toBe(0);

    await app.stop();
    // Stopped, the route no longer listens to the bus.
    expect(bus.size).toBe(0);
    slow.socket.destroy();
  });
  test("a socket opened with a key or a session is closed once the key is revoked, even from another process", async () => {
    const s = await makeApiServices({ MOAT_SERVER_HOST: "0.0.0.0" });
    const app = createApi(s).listen({ hostname: "127.0.0.1", port: 0 });
    running.push(app);
    const { id, key } = createKey(s.ctx.store, "operator");
    const other = createKey(s.ctx.store, "other");
    const port = app.server!.port!;
    const login = await fetch(`http://127.0.0.1:${port}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key }) });
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    const url = `ws://127.0.0.1:${port}/ws`;
    const byKey = await Client.connected(url, { authorization: `Bearer ${key}` });
    const bySession = await Client.connected(url, { cookie });
    const unaffected = await Client.connected(url, { "x-api-key": other.key });
    // What `moat apikey revoke` does from its own process: nothing tells the server, which notices by asking the database again.
    revokeKey(s.ctx.store, id);
    await waitUntil("the revoked key's sockets to close", () => byKey.closed !== null && bySession.closed !== null, 20_000);
    expect(byKey.closed).toEqual({ code: CLOSE_CREDENTIALS_REVOKED, reason: "credentials revoked or expired: reconnect with a valid key or log in again" });
    expect(bySession.closed!.code).toBe(CLOSE_CREDENTIALS_REVOKED);
    s.ctx.bus.publish({ type: "traffic", data: trafficRow(1) });
    await unaffected.take("traffic");
    expect(unaffected.closed).toBeNull();
    expect(app.decorator.wsHub.stats().clients).toBe(1);
  }, 30_000);
});

describe("a client that does not read", () => {
  test("keeps the server's queue for it bounded, drops traffic first, and catches up when it reads", async () => {
    const maxQueuedMessages = 64;
    const maxQueuedBytes = 256 * 1024;
    const { bus, hub, port } = startServer({ heartbeatMs: 600_000, maxQueuedMessages, maxQueuedBytes });
    const slow = await RawClient.connected(port);
    slow.socket.pause();

    Bun.gc(true);
    const heapBefore = heapStats().heapSize;
    const trafficEvents = 100_000;
    let lastSnapshot = 0;
    for (let i = 1; i <= trafficEvents; i++) {
      bus.publish({ type: "traffic", data: trafficRow(i) });
      if (i % 100 === 0) bus.publish({ type: "metrics", data: snapshot((lastSnapshot = i)) });
      // Mid-flood, long after the socket pushed back: it must outlive the traffic (and chart points) behind it.
      if (i === trafficEvents / 2) bus.publish({ type: "alert", data: alertRow(99) });
    }
    Bun.gc(true);
    // Live heap after a full collection: what the server still holds (RSS keeps pages the collector freed).
    const heapGrowth = heapStats().heapSize - heapBefore;

    expect(hub.clientStats()).toHaveLength(1);
    const [queue] = hub.clientStats();
    expect(queue!.queuedMessages).toBeLessThanOrEqual(maxQueuedMessages);
    expect(queue!.queuedBytes).toBeLessThanOrEqual(maxQueuedBytes);
    // Bun holds at most the message that met backpressure (and pings): the rest waits in the queue.
    expect(queue!.bufferedBytes).toBeLessThan(16 * 1024);
    expect(queue!.dropped).toBeGreaterThan(trafficEvents / 2);
    expect(hub.stats().dropped).toBe(queue!.dropped);
    // 100,000 traffic items held for it would be tens of MB; the bounded queue holds at most 256 KiB.
    expect(heapGrowth).toBeLessThan(16 * 1024 * 1024);

    // Reading again, it gets what was kept: the alert that outlived the traffic, the newest metrics and chart points.
    slow.socket.resume();
    await waitUntil("the queue to drain", () => hub.clientStats()[0]?.queuedMessages === 0 && slow.messages().some((m) => m.type === "alert"), 20_000);
    const received = slow.messages();
    const metrics = received.filter((m) => m.type === "metrics");
    expect(metrics.at(-1)!.data).toMatchObject({ requests: lastSnapshot });
    expect(received.find((m) => m.type === "alert")!.data).toMatchObject({ id: 99 });
    const lastChart = received.filter((m) => m.type === "chart" && (m.data as { type: string }).type === "requests").at(-1);
    expect(lastChart!.data).toMatchObject({ data: { requests: lastSnapshot } });
    expect(received.filter((m) => m.type === "traffic").length).toBeLessThan(trafficEvents);
    slow.socket.destroy();
  }, 60_000);
});
