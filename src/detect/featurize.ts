/**
 * Featurization of one field: hashed character n-grams and word/symbol tokens of the normalized text,
 * plus tokens for its location and for what normalization had to undo. Deterministic and versioned:
 * a model stores the settings it was trained with, and training and inference call this same code.
 */
import type { Field } from "./fields.ts";
import type { NormalizeFlags } from "./normalize.ts";

export interface FeaturizerSettings {
  version: number;
  /** Hash buckets (a power of two). */
  buckets: number;
  /** Character n-gram sizes, inclusive. */
  ngramMin: number;
  ngramMax: number;
}

export const FEATURIZER_VERSION = 1;
export const DEFAULT_FEATURIZER: FeaturizerSettings = { version: FEATURIZER_VERSION, buckets: 1 << 18, ngramMin: 1, ngramMax: 4 };

/** A sparse, L2-normalized feature vector. */
export interface SparseVector {
  idx: Int32Array;
  val: Float32Array;
}

/** One feature occurrence and the span of normalized text it came from (for explanations). */
export interface FeatureSpan {
  index: number;
  start: number;
  end: number;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function hashString(s: string, seed: number): number {
  let h = (FNV_OFFSET ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

const TOKEN = /[\p{L}\p{N}_]+|[^\p{L}\p{N}_\s]+/gu;
const SEED_TOKEN = 0x9e3779b9;
const SEED_BIGRAM = 0x85ebca6b;
const SEED_META = 0xc2b2ae35;

function flagTokens(flags: NormalizeFlags): string[] {
  const out: string[] = [];
  if (flags.urlDecodePasses >= 2) out.push("multi-encoded");
  if (flags.decodeLimitHit) out.push("decode-limit");
  if (flags.percentU) out.push("percent-u");
  if (flags.overlongUtf8) out.push("overlong-utf8");
  if (flags.htmlEntities) out.push("html-entities");
  if (flags.unicodeCompat) out.push("unicode-compat");
  if (flags.nullByte) out.push("null-byte");
  if (flags.comments) out.push("comments");
  if (flags.controlChars) out.push("control-chars");
  return out;
}

/**
 * Calls `emit(bucket, start, end)` for every feature of the field. The one walk over the text serves
 * both scoring (counts) and explanation (spans).
 */
export function walkFeatures(field: Field, s: FeaturizerSettings, emit: (bucket: number, start: number, end: number) => void): void {
  const mask = s.buckets - 1;
  const text = field.norm.text;
  // Character n-grams, with the text's edges as part of the n-gram (`^'` is not `'` mid-value).
  const padded = `\u0002${text}\u0003`;
  for (let i = 0; i < padded.length; i++) {
    let h = FNV_OFFSET;
    for (let n = 1; n <= s.ngramMax && i + n <= padded.length; n++) {
      h = Math.imul(h ^ padded.charCodeAt(i + n - 1), FNV_PRIME);
      if (n >= s.ngramMin) {
        const start = Math.max(0, i - 1);
        emit(((h ^ n) >>> 0) & mask, start, Math.min(text.length, i + n - 1));
      }
    }
  }
  // Word and symbol-run tokens, and token bigrams.
  let prev = "";
  let prevStart = 0;
  for (const m of text.matchAll(TOKEN)) {
    const tok = m[0];
    const start = m.index;
    emit(hashString(tok, SEED_TOKEN) & mask, start, start + tok.length);
    if (prev) emit(hashString(`${prev} ${tok}`, SEED_BIGRAM) & mask, prevStart, start + tok.length);
    prev = tok;
    prevStart = start;
  }
  // Where the text was and what had to be undone: spans cover the whole value.
  const meta = [`loc:${field.location}`, `len:${Math.min(12, Math.floor(Math.log2(text.length + 1)))}`, ...flagTokens(field.norm.flags)];
  for (const t of meta) emit(hashString(t, SEED_META) & mask, 0, text.length);
}

/** Counts → log(1+count) → L2-normalized sparse vector. */
export function featurizeField(field: Field, s: FeaturizerSettings = DEFAULT_FEATURIZER): SparseVector {
  const counts = new Map<number, number>();
  walkFeatures(field, s, (b) => counts.set(b, (counts.get(b) ?? 0) + 1));
  const idx = new Int32Array(counts.size);
  const val = new Float32Array(counts.size);
  let norm = 0;
  let k = 0;
  for (const [b, c] of counts) {
    const v = Math.log1p(c);
    idx[k] = b;
    val[k] = v;
    norm += v * v;
    k++;
  }
  const inv = norm > 0 ? 1 / Math.sqrt(Math.max(norm, 64)) : 0;
  for (let i = 0; i < val.length; i++) val[i]! *= inv;
  return { idx, val };
}
