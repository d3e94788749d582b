import { describe, expect, test } from "bun:test";
import { metricsAt, rocAuc, thresholdForFpr, tprAtFpr } from "../../../src/training/eval/metrics.ts";

const items = [
  { score: 0.9, positive: true }, { score: 0.8, positive: true }, { score: 0.7, positive: false },
  { score: 0.6, positive: true }, { score: 0.2, positive: false }, { score: 0.1, positive: false },
];

describe("metrics", () => {
  test("confusion-derived rates at a threshold", () => {
    expect(metricsAt(items, 0.65)).toMatchObject({ tp: 2, fp: 1, tn: 2, fn: 1, tpr: 2 / 3, fpr: 1 / 3, precision: 2 / 3 });
  });
  test("ROC-AUC by ranks, ties counted half", () => {
    expect(rocAuc(items)).toBeCloseTo(8 / 9, 10);
    expect(rocAuc([{ score: 1, positive: true }, { score: 1, positive: false }])).toBe(0.5);
  });
  test("threshold for a target FPR never exceeds it", () => {
    const neg = Array.from({ length: 1000 }, (_, i) => i / 1000);
    const t = thresholdForFpr(neg, 0.01);
    expect(neg.filter((s) => s >= t).length).toBe(10);
    expect(thresholdForFpr([0.5, 0.5, 0.5], 0.001)).toBeGreaterThan(0.5);
    expect(tprAtFpr(items, 0).tpr).toBe(2 / 3);
  });
});
