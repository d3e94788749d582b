/**
 * The mirror source: copies of client requests, bodies included, that nginx's `mirror` sends
 * (assets/deploy/nginx/mirror.conf). nginx is answered before anything is judged; copies are queued
 * and judged in batches on the pipeline, then wait in the join for their access-log line. The queue
 * is bounded: past it a copy is dropped and counted (its log line is still stored), so a flood costs
 * memory and time that do not grow with it.
 */
import type { HttpRequest } from "../../core/http-request.ts";
import type { Pipeline } from "../pipeline.ts";
import type { JudgedCopy, MirrorJoin } from "../join.ts";

export interface MirrorSourceOptions {
  pipeline: Pipeline;
  join: MirrorJoin;
  /** Copies queued at most while the judge is busy. */
  maxQueued: number;
  /** Copies judged together at most. */
  batchSize: number;
  onError(e: Error): void;
  /** Epoch ms, for lastCopyAt. */
  now(): number;
}

/** How the mirror source is doing since start-up (`/health`, `moat doctor`). */
export interface MirrorStatus {
  received: number;
  /** Dropped because the queue was full. */
  dropped: number;
  /** Requests the listener refused: not from nginx's snippet, or without a live key where one is required. */
  refused: number;
  /** Copies whose body was over the limit: judged on its first part. */
  oversize: number;
  judged: number;
  queued: number;
  /** Joined with their log line in memory. */
  joined: number;
  /** Stored without waiting for (or finding) their log line. */
  storedAlone: number;
  failures: number;
  /** Epoch ms of the last copy received, or null. */
  lastCopyAt: number | null;
}

export class MirrorSource {
  private queue: HttpRequest[] = [];
  private draining: Promise<void> | null = null;
  private readonly counts = { received: 0, dropped: 0, refused: 0, oversize: 0, judged: 0, failures: 0 };
  private lastCopyAt: number | null = null;

  constructor(private readonly options: MirrorSourceOptions) {}

  /** Queues a copy for judging; false when the queue is full and the copy was dropped. */
  accept(copy: HttpRequest): boolean {
    this.counts.received++;
    this.lastCopyAt = this.options.now();
    if (copy.bodyBytes !== undefined) this.counts.oversize++;
    if (this.queue.length >= this.options.maxQueued) {
      this.counts.dropped++;
      return false;
    }
    this.queue.push(copy);
    this.options.join.expect(copy);
    this.draining ??= this.drain();
    return true;
  }

  /** Copies the listener dropped unread because the main thread had too many on their way (src/api/mirror/listener.ts). */
  countDroppedOnArrival(count: number): void {
    this.counts.received += count;
    this.counts.dropped += count;
  }

  /** Requests the listener refused (src/api/mirror/copy.ts says which). */
  countRefused(count: number): void {
    this.counts.refused += count;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length) {
        // Small batches, with a turn of the event loop between them: copies keep being answered at
        // once while a backlog is judged (nginx waits for its copy's answer before reusing the connection).
        await new Promise<void>((resolve) => setImmediate(resolve));
        const batch = this.queue.splice(0, this.options.batchSize);
        try {
          const judged = await this.options.pipeline.run({ requests: batch });
          this.counts.judged += batch.length;
          const copies: JudgedCopy[] = judged.redacted.map((request, i) => ({ request, verdict: judged.verdicts[i]!, blocked: judged.blocked[i]! }));
          this.options.join.offer(copies);
        } catch (e) {
          this.options.join.forget(batch);
          this.counts.failures += batch.length;
          this.options.onError(e as Error);
        }
      }
    } finally {
      this.draining = null;
    }
  }

  status(): MirrorStatus {
    return { ...this.counts, queued: this.queue.length, joined: this.options.join.joined, storedAlone: this.options.join.alone, lastCopyAt: this.lastCopyAt };
  }

  /** Judges what is queued, then stores every copy still waiting for its line. */
  async close(): Promise<void> {
    while (this.draining) await this.draining;
    this.options.join.close();
  }
}
