/** The nearest-rank percentile `q` (0 to 1) of values sorted in ascending order; NaN when there are none. */
export function percentile(sorted: readonly number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN;
}
