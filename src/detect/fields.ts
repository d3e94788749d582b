/**
 * One value as the lexical model featurizes it: where it sat, its text, and its normalized form
 * (computed on first use: a value whose score is cached is never normalized).
 */
import { normalizeValue, type Normalized } from "./normalize.ts";
import type { FieldLocation } from "../decompose/leaf.ts";
export type { FieldLocation };

export interface Field {
  location: FieldLocation;
  /** Parameter, cookie or header name; "" for the path and a raw body. */
  name: string;
  raw: string;
  readonly norm: Normalized;
}

/**
 * A field. On the wire (`decoded` false) `+` means a space in query and form values; a value the
 * decompose stage already decoded keeps its `+`.
 */
export function makeField(location: FieldLocation, name: string, raw: string, options: { decoded?: boolean } = {}): Field {
  let norm: Normalized | undefined;
  const plusAsSpace = !options.decoded && (location === "query" || location === "body");
  return {
    location,
    name,
    raw,
    get norm() {
      norm ??= normalizeValue(raw, { plusAsSpace });
      return norm;
    },
  };
}
