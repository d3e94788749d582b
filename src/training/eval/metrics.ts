/** Detection metrics from scored, labelled items. */

export interface Scored {
  score: number;
  /** true = attack/anomalous. */
  positive: boolean;
}

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface Metrics extends Confusion {
  tpr: number;
  fpr: number;
  precision: number;
  f1: number;
}

function confusion(items: Scored[], threshold: number): Confusion {
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (const { score, positive } of items) {
    const flagged = score >= threshold;
    if (positive) flagged ? c.tp++ : c.fn++;
    else flagged ? c.fp++ : c.tn++;
  }
  return c;
}

export function metricsAt(items: Scored[], threshold: number): Metrics {
  const c = confusion(items, threshold);
  const tpr = c.tp + c.fn ? c.tp / (c.tp + c.fn) : 0;
  const fpr = c.fp + c.tn ? c.fp / (c.fp + c.tn) : 0;
  const precision = c.tp + c.fp ? c.tp / (c.tp + c.fp) : 0;
  const f1 = precision + tpr ? (2 * precision * tpr) / (precision + tpr) : 0;
  return { ...c, tpr, fpr, precision, f1 };
}

/** ROC-AUC by the rank statistic (ties count half). */
export function rocAuc(items: Scored[]): number {
  const sorted = [...items].sort((a, b) => a.score - b.score);
  let pos = 0;
  let neg = 0;
  let rankSum = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j]!.score === sorted[i]!.score) j++;
    const avgRank = (i + j + 1) / 2; // 1-based ranks i+1..j
    for (let k = i; k < j; k++) if (sorted[k]!.positive) rankSum += avgRank;
    i = j;
  }
  for (const s of items) s.positive ? pos++ : neg++;
  if (!pos || !neg) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * The lowest threshold whose false-positive rate on `negatives` is at most `targetFpr`: flagged means
 * `score >= threshold`, so the threshold sits just above the k-th highest negative score.
 */
export function thresholdForFpr(negativeScores: number[], targetFpr: number): number {
  const sorted = [...negativeScores].sort((a, b) => b - a);
  const boundary = sorted[allowedAbove(sorted.length, targetFpr)];
  if (boundary === undefined) return 0;
  return nextUp(boundary);
}

/** How many of `n` negatives a threshold calibrated for `targetFpr` may leave at or above it. */
export function allowedAbove(n: number, targetFpr: number): number {
  return Math.floor(targetFpr * n);
}

/** The smallest float64 above x (so that `x >= threshold` is false). */
function nextUp(x: number): number {
  if (x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE; // -0 too
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const bits = buf.getBigUint64(0);
  buf.setBigUint64(0, x > 0 ? bits + 1n : bits - 1n);
  return buf.getFloat64(0);
}

/** TPR at the threshold that gives at most `fpr` on the negatives among `items`. */
export function tprAtFpr(items: Scored[], fpr: number): { tpr: number; threshold: number } {
  const threshold = thresholdForFpr(items.filter((s) => !s.positive).map((s) => s.score), fpr);
  return { tpr: metricsAt(items, threshold).tpr, threshold };
}
