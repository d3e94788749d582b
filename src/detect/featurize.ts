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

export const FEATURIZER_VERSION = 3;
export const DEFAULT_FEATURIZER: FeaturizerSettings = { version: FEATURIZER_VERSION, buckets: 1 << 18, ngramMin: 1, ngramMax: 4 };

/** A sparse, L2-normalized feature vector. */
export interface SparseVector {
  idx: Int32Array;
  val: Float32Array;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function hashString(s: string, seed: number): number {
  let h = (FNV_OFFSET ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

const SEED_TOKEN = 0x9e3779b9;
const SEED_BIGRAM = 0x85ebca6b;
const SEED_META = 0xc2b2ae35;

/** 0 = space, 1 = word character (letters, digits, `_`, any non-ASCII letter), 2 = symbol. */
function charClass(c: number): number {
  if (c === 32 || c === 9 || c === 10 || c === 13) return 0;
  if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || (c >= 65 && c <= 90)) return 1;
  if (c < 128) return 2;
  return c === 0xa0 || c === 0x3000 ? 0 : 1;
}

/** The few meta tokens recur on every field: their hashes are computed once. */
const metaHashes = new Map<string, number>();
function metaHash(token: string): number {
  let h = metaHashes.get(token);
  if (h === undefined) metaHashes.set(token, (h = hashString(token, SEED_META)));
  return h;
}

/** `loc:<location>` and `len:<log2 length>`, hashed once each (building their strings per field cost more than hashing). */
const locationHashes = new Map<string, number>();
function locationHash(location: string): number {
  let h = locationHashes.get(location);
  if (h === undefined) locationHashes.set(location, (h = metaHash(`loc:${location}`)));
  return h;
}
const MAX_LENGTH_TOKEN = 12;
const lengthHashes = Array.from({ length: MAX_LENGTH_TOKEN + 1 }, (_, n) => metaHash(`len:${n}`));

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

/** Counts every feature of the field (`countFeature`). */
function walkFeatures(field: Field, s: FeaturizerSettings): void {
  const mask = s.buckets - 1;
  const text = field.norm.text;
  // Character n-grams, with the text's edges as part of the n-gram (`^'` is not `'` mid-value).
  const padded = `\u0002${text}\u0003`;
  for (let i = 0; i < padded.length; i++) {
    let h = FNV_OFFSET;
    for (let n = 1; n <= s.ngramMax && i + n <= padded.length; n++) {
      h = Math.imul(h ^ padded.charCodeAt(i + n - 1), FNV_PRIME);
      if (n >= s.ngramMin) countFeature(((h ^ n) >>> 0) & mask);
    }
  }
  // Word and symbol-run tokens (hashed as they are scanned), and token bigrams.
  let prevHash = 0;
  let first = true;
  for (let i = 0; i < text.length; ) {
    const cls = charClass(text.charCodeAt(i));
    if (cls === 0) {
      i++;
      continue;
    }
    let h = (FNV_OFFSET ^ SEED_TOKEN) >>> 0;
    while (i < text.length && charClass(text.charCodeAt(i)) === cls) h = Math.imul(h ^ text.charCodeAt(i++), FNV_PRIME);
    h >>>= 0;
    countFeature(h & mask);
    if (!first) countFeature((Math.imul(prevHash ^ SEED_BIGRAM, FNV_PRIME) ^ h) & mask);
    prevHash = h;
    first = false;
  }
  // Where the text was, how long it is, and what had to be undone.
  countFeature(locationHash(field.location) & mask);
  countFeature(lengthHashes[Math.min(MAX_LENGTH_TOKEN, Math.floor(Math.log2(text.length + 1)))]! & mask);
  for (const t of flagTokens(field.norm.flags)) countFeature(metaHash(t) & mask);
}

// Scratch space for counting a field's features without a Map: a small open-addressing table from
// bucket to count, sized to the field. A field has a few hundred features; counted in a table of every
// bucket (a megabyte or more) nearly each one missed the processor's cache, which cost more than the
// hashing. Featurization is synchronous, so one table serves every call, and only the slots a field
// used are cleared after it.
const FIRST_SLOTS = 1024;
/** bucket + 1 in a used slot, 0 in a free one. */
let slotBucket = new Int32Array(FIRST_SLOTS);
let slotCount = new Int32Array(FIRST_SLOTS);
let slotMask = 0;
/** The slots of the field's distinct features, in the order they were first counted (the vector's order). */
let touched = new Int32Array(FIRST_SLOTS / 2);
let touchedCount = 0;
/**
 * Slots kept between calls: enough for a lexical window (4,096 characters). The table of a longer text
 * (a window that NFKC lengthened) is let go after it, so that one such text does not hold megabytes.
 */
const RETAINED_SLOTS = 1 << 16;

/** Readies the table for a text: at most half full with every feature it can have distinct. */
function prepareScratch(textLength: number, s: FeaturizerSettings): void {
  // N-grams, tokens and their bigrams, the location, the length and the flags (flagTokens has nine).
  const most = s.ngramMax * (textLength + 2) + 2 * textLength + 16;
  let size = FIRST_SLOTS;
  while (size < 2 * most) size *= 2;
  if (size > slotBucket.length) {
    slotBucket = new Int32Array(size);
    slotCount = new Int32Array(size);
  }
  if (most > touched.length) touched = new Int32Array(most);
  slotMask = size - 1;
  touchedCount = 0;
}

/** Counts one feature (a bucket) of the field being featurized. */
function countFeature(b: number): void {
  let slot = b & slotMask;
  for (;;) {
    const held = slotBucket[slot]!;
    if (held === b + 1) break;
    if (held === 0) {
      slotBucket[slot] = b + 1;
      slotCount[slot] = 0;
      touched[touchedCount++] = slot;
      break;
    }
    slot = (slot + 1) & slotMask;
  }
  slotCount[slot]!++;
}

/** Counts → log(1+count) → L2-normalized sparse vector (short texts are not scaled up: the norm is floored). */
export function featurizeField(field: Field, s: FeaturizerSettings = DEFAULT_FEATURIZER): SparseVector {
  prepareScratch(field.norm.text.length, s);
  walkFeatures(field, s);
  const n = touchedCount;
  const idx = new Int32Array(n);
  const val = new Float32Array(n);
  let norm = 0;
  for (let k = 0; k < n; k++) {
    const slot = touched[k]!;
    idx[k] = slotBucket[slot]! - 1;
    const v = Math.log1p(slotCount[slot]!);
    slotBucket[slot] = 0;
    val[k] = v;
    norm += v * v;
  }
  if (slotBucket.length > RETAINED_SLOTS) {
    slotBucket = new Int32Array(FIRST_SLOTS);
    slotCount = new Int32Array(FIRST_SLOTS);
    touched = new Int32Array(FIRST_SLOTS / 2);
  }
  const inv = norm > 0 ? 1 / Math.sqrt(Math.max(norm, 64)) : 0;
  for (let k = 0; k < n; k++) val[k]! *= inv;
  return { idx, val };
}
