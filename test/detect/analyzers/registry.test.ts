/** Running every analyzer over a leaf: findings gathered, remembered, and a throwing analyzer contained. */
import { expect, test } from "bun:test";
import { LeafAnalysis } from "../../../src/detect/analyzers/index.ts";
import type { Analyzer } from "../../../src/detect/analyzers/finding.ts";
import type { Leaf } from "../../../src/decompose/leaf.ts";

const leaf = (text: string): Leaf => ({ location: "query", path: "query.q", name: "q", text, kind: "value", encodings: [] });

test("an analyzer that throws costs its own findings only, and is counted", () => {
  let calls = 0;
  const broken: Analyzer = { name: "broken", analyze: () => { throw new SyntaxError("bad regex"); } };
  const counting: Analyzer = { name: "counting", analyze: (l) => (calls++, l.text.includes("x") ? [{ class: "sqli", rule: "counting.x", strength: 1, start: 0, end: 1 }] : []) };
  const analysis = new LeafAnalysis([broken, counting]);
  expect(analysis.analyze(leaf("x")).map((f) => f.rule)).toEqual(["counting.x"]);
  expect(analysis.failures.get("broken")).toBe(1);
  // Remembered: the same leaf is not analyzed again.
  analysis.analyze(leaf("x"));
  expect(calls).toBe(1);
});
