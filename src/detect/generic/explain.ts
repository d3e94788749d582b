/**
 * Exact explanations for the linear generic model: each feature adds `value × (W[class] − W[benign])`
 * to the attack's margin, and each feature covers a span of the normalized text. Spreading those
 * contributions over the characters and taking the densest run (Kadane's maximum subarray) gives the
 * substring that mattered.
 */
import type { Field } from "../fields.ts";
import { featurizeField, walkFeatures, type FeaturizerSettings } from "../featurize.ts";
import type { SoftmaxWeights } from "./softmax.ts";

export interface Evidence {
  /** The substring of the normalized value that pushed hardest toward the class. */
  text: string;
  start: number;
  end: number;
  /** Its share of the margin (logit units). */
  weight: number;
}

export function explainField(w: SoftmaxWeights, settings: FeaturizerSettings, field: Field, cls: number): Evidence {
  const x = featurizeField(field, settings);
  const valueOf = new Map<number, number>();
  for (let k = 0; k < x.idx.length; k++) valueOf.set(x.idx[k]!, x.val[k]!);
  const counts = new Map<number, number>();
  walkFeatures(field, settings, (b) => counts.set(b, (counts.get(b) ?? 0) + 1));
  const text = field.norm.text;
  const perChar = new Float64Array(Math.max(1, text.length));
  walkFeatures(field, settings, (b, start, end) => {
    const C = w.classes;
    const margin = (valueOf.get(b)! / counts.get(b)!) * (w.W[b * C + cls]! - w.W[b * C]!);
    const from = Math.min(start, perChar.length - 1);
    const to = Math.max(from + 1, Math.min(end, perChar.length));
    for (let i = from; i < to; i++) perChar[i] = perChar[i]! + margin / (to - from);
  });
  let best = -Infinity;
  let bestStart = 0;
  let bestEnd = 0;
  let sum = 0;
  let start = 0;
  for (let i = 0; i < perChar.length; i++) {
    if (sum <= 0) {
      sum = 0;
      start = i;
    }
    sum += perChar[i]!;
    if (sum > best) {
      best = sum;
      bestStart = start;
      bestEnd = i + 1;
    }
  }
  return { text: text.slice(bestStart, bestEnd), start: bestStart, end: bestEnd, weight: best };
}
