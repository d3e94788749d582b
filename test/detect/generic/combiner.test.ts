/** The combiner's input vector and the lexical model's windows: what the generic model sees of a leaf. */
import { describe, expect, test } from "bun:test";
import { combinerVector, COMBINER_SIZE } from "../../../src/detect/generic/combiner.ts";
import { windowsOf, WINDOW_CHARS } from "../../../src/detect/generic/lexical.ts";
import { CLASSES } from "../../../src/detect/classes.ts";
import type { Finding } from "../../../src/detect/analyzers/finding.ts";

const lexical = (attack: number) => {
  const p = new Float32Array(CLASSES.length);
  p[0] = 1 - attack;
  p[CLASSES.indexOf("sqli")] = attack;
  return p;
};
const leaf = (path: string) => ({ location: "query" as const, kind: "value" as const, encodings: [] as never[], path });
const finding = (strength: number, cls: Finding["class"] = "sqli"): Finding => ({ class: cls, rule: "sql.union", strength, start: 0, end: 5 });
const dense = (v: { idx: Int32Array; val: Float32Array }) => {
  const out = new Float32Array(COMBINER_SIZE);
  v.idx.forEach((i, k) => (out[i] = v.val[k]!));
  return out;
};
const count = (xs: Float32Array, v: number) => xs.filter((x) => Math.abs(x - v) < 1e-6).length;

describe("the combiner's vector", () => {
  test("a leaf without a finding is the empty vector, however attack-like its n-grams; beside a finding they count", () => {
    expect(combinerVector(leaf("query.q"), [], lexical(0.99)).idx.length).toBe(0);
    expect(count(dense(combinerVector(leaf("query.q"), [finding(0.9)], lexical(0.8))), 0.8)).toBe(2);
  });

  test("a finding sets its class's strength, its strength at the location, and one step per threshold it reaches", () => {
    const strong = dense(combinerVector(leaf("query.q"), [finding(0.9)], lexical(0)));
    const weak = dense(combinerVector(leaf("query.q"), [finding(0.3)], lexical(0)));
    expect(count(strong, 0.9)).toBe(2);
    expect(count(weak, 0.3)).toBe(2);
    // Steps at 0.5, 0.7 and 0.85: all three for 0.9, none for 0.3 (the 1s besides are location and kind).
    expect(count(strong, 1) - count(weak, 1)).toBe(3);
  });

  test("the rule's name does not enter: two rules of one class at one strength give one vector", () => {
    const a = combinerVector(leaf("query.q"), [finding(0.7)], lexical(0));
    const b = combinerVector(leaf("query.q"), [{ ...finding(0.7), rule: "sql.tautology" }], lexical(0));
    expect(Array.from(a.idx)).toEqual(Array.from(b.idx));
  });

  test("a leaf under Referer or Origin is marked as such; one of the site's own query is not", () => {
    const own = combinerVector(leaf("query.id"), [finding(0.9)], lexical(0));
    const referer = combinerVector(leaf("header.referer.query.id"), [finding(0.9)], lexical(0));
    expect(referer.idx.length).toBe(own.idx.length + 1);
  });
});

describe("lexical windows", () => {
  test("a value of any length is covered whole: the last characters of a padded payload are in a window", () => {
    const text = `${"a".repeat(3 * WINDOW_CHARS + 123)}' UNION SELECT password FROM users--`;
    const windows = windowsOf(text);
    expect(windows.length).toBeGreaterThan(3);
    expect(windows.every((w) => w.length <= WINDOW_CHARS)).toBe(true);
    expect(windows.at(-1)!.endsWith("FROM users--")).toBe(true);
    expect(windows.some((w) => w.includes("' UNION SELECT password FROM users--"))).toBe(true);
  });

  test("a short value is one window, itself", () => {
    expect(windowsOf("shoes")).toEqual(["shoes"]);
  });
});
