/** One labelled field value for training or evaluating the generic model. */
import type { ClassLabel } from "../../detect/classes.ts";
import type { FieldLocation } from "../../detect/fields.ts";
import { makeField, type Field } from "../../detect/fields.ts";

export interface Sample {
  location: FieldLocation;
  name: string;
  /** The value as it would be on the wire (URL-encoded where the location is). */
  raw: string;
  label: ClassLabel;
  /** Where it came from, for per-source evaluation. */
  source: string;
}

export function sampleField(s: Sample): Field {
  return makeField(s.location, s.name, s.raw);
}

/**
 * A stable point in [0, 1) for a piece of text: splits by content, so the same line always falls on
 * the same side whatever else the corpus holds.
 */
export function splitPoint(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return ((h >>> 0) % 10_000) / 10_000;
}

export function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)]!;
}

/** How a client would put a value on the wire: a browser encodes, tools often send it as is. */
export function encodeLike(r: () => number, value: string, location: Sample["location"]): string {
  if (location === "header" || location === "cookie") return value;
  const roll = r();
  if (roll < 0.6) return encodeURIComponent(value);
  if (roll < 0.8) return encodeURIComponent(value).replaceAll("%20", "+");
  if (roll < 0.95) return value.replace(/[ &#%]/g, (c) => encodeURIComponent(c));
  return encodeURIComponent(encodeURIComponent(value));
}
