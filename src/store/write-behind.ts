/**
 * Write-behind for inline checks: an answer must not wait for its row, and one transaction per check
 * would cap the rate at what SQLite commits per second. Checked requests are queued and written
 * together — within FLUSH_MS, or at once when the queue is large — then published on the bus.
 */
import type { HttpRequest } from "../core/http-request.ts";
import type { Verdict } from "../detect/verdict.ts";
import type { Bus } from "../services/bus.ts";
import type { Store } from "./db.ts";
import { StoreWriter } from "./writer.ts";

const FLUSH_MS = 10;
const FLUSH_AT = 128;

interface Pending {
  requests: HttpRequest[];
  verdicts: Verdict[];
}

export class WriteBehind {
  private readonly pending = new Map<boolean, Pending>();
  private size = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private immediate: ReturnType<typeof setImmediate> | null = null;
  /** Write failures (e.g. a full disk), counted; the checks were answered already. */
  failures = 0;

  constructor(private readonly store: Store, private readonly bus: Bus, private readonly onError: (e: Error) => void) {}

  add(requests: HttpRequest[], verdicts: Verdict[], blocking: boolean): void {
    let p = this.pending.get(blocking);
    if (!p) this.pending.set(blocking, (p = { requests: [], verdicts: [] }));
    p.requests.push(...requests);
    p.verdicts.push(...verdicts);
    this.size += requests.length;
    // A full queue is written right after this turn of the event loop, not inside it: the check
    // that filled it answers first instead of waiting for everyone's rows.
    if (this.size >= FLUSH_AT) this.immediate ??= setImmediate(() => this.flush());
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    for (const [blocking, p] of this.pending) {
      try {
        const rows = new StoreWriter(this.store, blocking).write({ requests: p.requests, verdicts: p.verdicts });
        for (const data of rows.traffic) this.bus.publish({ type: "traffic", data });
        for (const data of rows.threats) this.bus.publish({ type: "threat", data });
      } catch (e) {
        this.failures += p.requests.length;
        this.onError(e as Error);
      }
    }
    this.pending.clear();
    this.size = 0;
  }
}
