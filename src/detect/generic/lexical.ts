/**
 * The lexical model: a sparse linear softmax over hashed character n-grams and tokens of one value
 * (featurize.ts), run by onnxruntime. It knows what attack text looks like, not what it means; the
 * combiner weighs it against the analyzers. A value longer than a window is scored in overlapping
 * windows and keeps its most suspicious one, so that padding cannot push a payload out of sight.
 */
import type { Field, FieldLocation } from "../fields.ts";
import { makeField } from "../fields.ts";
import { featurizeField, type FeaturizerSettings } from "../featurize.ts";
import { SparseLinearSession } from "../onnx/session.ts";
import type { SoftmaxWeights } from "./softmax.ts";
import { RepeatCache } from "../../core/generational-cache.ts";
import { isIdentifier } from "../identifiers.ts";

/** Window length and step: every 512-character stretch of a long value lies whole inside some window. */
export const WINDOW_CHARS = 4096;
const WINDOW_STEP = WINDOW_CHARS - 512;

/** Values scored, remembered: real traffic repeats its user agents, paths and many values. */
const CACHE_ENTRIES = 100_000;
/** Longer values are rarely repeated and would make the cache heavy: they are always scored. */
const CACHE_MAX_CHARS = 256;

/** The windows of a value (one for most). */
export function windowsOf(text: string): string[] {
  if (text.length <= WINDOW_CHARS) return [text];
  const out: string[] = [];
  for (let start = 0; ; start += WINDOW_STEP) {
    out.push(text.slice(start, start + WINDOW_CHARS));
    if (start + WINDOW_CHARS >= text.length) return out;
  }
}

export class LexicalModel {
  /** By location and text: the same text can mean another thing in a path than in a cookie. */
  private readonly cache = new RepeatCache<Float32Array>(CACHE_ENTRIES);
  /** What an identifier gets: certainly benign. */
  private readonly identifier: Float32Array;
  cacheHits = 0;
  cacheMisses = 0;

  private constructor(readonly weights: SoftmaxWeights, readonly settings: FeaturizerSettings, private readonly session: SparseLinearSession) {
    this.identifier = new Float32Array(weights.classes);
    this.identifier[0] = 1;
  }

  static async create(bytes: Uint8Array, weights: SoftmaxWeights, settings: FeaturizerSettings): Promise<LexicalModel> {
    return new LexicalModel(weights, settings, await SparseLinearSession.create(bytes, weights.classes));
  }

  get classes(): number {
    return this.weights.classes;
  }

  /** Class probabilities of each value (its most suspicious window's), through the cache; a repeat is scored once. */
  async probabilities(values: { location: FieldLocation; text: string }[]): Promise<Float32Array[]> {
    const out: Float32Array[] = new Array(values.length);
    const fields: Field[] = [];
    /** For each value not served from the cache, its window rows in `fields`, and its cache key (cacheable ones). */
    const rowsOf: number[][] = new Array(values.length);
    const keyOf: (string | undefined)[] = new Array(values.length);
    const pending = new Map<string, number[]>();
    values.forEach((v, i) => {
      // Identifiers (session ids, hashes, UUIDs) hold none of the syntax an attack needs: not scored.
      if (isIdentifier(v.text)) {
        out[i] = this.identifier;
        return;
      }
      const key = v.text.length <= CACHE_MAX_CHARS ? `${v.location}\0${v.text}` : undefined;
      const hit = key === undefined ? undefined : this.cache.get(key);
      if (hit) {
        out[i] = hit;
        this.cacheHits++;
        return;
      }
      this.cacheMisses++;
      if (key === undefined) {
        rowsOf[i] = windowsOf(v.text).map((w) => fields.push(valueField(v.location, w)) - 1);
        return;
      }
      keyOf[i] = key;
      let rows = pending.get(key);
      if (!rows) pending.set(key, (rows = [fields.push(valueField(v.location, v.text)) - 1]));
      rowsOf[i] = rows;
    });
    if (!fields.length) return out;
    const probs = await this.session.run(fields.map((f) => featurizeField(f, this.settings)));
    const C = this.classes;
    values.forEach((_, i) => {
      const rows = rowsOf[i];
      if (!rows) return;
      // The window most likely an attack (lowest benign probability) speaks for the value.
      let best = rows[0]!;
      for (const r of rows) if (probs[r * C]! < probs[best * C]!) best = r;
      const p = probs.slice(best * C, (best + 1) * C);
      out[i] = p;
      const key = keyOf[i];
      if (key !== undefined) this.cache.set(key, p);
    });
    return out;
  }
}

/** A decoded value as the featurizer takes it (the decompose stage already undid the part's own encoding). */
export function valueField(location: FieldLocation, text: string): Field {
  return makeField(location, "", text, { decoded: true });
}
