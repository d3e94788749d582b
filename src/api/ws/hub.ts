/**
 * The live WebSocket hub, independent of the HTTP framework: it turns bus events into contract
 * messages (shared/API-CONTRACT.md, WebSocket), keeps each client's subscriptions, answers client
 * messages and runs the heartbeat.
 *
 * A client that does not read must never make the server's memory grow: a message goes straight to
 * the socket only while the socket is not backpressured; after Bun reports backpressure (send
 * returns -1) messages wait in a small per-client queue until the socket drains. The queue is
 * bounded in messages and bytes: metrics and each kind of chart point are coalesced (a lagging
 * client wants the latest snapshot, and chart points come with every snapshot, so they must not
 * crowd out alerts), traffic is dropped first (it is the flood), then the oldest of the rest.
 * Drops are counted; coalesced messages are superseded, not dropped.
 *
 * Heartbeat: a WebSocket ping frame every `heartbeatMs`. Browsers (and Bun's client) answer pings
 * with pongs on their own, so the dashboard needs no code for it. Any pong or message from the
 * client counts as an answer; a client that leaves 2 pings in a row unanswered is closed with 4000.
 *
 * Credentials: a socket opened with an API key or a dashboard session is checked again every
 * `credentialCheckMs`, and closed with 4401 once they no longer hold. Keys are revoked by the API or
 * by `moat apikey revoke` in another process: only asking the database again notices both.
 *
 * Client messages are small (the server refuses frames over `maxClientMessageBytes` before reading
 * them: see route.ts) and flat: one nested deeper than MAX_CLIENT_MESSAGE_DEPTH gets an error, measured
 * without recursion, so no message can exhaust the stack.
 */
import type { BusEvent, MetricsSnapshot } from "../../pipeline/bus.ts";
import type { ThreatRow } from "../../store/rows.ts";
import { shownBlocked, threatColumn, toActivityData, toAlertData, toRealTimeMetrics, toThreatData, toTrafficData, type WsStreamData } from "../contract.ts";
import { threatActivity } from "../feed.ts";
import { nestsDeeperThan } from "../../core/json.ts";
import { WS_STREAM_TYPES, type WsControlType, type WsStreamType } from "../../core/enums.ts";

export interface ServerMessage {
  type: WsStreamType | WsControlType;
  data: unknown;
  timestamp: string;
}

type ClientMessage = { type: "ping" } | { type: "subscribe" | "unsubscribe"; messageTypes: WsStreamType[] };

/** What the hub needs of a socket; Bun's ServerWebSocket is one. */
export interface HubSocket {
  /** Bytes sent; -1 when Bun queued it under backpressure; 0 when Bun dropped it. */
  send(text: string): number;
  ping(): number;
  close(code?: number, reason?: string): void;
  getBufferedAmount(): number;
}

export interface HubOptions {
  maxClients: number;
  heartbeatMs: number;
  /** Per-client queue bounds while the socket is backpressured. */
  maxQueuedMessages: number;
  maxQueuedBytes: number;
  /** Larger client messages are answered with an error. */
  maxClientMessageBytes: number;
  /** How often the credentials of the sockets that came with some are checked again. */
  credentialCheckMs: number;
  now: () => number;
}

/** The largest client message; the server's WebSocket frame limit too (route.ts). */
export const MAX_CLIENT_MESSAGE_BYTES = 4096;
/** `{"type":"subscribe","message_types":[...]}` nests 2 deep. */
const MAX_CLIENT_MESSAGE_DEPTH = 8;

const DEFAULT_HUB_OPTIONS: HubOptions = {
  maxClients: 100,
  heartbeatMs: 15_000,
  maxQueuedMessages: 64,
  maxQueuedBytes: 256 * 1024,
  maxClientMessageBytes: MAX_CLIENT_MESSAGE_BYTES,
  credentialCheckMs: 5_000,
  now: () => Date.now(),
};

/** Pings in a row a client may leave unanswered before it is evicted. */
const MISSED_HEARTBEATS = 2;
/** 4000-4999 is for applications; 1013 is the standard "try again later". */
export const CLOSE_EVICTED = 4000;
export const CLOSE_FULL = 1013;
export const CLOSE_SHUTDOWN = 1001;
export const CLOSE_CREDENTIALS_REVOKED = 4401;

/** A message for clients; a newer one with the same `coalesceKey` replaces a queued one. */
interface StreamMessage {
  type: WsStreamType;
  data: unknown;
  coalesceKey?: string;
}

interface Outgoing {
  type: ServerMessage["type"];
  coalesceKey: string | null;
  text: string;
  bytes: number;
}

interface Client {
  socket: HubSocket;
  /** null: every type (the client never subscribed). */
  subscriptions: Set<WsStreamType> | null;
  /** Messages waiting for a drain, oldest first. */
  queue: Outgoing[];
  queuedBytes: number;
  /** From a send that met backpressure until a drain empties the queue. */
  backpressured: boolean;
  /** Pings sent since the client was last heard from. */
  unansweredPings: number;
  dropped: number;
  /** Whether the credentials the socket was opened with still hold; null when it came without any. */
  credentialsHold: (() => boolean) | null;
}

export interface ClientStats {
  queuedMessages: number;
  queuedBytes: number;
  /** What Bun itself holds for the socket. */
  bufferedBytes: number;
  dropped: number;
}

/** The three chart points of each metrics snapshot; the threats point counts threats since the last one. */
class ChartPoints {
  private threats = { sql: 0, xss: 0, ddos: 0, other: 0 };

  countThreat(row: ThreatRow): void {
    this.threats[threatColumn(row.attackType)]++;
  }

  pointsFor(s: MetricsSnapshot): WsStreamData["chart"][] {
    const date = new Date(s.time).toISOString();
    const time = date.slice(11, 19);
    const threats = this.threats;
    this.threats = { sql: 0, xss: 0, ddos: 0, other: 0 };
    return [
      { type: "requests", data: { time, date, requests: s.requests, blocked: shownBlocked(s) } },
      { type: "threats", data: { time, date, ...threats } },
      { type: "performance", data: { time, date, latency: s.responseTimeMs, cpu: s.cpuPercent, memory: s.memoryPercent } },
    ];
  }
}

function isStreamType(value: unknown): value is WsStreamType {
  return WS_STREAM_TYPES.includes(value as WsStreamType);
}

function isBinary(message: unknown): message is ArrayBufferView | ArrayBuffer {
  return ArrayBuffer.isView(message) || message instanceof ArrayBuffer;
}

/** Whether a parsed value nests arrays or objects more than `max` deep, walked without recursion. */
function valueNestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [v, depth] = next;
    if (typeof v !== "object" || v === null) continue;
    if (depth >= max) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

const TOO_DEEP = `message nested too deep: at most ${MAX_CLIENT_MESSAGE_DEPTH} levels`;

function tooLarge(bytes: number, maxBytes: number): string {
  return `message too large: ${bytes} bytes, at most ${maxBytes}`;
}

/** What is wrong with a client message's size or depth, found before it is parsed: text, binary, or JSON the framework already parsed. */
function shapeProblem(message: unknown, maxBytes: number): string | null {
  if (typeof message === "string") {
    const bytes = Buffer.byteLength(message);
    if (bytes > maxBytes) return tooLarge(bytes, maxBytes);
    return nestsDeeperThan(message, MAX_CLIENT_MESSAGE_DEPTH) ? TOO_DEEP : null;
  }
  if (isBinary(message)) return message.byteLength > maxBytes ? tooLarge(message.byteLength, maxBytes) : null;
  // The framework keeps no text: measured as compact JSON again, once the depth is known to be small
  // (JSON.stringify of a value nested too deep overflows the stack).
  if (valueNestsDeeperThan(message, MAX_CLIENT_MESSAGE_DEPTH)) return TOO_DEEP;
  const bytes = Buffer.byteLength(JSON.stringify(message) ?? "");
  return bytes > maxBytes ? tooLarge(bytes, maxBytes) : null;
}

/** The client message, or what is wrong with it. */
function parseClientMessage(message: unknown): ClientMessage | { error: string } {
  if (isBinary(message)) return { error: "binary messages are not supported: send JSON text" };
  let value = message;
  if (typeof message === "string") {
    try {
      value = JSON.parse(message);
    } catch {
      return { error: "malformed JSON" };
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { error: 'expected a JSON object with a "type"' };
  const { type, message_types: messageTypes } = value as { type?: unknown; message_types?: unknown };
  if (type === "ping") return { type };
  if (type !== "subscribe" && type !== "unsubscribe") return { error: "unknown message type: expected subscribe, unsubscribe or ping" };
  if (!Array.isArray(messageTypes) || !messageTypes.every(isStreamType)) {
    return { error: `message_types must be an array of: ${WS_STREAM_TYPES.join(", ")}` };
  }
  return { type, messageTypes };
}

export class WsHub {
  private readonly options: HubOptions;
  private readonly clients = new Map<HubSocket, Client>();
  private readonly charts = new ChartPoints();
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private credentialTimer: ReturnType<typeof setInterval> | null = null;
  private dropped = 0;
  private evicted = 0;
  private refused = 0;
  private closed = false;

  constructor(options: Partial<HubOptions> = {}) {
    this.options = { ...DEFAULT_HUB_OPTIONS, ...options };
  }

  /**
   * Registers a new socket, or closes it when the hub is full or closed. `credentialsHold` says whether
   * the credentials it was opened with still hold (absent when it came without any).
   */
  connect(socket: HubSocket, credentialsHold: (() => boolean) | null = null): void {
    if (this.closed) {
      socket.close(CLOSE_SHUTDOWN, "server shutting down");
      return;
    }
    if (this.clients.size >= this.options.maxClients) {
      this.refused++;
      socket.close(CLOSE_FULL, `too many clients: at most ${this.options.maxClients}, try again later`);
      return;
    }
    const client: Client = { socket, subscriptions: null, queue: [], queuedBytes: 0, backpressured: false, unansweredPings: 0, dropped: 0, credentialsHold };
    this.clients.set(socket, client);
    this.heartbeatTimer ??= setInterval(() => this.heartbeat(), this.options.heartbeatMs);
    this.credentialTimer ??= setInterval(() => this.checkCredentials(), this.options.credentialCheckMs);
    this.reply(client, "connection", "connected");
  }

  disconnect(socket: HubSocket): void {
    this.clients.delete(socket);
    this.stopTimersWhenIdle();
  }

  /** A message from the client: it is alive, and it gets an answer or an error. */
  receive(socket: HubSocket, message: unknown): void {
    const client = this.clients.get(socket);
    if (!client) return;
    client.unansweredPings = 0;
    const problem = shapeProblem(message, this.options.maxClientMessageBytes);
    if (problem) {
      this.reply(client, "error", problem);
      return;
    }
    const parsed = parseClientMessage(message);
    if ("error" in parsed) this.reply(client, "error", parsed.error);
    else if (parsed.type === "ping") this.reply(client, "pong", null);
    else if (parsed.type === "subscribe") this.subscribe(client, parsed.messageTypes);
    else this.unsubscribe(client, parsed.messageTypes);
  }

  /** A pong frame (the heartbeat's answer). */
  heardFrom(socket: HubSocket): void {
    const client = this.clients.get(socket);
    if (client) client.unansweredPings = 0;
  }

  /** The socket can take more: send what waited, until it pushes back again. */
  drain(socket: HubSocket): void {
    const client = this.clients.get(socket);
    if (!client) return;
    client.backpressured = false;
    for (let next = client.queue.shift(); next; next = client.queue.shift()) {
      client.queuedBytes -= next.bytes;
      if (!this.sendNow(client, next)) return;
    }
  }

  publish(event: BusEvent): void {
    if (event.type === "threat") this.charts.countThreat(event.data);
    // The chart's threat counts above are the only state kept for an empty hub.
    if (this.clients.size === 0) return;
    for (const message of this.messagesFor(event)) this.broadcast(message);
  }

  /** One heartbeat: evict the clients that left the last pings unanswered, ping the others. */
  heartbeat(): void {
    for (const client of [...this.clients.values()]) {
      if (client.unansweredPings >= MISSED_HEARTBEATS) {
        this.evict(client);
        continue;
      }
      client.unansweredPings++;
      client.socket.ping();
    }
  }

  /** Closes the sockets whose key was revoked or whose session ended (or cannot be checked: fail closed). */
  checkCredentials(): void {
    for (const client of [...this.clients.values()]) {
      if (!client.credentialsHold) continue;
      let hold = false;
      try {
        hold = client.credentialsHold();
      } catch {
        // A database that cannot answer cannot vouch for the key either.
      }
      if (hold) continue;
      this.clients.delete(client.socket);
      client.socket.close(CLOSE_CREDENTIALS_REVOKED, "credentials revoked or expired: reconnect with a valid key or log in again");
    }
    this.stopTimersWhenIdle();
  }

  /**
   * Closes every client and refuses new ones: the server is stopping. Call it before a graceful
   * stop, which waits for open sockets to close.
   */
  close(): void {
    this.closed = true;
    for (const client of [...this.clients.values()]) {
      this.clients.delete(client.socket);
      client.socket.close(CLOSE_SHUTDOWN, "server shutting down");
    }
    this.stopTimersWhenIdle();
  }

  stats(): { clients: number; dropped: number; evicted: number; refused: number } {
    return { clients: this.clients.size, dropped: this.dropped, evicted: this.evicted, refused: this.refused };
  }

  clientStats(): ClientStats[] {
    return [...this.clients.values()].map((c) => ({
      queuedMessages: c.queue.length,
      queuedBytes: c.queuedBytes,
      bufferedBytes: c.socket.getBufferedAmount(),
      dropped: c.dropped,
    }));
  }

  private messagesFor(event: BusEvent): StreamMessage[] {
    const now = this.options.now();
    switch (event.type) {
      case "traffic":
        return [{ type: "traffic", data: toTrafficData(event.data, now) }];
      case "threat":
        return [
          { type: "threat", data: toThreatData(event.data, now) },
          { type: "activity", data: threatActivity(event.data, now) },
        ];
      case "alert":
        return [{ type: "alert", data: toAlertData(event.data, now) }];
      case "activity":
        return [{ type: "activity", data: toActivityData(event.data, now) }];
      case "metrics":
        return [
          { type: "metrics", data: toRealTimeMetrics(event.data, this.clients.size), coalesceKey: "metrics" },
          ...this.charts.pointsFor(event.data).map((data) => ({ type: "chart" as const, data, coalesceKey: `chart.${data.type}` })),
        ];
    }
  }

  /** Serialised once, whatever the number of clients. */
  private broadcast(message: StreamMessage): void {
    let outgoing: Outgoing | undefined;
    for (const client of this.clients.values()) {
      if (client.subscriptions && !client.subscriptions.has(message.type)) continue;
      outgoing ??= this.serialize(message.type, message.data, message.coalesceKey);
      this.deliver(client, outgoing);
    }
  }

  private reply(client: Client, type: WsControlType, data: unknown): void {
    this.deliver(client, this.serialize(type, data));
  }

  private serialize(type: ServerMessage["type"], data: unknown, coalesceKey?: string): Outgoing {
    const message: ServerMessage = { type, data, timestamp: new Date(this.options.now()).toISOString() };
    const text = JSON.stringify(message);
    return { type, coalesceKey: coalesceKey ?? null, text, bytes: Buffer.byteLength(text) };
  }

  private deliver(client: Client, outgoing: Outgoing): void {
    if (client.backpressured) this.enqueue(client, outgoing);
    else this.sendNow(client, outgoing);
  }

  /** Sends; false when the socket pushed back (Bun keeps a -1 message, a 0 one is lost). */
  private sendNow(client: Client, outgoing: Outgoing): boolean {
    const status = client.socket.send(outgoing.text);
    if (status > 0) return true;
    if (status === 0) this.countDrop(client);
    client.backpressured = true;
    return false;
  }

  private enqueue(client: Client, outgoing: Outgoing): void {
    if (outgoing.coalesceKey) {
      const stale = client.queue.findIndex((q) => q.coalesceKey === outgoing.coalesceKey);
      if (stale >= 0) this.removeQueued(client, stale);
    }
    client.queue.push(outgoing);
    client.queuedBytes += outgoing.bytes;
    while (client.queue.length > this.options.maxQueuedMessages || client.queuedBytes > this.options.maxQueuedBytes) {
      const oldestTraffic = client.queue.findIndex((q) => q.type === "traffic");
      this.removeQueued(client, oldestTraffic >= 0 ? oldestTraffic : 0);
      this.countDrop(client);
    }
  }

  private removeQueued(client: Client, index: number): void {
    const [removed] = client.queue.splice(index, 1);
    if (removed) client.queuedBytes -= removed.bytes;
  }

  private countDrop(client: Client): void {
    client.dropped++;
    this.dropped++;
  }

  private subscribe(client: Client, types: WsStreamType[]): void {
    client.subscriptions ??= new Set();
    for (const type of types) client.subscriptions.add(type);
    this.reply(client, "subscribed", this.subscribedTypes(client));
  }

  /** Unsubscribing before any subscribe starts from every type. */
  private unsubscribe(client: Client, types: WsStreamType[]): void {
    client.subscriptions ??= new Set(WS_STREAM_TYPES);
    for (const type of types) client.subscriptions.delete(type);
    this.reply(client, "unsubscribed", this.subscribedTypes(client));
  }

  private subscribedTypes(client: Client): WsStreamType[] {
    return WS_STREAM_TYPES.filter((type) => !client.subscriptions || client.subscriptions.has(type));
  }

  private evict(client: Client): void {
    this.clients.delete(client.socket);
    this.evicted++;
    client.socket.close(CLOSE_EVICTED, `no answer to ${MISSED_HEARTBEATS} heartbeats`);
    this.stopTimersWhenIdle();
  }

  /** The timers run only while there are clients. */
  private stopTimersWhenIdle(): void {
    if (this.clients.size > 0) return;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.credentialTimer) clearInterval(this.credentialTimer);
    this.heartbeatTimer = this.credentialTimer = null;
  }
}
