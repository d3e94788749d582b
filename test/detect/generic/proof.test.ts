/** The floor an analyzer's proof puts under a leaf's score (src/detect/generic/proof.ts). */
import { describe, expect, test } from "bun:test";
import { withProof, withSeverestClass } from "../../../src/detect/generic/proof.ts";
import type { GenericScore, LeafScore } from "../../../src/detect/generic/model.ts";
import type { Finding } from "../../../src/detect/analyzers/finding.ts";
import type { AttackClass } from "../../../src/detect/classes.ts";
import type { Leaf } from "../../../src/decompose/leaf.ts";
import { withoutServedProbes } from "../../../src/detect/site/served-probes.ts";
import { ProfileBuilder } from "../../../src/detect/site/profile.ts";
import { requestForTarget } from "../../../src/training/corpus/placement.ts";

const CLASSES = ["benign", "sqli", "xss", "cmdi", "scanner"];
const THRESHOLD = 0.99;
const finding = (cls: AttackClass, strength: number): Finding => ({ class: cls, rule: `${cls}.rule`, strength, start: 0, end: 1 });
const leaf = (path: string, attack: number, cls: number, findings: Finding[]): LeafScore => ({ leaf: { path, location: path === "path" ? "path" : "query" } as Leaf, attack, cls, findings });
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

  test("findings below proof strength are left as the combiner scored them; a flagged request keeps its top leaf", () => {
    const weak = score([leaf("query.q", 0.95, 2, [finding("xss", 0.8)])]);
    expect(withProof(weak, THRESHOLD, CLASSES)).toBe(weak);
    const flagged = withProof(score([leaf("query.q", 0.999, 1, [finding("sqli", 0.95)]), leaf("query.x", 0.3, 2, [finding("xss", 0.9)])]), THRESHOLD, CLASSES);
    expect(flagged).toMatchObject({ score: 0.999, top: 0, cls: 1 });
    // Every leaf with proof is floored, the top one or not.
    expect(flagged.leaves[1]).toMatchObject({ attack: THRESHOLD, cls: 2 });
  });

  test("proof in a request to a probe path the site serves still counts once the probe is set aside", () => {
    const builder = new ProfileBuilder();
    const get = (target: string) => requestForTarget(target, "test")!;
    for (let i = 0; i < 50; i++) for (const t of ["/.git/config", "/", "/products?id=1"]) builder.add(get(t));
    const req = get("/.git/config?c=x%3Bnetstat%20-an");
    const g = score([leaf("path", 0.999, 4, [finding("scanner", 0.9)]), leaf("query.c", 0.5, 3, [finding("cmdi", 0.9)])]);
    const judged = withoutServedProbes(withProof(g, THRESHOLD, CLASSES), req, builder.build(), 4);
    expect(judged).toMatchObject({ score: THRESHOLD, top: 1, cls: 3 });
  });

  test("with proof in several leaves, the first stays the top one", () => {
    const out = withProof(score([leaf("query.a", 0.5, 1, [finding("sqli", 0.9)]), leaf("query.b", 0.6, 2, [finding("xss", 0.95)])]), THRESHOLD, CLASSES);
    expect(out).toMatchObject({ score: THRESHOLD, top: 0, cls: 1 });
    expect(out.leaves[1]).toMatchObject({ attack: THRESHOLD, cls: 2 });
  });
});

describe("the severest flagged class", () => {
  test("a scanner's User-Agent at the top does not hide an injection flagged in another leaf", () => {
    const g = score([leaf("header.user-agent", 0.99999, 4, [finding("scanner", 0.95)]), leaf("header.referer.path", 0.999, 1, [finding("sqli", 0.8)])]);
    expect(withSeverestClass(g, THRESHOLD, CLASSES)).toMatchObject({ score: 0.99999, cls: 1, top: 1 });
  });

  test("nor a proof-strength finding of a severer class in the same leaf", () => {
    const g = score([leaf("header.user-agent", 0.99999, 4, [finding("scanner", 0.95), finding("sqli", 0.9)])]);
    expect(withSeverestClass(g, THRESHOLD, CLASSES)).toMatchObject({ cls: 1, top: 0 });
  });

  test("leaves under the threshold, weak findings and a benign request change nothing; ties keep the top leaf", () => {
    const under = score([leaf("header.user-agent", 0.99999, 4, [finding("scanner", 0.95), finding("sqli", 0.6)]), leaf("query.id", 0.5, 1, [finding("sqli", 0.9)])]);
    expect(withSeverestClass(under, THRESHOLD, CLASSES)).toBe(under);
    const benign = score([leaf("query.id", 0.5, 1, [finding("sqli", 0.9)])]);
    expect(withSeverestClass(benign, THRESHOLD, CLASSES)).toBe(benign);
    const tie = score([leaf("query.a", 0.999, 1, []), leaf("query.b", 0.995, 3, [finding("cmdi", 0.9)])]);
    expect(withSeverestClass(tie, THRESHOLD, CLASSES)).toBe(tie);
  });
});
