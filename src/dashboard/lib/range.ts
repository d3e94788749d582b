/** The time ranges' lengths, the default range for data of a given age, and when the data begins. */
import { RANGES, type Range } from "./types.ts";

const HOUR_MS = 3_600_000;
const RANGE_MS: Record<Range, number> = { "1h": HOUR_MS, "6h": 6 * HOUR_MS, "24h": 24 * HOUR_MS, "7d": 168 * HOUR_MS, "30d": 720 * HOUR_MS };

/**
 * The smallest range that holds all the data since `oldest` (ISO), so that a young install's charts
 * fill their width instead of squeezing everything into a spike at the right edge; the longest range
 * when nothing holds it, the shortest when there is no data yet.
 */
export function rangeHolding(oldest: string | null, now = Date.now()): Range {
  if (oldest === null) return RANGES[0]!;
  const age = now - Date.parse(oldest);
  return RANGES.find((r) => RANGE_MS[r] >= age) ?? RANGES.at(-1)!;
}

/** When the stored data begins (epoch ms), as the server said at login; null when unknown or empty. */
let dataStart: number | null = null;

export function setDataStart(oldest: string | null): void {
  dataStart = oldest === null ? null : Date.parse(oldest);
}

/**
 * The points from the bucket the data begins in: before it there is nothing to draw, and a chart of
 * a range longer than the data would squeeze it against its right edge. Two points at least.
 */
export function fromDataStart<T extends { date?: string }>(points: T[], start = dataStart): T[] {
  if (start === null || points.length < 3) return points;
  const width = Date.parse(points[1]!.date ?? "") - Date.parse(points[0]!.date ?? "");
  const first = points.findIndex((p) => Date.parse(p.date ?? "") + width > start);
  if (first === 0) return points;
  return points.slice(first === -1 ? points.length - 2 : Math.min(first, points.length - 2));
}
