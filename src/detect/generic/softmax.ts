/**
 * Multinomial logistic regression over hashed sparse features, trained with AdaGrad. Linear on purpose:
 * each feature's contribution to each class is a single weight, so explanations are exact.
 */
import type { SparseVector } from "../featurize.ts";
import { rng } from "../../core/random.ts";

export interface SoftmaxWeights {
  /** Row-major [bucket][class]. */
  W: Float32Array;
  b: Float32Array;
  classes: number;
  buckets: number;
}

export interface TrainOptions {
  epochs: number;
  learningRate: number;
  l2: number;
  seed: number;
  onEpoch?(epoch: number, loss: number): void;
}

export const DEFAULT_TRAIN: TrainOptions = { epochs: 6, learningRate: 0.3, l2: 1e-6, seed: 1 };

/** Logits of one vector into `out`. */
export function logits(w: SoftmaxWeights, x: SparseVector, out: Float64Array): void {
  const C = w.classes;
  for (let c = 0; c < C; c++) out[c] = w.b[c]!;
  for (let k = 0; k < x.idx.length; k++) {
    const row = x.idx[k]! * C;
    const v = x.val[k]!;
    for (let c = 0; c < C; c++) out[c] = out[c]! + v * w.W[row + c]!;
  }
}

export function softmaxInPlace(z: Float64Array): void {
  let max = -Infinity;
  for (const v of z) if (v > max) max = v;
  let sum = 0;
  for (let c = 0; c < z.length; c++) sum += z[c] = Math.exp(z[c]! - max);
  for (let c = 0; c < z.length; c++) z[c]! /= sum;
}

export function trainSoftmax(X: SparseVector[], y: Uint8Array, weight: Float32Array, classes: number, buckets: number, options: TrainOptions = DEFAULT_TRAIN): SoftmaxWeights {
  const C = classes;
  const w: SoftmaxWeights = { W: new Float32Array(buckets * C), b: new Float32Array(C), classes: C, buckets };
  const G = new Float32Array(buckets * C).fill(1e-6);
  const Gb = new Float64Array(C).fill(1e-6);
  const order = Int32Array.from(X.keys());
  const r = rng(options.seed);
  const z = new Float64Array(C);
  const grad = new Float64Array(C);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let loss = 0;
    for (const i of order) {
      const x = X[i]!;
      logits(w, x, z);
      softmaxInPlace(z);
      const label = y[i]!;
      const sw = weight[i]!;
      loss -= sw * Math.log(Math.max(z[label]!, 1e-12));
      for (let c = 0; c < C; c++) grad[c] = sw * (z[c]! - (c === label ? 1 : 0));
      for (let c = 0; c < C; c++) {
        Gb[c] = Gb[c]! + grad[c]! * grad[c]!;
        w.b[c] = w.b[c]! - (options.learningRate * grad[c]!) / Math.sqrt(Gb[c]!);
      }
      for (let k = 0; k < x.idx.length; k++) {
        const row = x.idx[k]! * C;
        const v = x.val[k]!;
        for (let c = 0; c < C; c++) {
          const at = row + c;
          const g = grad[c]! * v + options.l2 * w.W[at]!;
          G[at] = G[at]! + g * g;
          w.W[at] = w.W[at]! - (options.learningRate * g) / Math.sqrt(G[at]!);
        }
      }
    }
    options.onEpoch?.(epoch + 1, loss / order.length);
  }
  return w;
}
