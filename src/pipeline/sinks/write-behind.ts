/**
 * The store sink for inline checks and mirrored copies (write-behind): an answer must not wait for
 * its row, and one transaction per check would cap the rate at what SQLite commits per second. Checked
 * requests are queued and written together — within FLUSH_MS, or at once when the queue is large, at most
 * FLUSH_AT a transaction — then published on the bus.
 */
import type { HttpRequest } from "../../core/http-request.ts";
import type { Verdict } from "../../detect/verdict.ts";
import type { Bus } from "../bus.ts";
import type { Store } from "../../store/db.ts";
import { StoreWriter, type WriterOptions } from "../../store/writer.ts";

const FLUSH_MS = 10;
const FLUSH_AT = 128;

export class WriteBehind {
  private pending: { requests: HttpRequest[]; verdicts: Verdict[]; blocked: boolean[] } = { requests: [], verdicts: [], blocked: [] };
  private timer: ReturnType<typeof setTimeout> | null = null;
  private immediate: ReturnType<typeof setImmediate> | null = null;
  private readonly writer: StoreWriter;
  /** Write failures (e.g. a full disk), counted; the checks were answered already. */
  failures = 0;

  constructor(store: Store, private readonly bus: Bus, private readonly onError: (e: Error) => void, writerOptions?: WriterOptions) {
    this.writer = new StoreWriter(store, writerOptions);
  }

  add(requests: HttpRequest[], verdicts: Verdict[], blocked: boolean[]): void {
    this.pending.requests.push(...requests);
    this.pending.verdicts.push(...verdicts);
    this.pending.blocked.push(...blocked);
    // A full queue is written right after this turn of the event loop, not inside it: the check
    // that filled it answers first instead of waiting for everyone's rows.
    if (this.pending.requests.length >= FLUSH_AT) this.immediate ??= setImmediate(() => this.writeSome());
    else this.timer ??= setTimeout(() => this.writeSome(), FLUSH_MS);
  }

  /**
   * Writes at most FLUSH_AT rows, then gives the event loop a turn before the next ones: a thousand
   * mirrored copies stored at once must not hold up the answers nginx is waiting for.
   */
  private writeSome(): void {
    this.clearSchedule();
    this.write(this.take(FLUSH_AT));
    if (this.pending.requests.length) this.immediate = setImmediate(() => this.writeSome());
  }

  /** Writes everything queued now (the stats, shutdown, tests). */
  flush(): void {
    this.clearSchedule();
    this.write(this.take(this.pending.requests.length));
  }

  private clearSchedule(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }

  private take(n: number): { requests: HttpRequest[]; verdicts: Verdict[]; blocked: boolean[] } {
    const p = this.pending;
    return { requests: p.requests.splice(0, n), verdicts: p.verdicts.splice(0, n), blocked: p.blocked.splice(0, n) };
  }

  private write(batch: { requests: HttpRequest[]; verdicts: Verdict[]; blocked: boolean[] }): void {
    if (!batch.requests.length) return;
    try {
      const rows = this.writer.write(batch);
      for (const data of rows.traffic) this.bus.publish({ type: "traffic", data });
      for (const data of rows.threats) this.bus.publish({ type: "threat", data });
    } catch (e) {
      this.failures += batch.requests.length;
      this.onError(e as Error);
    }
  }
}
