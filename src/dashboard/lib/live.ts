/**
 * The live feed: one WebSocket to `/ws` for the whole app, reconnecting with back-off, and its state
 * for the indicator: `live` (open), `connecting` (opening, or retrying after a short drop) and
 * `offline` (several attempts failed, or the browser is offline; it keeps retrying).
 */
import { useEffect, useRef, useSyncExternalStore } from "react";
import type { LiveMessages, LiveType } from "./types.ts";

export type LiveState = "live" | "connecting" | "offline";

/** Failed attempts in a row before the indicator says offline. */
const OFFLINE_AFTER = 3;
const MAX_BACKOFF_MS = 15_000;

type Handler = (data: never) => void;

class LiveConnection {
  state: LiveState = "connecting";
  private socket: WebSocket | null = null;
  private failures = 0;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private readonly handlers = new Map<LiveType, Set<Handler>>();
  private readonly watchers = new Set<() => void>();

  start(): void {
    if (this.running) return;
    this.running = true;
    addEventListener("online", this.reconnectNow);
    addEventListener("offline", this.wentOffline);
    this.open();
  }

  stop(): void {
    this.running = false;
    removeEventListener("online", this.reconnectNow);
    removeEventListener("offline", this.wentOffline);
    if (this.retry) clearTimeout(this.retry);
    this.socket?.close();
    this.socket = null;
    this.setState("connecting");
  }

  /** Retry at once (the indicator's button, or the browser coming back online). */
  readonly reconnectNow = (): void => {
    if (!this.running || this.state === "live") return;
    if (this.retry) clearTimeout(this.retry);
    this.socket?.close();
    this.open();
  };

  private readonly wentOffline = (): void => this.setState("offline");

  on<T extends LiveType>(type: T, handler: (data: LiveMessages[T]) => void): () => void {
    const set = this.handlers.get(type) ?? new Set();
    this.handlers.set(type, set);
    set.add(handler as Handler);
    return () => set.delete(handler as Handler);
  }

  watch(fn: () => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  private setState(state: LiveState): void {
    if (state === this.state) return;
    this.state = state;
    for (const fn of this.watchers) fn();
  }

  private open(): void {
    if (this.failures < OFFLINE_AFTER && navigator.onLine) this.setState("connecting");
    const url = new URL("/ws", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      this.failures = 0;
      this.setState("live");
    };
    socket.onmessage = (e) => this.dispatch(e.data);
    socket.onclose = () => {
      if (this.socket !== socket || !this.running) return;
      this.failures++;
      this.setState(this.failures >= OFFLINE_AFTER || !navigator.onLine ? "offline" : "connecting");
      const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(this.failures, 5));
      this.retry = setTimeout(() => this.open(), delay);
    };
  }

  private dispatch(raw: unknown): void {
    if (typeof raw !== "string") return;
    let message: { type?: string; data?: unknown };
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }
    const handlers = this.handlers.get(message.type as LiveType);
    if (!handlers) return;
    for (const h of handlers) (h as (data: unknown) => void)(message.data);
  }
}

export const live = new LiveConnection();

export function useLiveState(): LiveState {
  return useSyncExternalStore(
    (fn) => live.watch(fn),
    () => live.state,
  );
}

/** Runs `handler` for every live message of `type` while the component is mounted. */
export function useLive<T extends LiveType>(type: T, handler: (data: LiveMessages[T]) => void): void {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => live.on(type, (data) => latest.current(data)), [type]);
}
