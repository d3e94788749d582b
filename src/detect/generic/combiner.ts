/**
 * The learned combiner's input: for one leaf, what the semantic analyzers found, what the lexical
 * (n-gram) model thinks, and where the leaf sat, as one sparse vector. A softmax over it (trained in
 * build.ts, run by onnxruntime) gives the leaf's class probabilities.
 *
 * An attack has to be valid code in the language it targets, which is what the analyzers look for;
 * character n-grams only know what training lists look like, and alone they flag benign look-alikes
 * (an IP address as command injection, `[object Object]` as XSS). So everything enters only beside a
 * finding, to weigh it: a leaf no analyzer found anything in has the empty vector, and the model's
 * bias says benign. Findings enter by class and strength, not by rule: a rule's identity is what a
 * training suite would teach (the CRS tests' weak constructs as attacks), its strength what the
 * analyzer knows. Strength steps let a weak finding count for little and a strong one for much.
 */
import { ATTACK_CLASSES, CLASSES } from "../classes.ts";
import { ENCODINGS, FIELD_LOCATIONS, LEAF_KINDS, type Leaf } from "../../decompose/leaf.ts";
import type { Finding } from "../analyzers/finding.ts";
import type { SparseVector } from "../featurize.ts";

/** Bumped whenever the layout below changes, a class added or removed included: a model stores the version it was trained with. */
export const COMBINER_VERSION = 6;

const C = CLASSES.length;
const A = ATTACK_CLASSES.length;
const L = FIELD_LOCATIONS.length;
/** Strength steps: a finding at or above each sets its indicator. */
const STEPS = [0.5, 0.7, 0.85] as const;
const CLASS_INDEX = new Map<string, number>(ATTACK_CLASSES.map((c, i) => [c, i]));
const LOCATION_INDEX = new Map<string, number>(FIELD_LOCATIONS.map((l, i) => [l, i]));
const KIND_INDEX = new Map<string, number>(LEAF_KINDS.map((k, i) => [k, i]));
const ENCODING_INDEX = new Map<string, number>(ENCODINGS.map((e, i) => [e, i]));

// Offsets of the feature groups.
const LEXICAL = 0; // C: attack probability (index 0) and each attack class's probability
const CLASS_STRENGTH = LEXICAL + C; // A: the strongest finding of each class
const CLASS_STEPS = CLASS_STRENGTH + A; // A × STEPS: its strength steps
const CLASS_AT_LOCATION = CLASS_STEPS + A * STEPS.length; // A × L: the strength by request part
const LOCATION = CLASS_AT_LOCATION + A * L;
const KIND = LOCATION + L;
const ENCODING = KIND + LEAF_KINDS.length;
const FROM_ORIGIN_HEADER = ENCODING + ENCODINGS.length; // under Referer or Origin: where the request came from
const OTHER_CLASSES = FROM_ORIGIN_HEADER + 1; // how many other classes also found something

/** Inputs of the combiner. */
export const COMBINER_SIZE = OTHER_CLASSES + 1;

const EMPTY: SparseVector = { idx: new Int32Array(0), val: new Float32Array(0) };

/** The vector of one leaf; `lexical` holds the lexical model's C class probabilities (class 0 benign). */
export function combinerVector(leaf: Pick<Leaf, "location" | "kind" | "encodings" | "path">, findings: readonly Finding[], lexical: ArrayLike<number>): SparseVector {
  if (!findings.length) return EMPTY;
  const features = new Map<number, number>();
  const max = (i: number, v: number) => {
    if (v > (features.get(i) ?? 0)) features.set(i, v);
  };
  features.set(LEXICAL, 1 - lexical[0]!);
  for (let c = 1; c < C; c++) if (lexical[c]! >= 0.01) features.set(LEXICAL + c, lexical[c]!);
  const location = LOCATION_INDEX.get(leaf.location)!;
  const classes = new Set<number>();
  for (const f of findings) {
    const cls = CLASS_INDEX.get(f.class);
    if (cls === undefined) continue;
    classes.add(cls);
    max(CLASS_STRENGTH + cls, f.strength);
    max(CLASS_AT_LOCATION + cls * L + location, f.strength);
    STEPS.forEach((step, s) => f.strength >= step && features.set(CLASS_STEPS + cls * STEPS.length + s, 1));
  }
  features.set(LOCATION + location, 1);
  features.set(KIND + KIND_INDEX.get(leaf.kind)!, 1);
  for (const e of leaf.encodings) features.set(ENCODING + ENCODING_INDEX.get(e)!, 1);
  if (leaf.path.startsWith("header.referer.") || leaf.path.startsWith("header.origin.")) features.set(FROM_ORIGIN_HEADER, 1);
  if (classes.size > 1) features.set(OTHER_CLASSES, Math.log(classes.size));
  return { idx: Int32Array.from(features.keys()), val: Float32Array.from(features.values()) };
}
