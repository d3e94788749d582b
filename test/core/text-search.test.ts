/** Substring search in linear time: the same answers as the engine's includes and replaceAll. */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { containsText, occurrences, replaceText } from "../../src/core/text-search.ts";

test("the same as includes and replaceAll, for short patterns and for long ones (searched by its own algorithm)", () => {
  const text = fc.string({ unit: fc.constantFrom("a", "b", "é"), maxLength: 400 });
  fc.assert(
    fc.property(text, fc.string({ unit: fc.constantFrom("a", "b", "é"), minLength: 1, maxLength: 140 }), (t, p) => {
      expect(containsText(t, p)).toBe(t.includes(p));
      expect(replaceText(t, p, "<$&>")).toBe(t.split(p).join("<$&>"));
    }),
    { numRuns: 3000 },
  );
  const long = `ab${"a".repeat(100)}`;
  const t = `x${long}${long}a${long}`;
  expect(occurrences(t, long)).toEqual([1, 1 + long.length, 2 + 2 * long.length]);
  // Non-overlapping, as replaceAll: 70 `a` in 210 are found at 0, 70 and 140.
  expect(occurrences("a".repeat(210), "a".repeat(70))).toEqual([0, 70, 140]);
});

test("a text that almost matches a long pattern everywhere is searched in one pass", () => {
  expect(containsText("a".repeat(2_000_000), `ab${"a".repeat(500_000)}`)).toBe(false);
});
