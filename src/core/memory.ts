/**
 * A soft memory limit for the long-running service. JavaScriptCore lets the heap grow well past
 * what is live before it collects, so ingesting flat out kept ~350 MB resident for ~200 MB of live
 * data. Past the limit, a full collection after a batch brings it back; collections are at least
 * MIN_INTERVAL_MS apart, so a process whose live data alone exceeds the limit keeps most of its speed.
 */
/** 100 ms rather than 250: flat out, peak RSS 279–286 instead of 290–296 MB, for about 5% of the throughput (bench:serve). */
const MIN_INTERVAL_MS = 100;

export class MemoryGuard {
  private lastCollection = Number.NEGATIVE_INFINITY;
  /** Full collections forced so far. */
  collections = 0;

  /** `now`: a monotonic clock (ms), so that a wall-clock step can neither stop collections nor hurry them. */
  constructor(private readonly softLimitBytes: number, private readonly now: () => number = () => performance.now()) {}

  /** Call between batches of work: collects when resident memory is over the limit. */
  relieve(): void {
    if (this.softLimitBytes <= 0 || process.memoryUsage.rss() <= this.softLimitBytes) return;
    const now = this.now();
    if (now - this.lastCollection < MIN_INTERVAL_MS) return;
    this.lastCollection = now;
    this.collections++;
    Bun.gc(true);
  }
}
