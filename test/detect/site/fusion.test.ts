/** Fusion: a site model only adds; it never clears what the generic model flags. */
import { describe, expect, test } from "bun:test";
import { fuseScores, rescale } from "../../../src/detect/site/fusion.ts";

const GENERIC_THRESHOLD = 0.925;
const generic = (score: number, attackType = "log4shell") => ({ score, threshold: GENERIC_THRESHOLD, attackType });
const site = (score: number) => ({ score, threshold: 0.6 });

describe("fuseScores", () => {
  test("a ${${::-j}ndi:...} user agent the generic model flags at 0.958 stays flagged whatever the site model says", () => {
    for (const s of [0, 0.127, 0.59, 0.6, 0.99]) {
      const fused = fuseScores(generic(0.958), site(s));
      expect({ s, isAnomaly: fused.isAnomaly, attackType: fused.attackType, atLeastGeneric: fused.score >= 0.958 }).toEqual({ s, isAnomaly: true, attackType: "log4shell", atLeastGeneric: true });
    }
    expect(fuseScores(generic(0.958), site(0.127))).toEqual({ score: 0.958, isAnomaly: true, attackType: "log4shell" });
  });

  test("the site model flags what the generic model let through, as an anomaly", () => {
    const fused = fuseScores(generic(0.3, "xss"), site(0.8));
    expect(fused).toMatchObject({ isAnomaly: true, attackType: "anomaly" });
    expect(fused.score).toBeGreaterThanOrEqual(GENERIC_THRESHOLD);
  });

  test("neither flags: not an anomaly, no class, and the score stays under the threshold", () => {
    const fused = fuseScores(generic(0.3, "xss"), site(0.59));
    expect(fused).toMatchObject({ isAnomaly: false, attackType: null });
    expect(fused.score).toBeLessThan(GENERIC_THRESHOLD);
  });

  test("without a site model the generic verdict is the verdict", () => {
    expect(fuseScores(generic(0.958), null)).toEqual({ score: 0.958, isAnomaly: true, attackType: "log4shell" });
    expect(fuseScores(generic(0.5, "sqli"), null)).toEqual({ score: 0.5, isAnomaly: false, attackType: null });
  });

  test("an operator's threshold applies to both, on the generic scale", () => {
    expect(fuseScores(generic(0.958), site(0.1), 0.97)).toMatchObject({ isAnomaly: false, attackType: null });
    // The site model's own threshold lands on the generic one: to pass 0.97 it must go further.
    expect(fuseScores(generic(0.1), site(0.61), 0.97).isAnomaly).toBe(false);
    expect(fuseScores(generic(0.1), site(0.99), 0.97)).toMatchObject({ isAnomaly: true, attackType: "anomaly" });
  });
});

describe("rescale", () => {
  test("maps one threshold onto another, monotonically, keeping 0 and 1", () => {
    expect(rescale(0.6, 0.6, 0.925)).toBe(0.925);
    expect(rescale(0, 0.6, 0.925)).toBe(0);
    expect(rescale(1, 0.6, 0.925)).toBe(1);
    const xs = Array.from({ length: 101 }, (_, i) => rescale(i / 100, 0.37, 0.925));
    expect(xs.every((x, i) => i === 0 || x >= xs[i - 1]!)).toBe(true);
    expect(rescale(0.5, 1, 0.9)).toBeLessThan(0.9);
    expect(rescale(1, 1, 0.9)).toBe(0.9);
  });
});
