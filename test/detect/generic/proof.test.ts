/** The floor an analyzer's proof puts under a leaf's score (src/detect/generic/proof.ts). */
import { describe, expect, test } from "bun:test";
import { withProof } from "../../../src/detect/generic/proof.ts";
import type { GenericScore, LeafScore } from "../../../src/detect/generic/model.ts";
import type { Finding } from "../../../src/detect/analyzers/finding.ts";
import type { AttackClass } from "../../../src/detect/classes.ts";
import type { Leaf } from "../../../src/decompose/leaf.ts";

const CLASSES = ["benign", "sqli", "xss", "cmdi"];
const THRESHOLD = 0.99;
const finding = (cls: AttackClass, strength: number): Finding => ({ class: cls, rule: `${cls}.rule`, strength, start: 0, end: 1 });
const leaf = (path: string, attack: number, cls: number, findings: Finding[]): LeafScore => ({ leaf: { path } as Leaf, attack, cls, findings });
function score(leaves: LeafScore[]): GenericScore {
  const top = leaves.reduce((best, l, k) => (best < 0 || l.attack > leaves[best]!.attack ? k : best), -1);
  return { score: top < 0 ? 0 : leaves[top]!.attack, cls: top < 0 ? 0 : leaves[top]!.cls, top, leaves, flags: [] };
}

describe("proof floor", () => {
  test("a leaf with a finding at proof strength scores the threshold at least, in that finding's class", () => {
    const g = score([leaf("query.page", 0.4, 1, [finding("sqli", 0.5)]), leaf("path", 0.92, 1, [finding("cmdi", 0.9)])]);
    const out = withProof(g, THRESHOLD, CLASSES);
    expect(out).toMatchObject({ score: THRESHOLD, cls: 3, top: 1 });
    expect(out.leaves[1]).toMatchObject({ attack: THRESHOLD, cls: 3 });
    // The other leaf and the input are untouched.
    expect(out.leaves[0]).toBe(g.leaves[0]!);
    expect(g.score).toBe(0.92);
  });

  test("findings below proof strength, and requests already flagged, are left as the combiner scored them", () => {
    const weak = score([leaf("query.q", 0.95, 2, [finding("xss", 0.8)])]);
    expect(withProof(weak, THRESHOLD, CLASSES)).toBe(weak);
    const flagged = score([leaf("query.q", 0.999, 1, [finding("sqli", 0.95)]), leaf("query.x", 0.3, 2, [finding("xss", 0.9)])]);
    expect(withProof(flagged, THRESHOLD, CLASSES)).toBe(flagged);
  });

  test("with proof in several leaves, the first stays the top one", () => {
    const out = withProof(score([leaf("query.a", 0.5, 1, [finding("sqli", 0.9)]), leaf("query.b", 0.6, 2, [finding("xss", 0.95)])]), THRESHOLD, CLASSES);
    expect(out).toMatchObject({ score: THRESHOLD, top: 0, cls: 1 });
    expect(out.leaves[1]).toMatchObject({ attack: THRESHOLD, cls: 2 });
  });
});
