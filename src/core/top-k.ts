/**
 * Most frequent keys in bounded memory. At most `capacity` keys are kept; when a new key arrives at
 * capacity, the less frequent half is dropped at once (amortised O(log n) per key, unlike evicting
 * one key per insert). Exact while fewer than `capacity` distinct keys are seen; past that the
 * counts of the top keys are lower bounds, which is what a skewed log (paths, clients) needs.
 */
export class TopK {
  private readonly counts = new Map<string, number>();
  constructor(private readonly capacity = 10_000) {}

  add(key: string, n = 1): void {
    const current = this.counts.get(key);
    if (current !== undefined) {
      this.counts.set(key, current + n);
      return;
    }
    if (this.counts.size >= this.capacity) this.dropLowerHalf();
    this.counts.set(key, n);
  }

  private dropLowerHalf(): void {
    const sorted = [...this.counts].sort((a, b) => a[1] - b[1]);
    for (let i = 0; i < sorted.length / 2; i++) this.counts.delete(sorted[i]![0]);
  }

  top(k: number): [string, number][] {
    return [...this.counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, k);
  }
}
