/**
 * The live event bus: every new traffic item, threat, alert, activity and metrics snapshot is
 * published here; the WebSocket (and anything else live) subscribes. Delivery is synchronous and a
 * throwing subscriber never stops the others or the publisher.
 */
import type { ActivityRow, AlertRow, ThreatRow, TrafficRow } from "../store/rows.ts";

/** A live snapshot of the service's figures (see services/metrics.ts). */
export interface MetricsSnapshot {
  time: number;
  /** Over the rolling window. */
  requests: number;
  flagged: number;
  blocked: number;
  attackRate: number;
  responseTimeMs: number;
  threatsPerMinute: number;
  uptimeSeconds: number;
  cpuPercent: number;
  memoryPercent: number;
  rssBytes: number;
}

export type BusEvent =
  | { type: "traffic"; data: TrafficRow }
  | { type: "threat"; data: ThreatRow }
  | { type: "alert"; data: AlertRow }
  | { type: "activity"; data: ActivityRow }
  | { type: "metrics"; data: MetricsSnapshot };

export type Subscriber = (event: BusEvent) => void;

export class Bus {
  private readonly subscribers = new Set<Subscriber>();
  /** Subscriber errors, counted (a bug in one consumer must be visible, not fatal). */
  errors = 0;

  subscribe(fn: Subscriber): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  publish(event: BusEvent): void {
    for (const fn of this.subscribers) {
      try {
        fn(event);
      } catch {
        this.errors++;
      }
    }
  }

  get size(): number {
    return this.subscribers.size;
  }
}

/**
 * Collects what arrives within one turn of the event loop and hands it to `take` at once, on a
 * microtask. A throw in `take` goes to `onError`: outside `publish` nothing else would catch it, and
 * an error uncaught in a microtask ends the process.
 */
export function batched<T>(take: (items: T[]) => void, onError: (e: Error) => void): (item: T) => void {
  let pending: T[] = [];
  return (item) => {
    if (!pending.length) queueMicrotask(() => {
      const items = pending;
      pending = [];
      try {
        take(items);
      } catch (e) {
        onError(e as Error);
      }
    });
    pending.push(item);
  };
}
