/**
 * The mirror's listener: its own port (mirror.host, mirror.port), served on a thread of its own
 * (listener-worker.ts), so that nginx's copies are answered at once whatever the main thread is doing.
 * Copies reach the main thread in batches and go to the mirror source, which queues and judges them.
 */
import type { HttpRequest } from "../../core/http-request.ts";
import { mirroredRequest, TRANSIT_COPIES, TRANSIT_KIB, transitKib, type ReceivedCopy } from "./copy.ts";
import { workerModule } from "../../core/worker-module.ts";
import { browserPolicy, type BrowserPolicy } from "../auth/origin.ts";
import { LAST_USED_RESOLUTION_MS, liveKeyHashes, markKeysUsed } from "../auth/keys.ts";
import { mirrorKeyRequired } from "../../config/exposure.ts";
import type { ServiceContext } from "../../services/context.ts";
import type { MirrorSource } from "../../pipeline/sources/mirror.ts";

export type ListenerCommand =
  | { type: "start"; host: string; port: number; maxBodyBytes: number; hosts: BrowserPolicy; keyHashes: string[] | null; inTransit: Int32Array; maxInTransit: number }
  | { type: "keys"; keyHashes: string[] | null }
  | { type: "stop" };

export type ListenerEvent =
  | { type: "listening"; port: number }
  | { type: "failed"; error: string }
  /** The copies taken since the last message; how many requests were refused, and copies dropped, meanwhile. */
  | { type: "copies"; copies: ReceivedCopy[]; refused: number; dropped: number; lastRefusal: string; keysUsed: string[] }
  | { type: "stopped" };

export interface MirrorListenerOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  /** The names answered besides loopback names and IP literals. */
  hosts: BrowserPolicy;
  /** The live keys' hashes when a key is required, else null: asked again every KEY_REFRESH_MS, so a revoked key stops working within it. */
  keyHashes(): string[] | null;
  /** Each copy taken, for the mirror source. */
  accept(copy: HttpRequest): void;
  /** The hashes of the API keys copies came with (when keys are required). */
  keysUsed?(hashes: string[]): void;
  /** Copies dropped unread because too many were on their way to the main thread. */
  dropped(count: number): void;
  /** Copies at most on their way from the listener's thread to the main thread (mirror.max_queued). */
  maxInTransit: number;
  /** Requests refused by the listener (not nginx's, or without a live key), and why the last one was. */
  refused(count: number, why: string): void;
  /** The thread died after start-up: copies are not taken until it is started again (it is, after a delay). */
  onError(message: string): void;
}

/** The listener could not start; `inUse` when another program holds the port. */
export class MirrorListenError extends Error {
  constructor(message: string, readonly inUse: boolean) {
    super(message);
    this.name = "MirrorListenError";
  }
}

export const KEY_REFRESH_MS = 2_000;

/** Refusals are logged at most this often: a scanner knocking on the port must not flood the log. */
const REFUSAL_LOG_MS = 60_000;
const STOP_WAIT_MS = 2_000;
const WORKER = workerModule(import.meta.url, "src/api/mirror/listener-worker.ts");

/** A listener thread that dies is started again on the same port: first after 1 s, then up to every 30 s. */
const RESTART_MIN_MS = 1_000;
const RESTART_MAX_MS = 30_000;

export class MirrorListener {
  private worker: Worker | null = null;
  private keysTimer: ReturnType<typeof setInterval> | null = null;
  private stopped: (() => void) | null = null;
  private closing = false;
  private restartDelay = RESTART_MIN_MS;
  /** Copies and their bodies' KiB on their way from the listener's thread (listener-worker.ts). */
  private readonly inTransit = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  private sentKeys = "";

  private constructor(private readonly o: MirrorListenerOptions, public port: number) {}

  /** Listens, or rejects with why it cannot (the port is taken, the address is not this machine's). */
  static async start(o: MirrorListenerOptions): Promise<MirrorListener> {
    const listener = new MirrorListener(o, o.port);
    await listener.launch();
    listener.followKeys();
    return listener;
  }

  /** Starts a thread listening on this.port; resolves once it listens. */
  private launch(): Promise<void> {
    const worker = new Worker(WORKER);
    this.worker = worker;
    // A dead thread's copies never arrive: the count starts again.
    Atomics.store(this.inTransit, TRANSIT_COPIES, 0);
    Atomics.store(this.inTransit, TRANSIT_KIB, 0);
    return new Promise((resolve, reject) => {
      let listening = false;
      let gone = false;
      worker.onmessage = (event: MessageEvent<ListenerEvent>) => {
        const e = event.data;
        if (e.type === "listening") {
          listening = true;
          this.port = e.port;
          this.restartDelay = RESTART_MIN_MS;
          resolve();
        } else if (e.type === "failed") {
          gone = true;
          worker.terminate();
          reject(new MirrorListenError(`cannot listen for nginx's mirror on ${this.o.host}:${this.port}: ${e.error}`, /in use|EADDRINUSE/i.test(e.error)));
        } else if (e.type === "copies") this.take(e);
        else this.stopped?.();
      };
      const died = (why: string) => {
        if (gone) return;
        gone = true;
        if (!listening) return reject(new MirrorListenError(why, false));
        if (this.closing) return;
        this.o.onError(`${why}: copies are not taken until it is started again, in ${this.restartDelay / 1000} s`);
        worker.terminate();
        this.restart();
      };
      worker.onerror = (event) => died(`the mirror's listener failed: ${event.message}`);
      worker.addEventListener("close", () => died("the mirror's listener stopped"));
      const keyHashes = this.o.keyHashes();
      this.sentKeys = JSON.stringify(keyHashes);
      const start: ListenerCommand = { type: "start", host: this.o.host, port: this.port, maxBodyBytes: this.o.maxBodyBytes, hosts: this.o.hosts, keyHashes, inTransit: this.inTransit, maxInTransit: this.o.maxInTransit };
      worker.postMessage(start);
    });
  }

  private restart(): void {
    const delay = this.restartDelay;
    this.restartDelay = Math.min(RESTART_MAX_MS, delay * 2);
    setTimeout(() => {
      if (this.closing) return;
      this.launch().catch((e: Error) => {
        this.o.onError(e.message);
        this.restart();
      });
    }, delay).unref?.();
  }

  private take(e: Extract<ListenerEvent, { type: "copies" }>): void {
    for (const copy of e.copies) {
      Atomics.sub(this.inTransit, TRANSIT_COPIES, 1);
      Atomics.sub(this.inTransit, TRANSIT_KIB, transitKib(copy));
      this.o.accept(mirroredRequest(copy));
    }
    if (e.keysUsed.length) this.o.keysUsed?.(e.keysUsed);
    if (e.dropped) this.o.dropped(e.dropped);
    if (e.refused) this.o.refused(e.refused, e.lastRefusal);
  }

  private followKeys(): void {
    this.keysTimer = setInterval(() => {
      const keyHashes = this.o.keyHashes();
      const now = JSON.stringify(keyHashes);
      if (now === this.sentKeys) return;
      this.sentKeys = now;
      this.worker?.postMessage({ type: "keys", keyHashes } satisfies ListenerCommand);
    }, KEY_REFRESH_MS);
    this.keysTimer.unref?.();
  }

  /** Stops listening; the copies the thread had taken are handed over first. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.keysTimer) clearInterval(this.keysTimer);
    const worker = this.worker;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, STOP_WAIT_MS);
      this.stopped = () => {
        clearTimeout(timer);
        resolve();
      };
      worker.postMessage({ type: "stop" } satisfies ListenerCommand);
    });
    worker.terminate();
  }
}

/** The listener of `moat serve`, from the configuration, feeding the mirror source. */
export function listenForMirror(ctx: ServiceContext, source: MirrorSource): Promise<MirrorListener> {
  const { config, store, log } = ctx;
  const keyRequired = mirrorKeyRequired(config);
  const markedAt = new Map<string, number>(); // a key's hash → when it was last marked used (few keys)
  let refusalsLoggedAt = -Infinity;
  let unlogged = 0;
  return MirrorListener.start({
    host: config.mirror.host,
    port: config.mirror.port,
    maxBodyBytes: config.mirror.max_body_bytes,
    hosts: browserPolicy({ ...config.server, host: config.mirror.host }),
    keyHashes: () => (keyRequired ? liveKeyHashes(store) : null),
    accept: (copy) => void source.accept(copy),
    dropped: (count) => source.countDroppedOnArrival(count),
    keysUsed: (hashes) => {
      // Written at most once a minute a key, as the API's guard does: not on every batch of copies.
      const now = ctx.monotonic();
      const due = hashes.filter((h) => !(now - (markedAt.get(h) ?? -Infinity) < LAST_USED_RESOLUTION_MS));
      if (!due.length) return;
      for (const h of due) markedAt.set(h, now);
      markKeysUsed(store, due, ctx.now());
    },
    maxInTransit: config.mirror.max_queued,
    refused: (count, why) => {
      source.countRefused(count);
      unlogged += count;
      if (ctx.monotonic() - refusalsLoggedAt < REFUSAL_LOG_MS) return;
      refusalsLoggedAt = ctx.monotonic();
      log.warn("requests to the mirror listener refused", { count: unlogged, last: why });
      unlogged = 0;
    },
    onError: (message) => log.error(message),
  });
}
