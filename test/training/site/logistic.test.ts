import { describe, expect, test } from "bun:test";
import { trainLogistic } from "../../../src/training/site/logistic.ts";

const score = (m: { w: Float32Array; b: number }, x: number[]) => 1 / (1 + Math.exp(-(m.b + x.reduce((z, v, j) => z + v * m.w[j]!, 0))));

describe("site scorer training", () => {
  test("a departure that no real request shows scores far above the real requests' outliers", async () => {
    // Feature 0: an unknown parameter (only synthetic attacks have it). Feature 1: a benign outlier
    // (one real request in ten has it, as half the synthetic ones do).
    const X: Float32Array[] = [];
    const y: number[] = [];
    const w: number[] = [];
    const add = (x: Float32Array, label: number, weight: number) => {
      X.push(x);
      y.push(label);
      w.push(weight);
    };
    for (let i = 0; i < 1000; i++) add(Float32Array.of(0, i % 10 === 0 ? Math.LN2 : 0), 0, 4);
    for (let i = 0; i < 1000; i++) add(Float32Array.of(i % 2 ? Math.LN2 : 0, i % 2 ? 0 : Math.LN2), 1, 1);
    const m = await trainLogistic(X, Uint8Array.from(y), Float32Array.from(w));
    const unknownParam = score(m, [Math.LN2, 0]);
    const outlier = score(m, [0, Math.LN2]);
    expect(unknownParam).toBeGreaterThan(0.95);
    expect(outlier).toBeLessThan(0.6);
    expect(score(m, [0, 0])).toBeLessThan(0.05);
  });
});
