/** A value's shape and its 3-grams, stored as strings and looked up as a tree (src/detect/site/profile.ts). */
import { expect, test } from "bun:test";
import { gramTree, shapeGrams, unseenGramShare, valueShape } from "../../../src/detect/site/profile.ts";

test("the share of a value's shape 3-grams a profile never saw: the tree reads the stored strings exactly", () => {
  expect(valueShape("Jam 42-b")).toEqual(["A", "a", "_", "9", "-", "a"]);
  expect(shapeGrams(valueShape("ab"))).toEqual(["^\u0001a\u0001$"]);
  const seen = [...shapeGrams(valueShape("Jam 42-b")), ...shapeGrams(valueShape("x-1"))];
  const tree = gramTree(seen);
  const stored = new Set(seen);
  for (const value of ["", "a", "Jam 42-b", "Bob 7-c", "x'\"<>;", "日本語 テスト", "\u0001\u0002", "x-1x-1", "a".repeat(40)]) {
    const grams = shapeGrams(valueShape(value));
    const expected = grams.length ? grams.filter((g) => !stored.has(g)).length / grams.length : 0;
    expect([value, unseenGramShare(valueShape(value), tree)]).toEqual([value, expected]);
  }
  expect(unseenGramShare(valueShape("Bob 7-c"), tree)).toBe(0);
  expect(unseenGramShare(valueShape("<script>"), tree)).toBe(1);
});
