/**
 * Time ranges of the dashboard API (`?range=24h`) and the time axis a chart of that range is drawn
 * on: which rollups to read and how wide each bucket is.
 */
import { RANGES, type Range } from "../core/enums.ts";

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export const DEFAULT_RANGE: Range = "24h";
/** Older than this is beyond what any rollup is kept for; refusing it keeps queries bounded. */
export const MAX_RANGE_MS = 365 * DAY_MS;
/** Charts get at most this many points: longer ranges merge rollups into wider buckets. */
export const MAX_POINTS = 200;
/** Up to this range the per-minute rollups are read; beyond it, the per-hour ones. */
export const MINUTE_RESOLUTION_UP_TO_MS = 6 * HOUR_MS;

export interface TimeRange {
  ms: number;
  /** The range as written canonically, e.g. `24h`. */
  label: string;
}

/** A `range` the API cannot serve; the API answers it with a 400 and this message. */
export class InvalidRangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidRangeError";
  }
}

const RANGE_PATTERN = /^([1-9][0-9]{0,5})([hd])$/;

/** `<N>h` or `<N>d` with N a positive integer, at most 365 days; absent or empty means 24h. */
export function parseRange(text: string | undefined): TimeRange {
  const trimmed = text?.trim() ?? "";
  if (trimmed === "") return { ms: DAY_MS, label: DEFAULT_RANGE };
  const match = RANGE_PATTERN.exec(trimmed);
  if (!match) throw new InvalidRangeError(`invalid range "${text}": expected <N>h or <N>d, e.g. ${RANGES.join(", ")}`);
  const n = Number(match[1]);
  const unit = match[2] as "h" | "d";
  const ms = n * (unit === "h" ? HOUR_MS : DAY_MS);
  if (ms > MAX_RANGE_MS) throw new InvalidRangeError(`range "${text}" is too long: at most 365d (8760h)`);
  return { ms, label: `${n}${unit}` };
}

export interface Buckets {
  /** Which rollups the buckets are made of. */
  resolution: "minute" | "hour";
  /** Width of one bucket: a whole number of rollups. */
  bucketMs: number;
}

/** Minute rollups for short ranges, hour rollups beyond, merged so that a chart has at most MAX_POINTS. */
export function bucketFor(rangeMs: number): Buckets {
  const resolution = rangeMs <= MINUTE_RESOLUTION_UP_TO_MS ? "minute" : "hour";
  const rollupMs = resolution === "minute" ? MINUTE_MS : HOUR_MS;
  const rollupsPerBucket = Math.max(1, Math.ceil(rangeMs / rollupMs / MAX_POINTS));
  return { resolution, bucketMs: rollupsPerBucket * rollupMs };
}

/**
 * The bucket starts of a chart of `rangeMs` ending now, oldest first: ceil(range / bucket) buckets,
 * the last one being the bucket now falls in (still filling). Starts are multiples of the bucket
 * width, so that a rollup always lies in exactly one bucket.
 */
export function bucketStarts(rangeMs: number, bucketMs: number, now: number): number[] {
  const count = Math.ceil(rangeMs / bucketMs);
  const last = Math.floor(now / bucketMs) * bucketMs;
  return Array.from({ length: count }, (_, i) => last - (count - 1 - i) * bucketMs);
}
