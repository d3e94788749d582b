/** The combiner's input vector and the lexical model's windows: what the generic model sees of a leaf. */
import { describe, expect, test } from "bun:test";
import { CombinerLayout } from "../../../src/detect/generic/combiner.ts";
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
const finding: Finding = { class: "sqli", rule: "sql.union", strength: 0.9, start: 0, end: 5 };
const dense = (layout: CombinerLayout, v: { idx: Int32Array; val: Float32Array }) => {
  const out = new Float32Array(layout.size);
  v.idx.forEach((i, k) => (out[i] = v.val[k]!));
  return out;
};

describe("the combiner's vector", () => {
  const layout = new CombinerLayout(["sql.tautology", "sql.union"]);

  test("a leaf without a finding is the empty vector, however attack-like its n-grams; beside a finding they count", () => {
    expect(layout.vector(leaf("query.q"), [], lexical(0.99)).idx.length).toBe(0);
    const backed = dense(layout, layout.vector(leaf("query.q"), [finding], lexical(0.8)));
    expect(backed.filter((v) => Math.abs(v - 0.8) < 1e-6).length).toBe(2);
  });

  test("a finding sets its class, its class at the location, and its rule; an unknown rule only its class", () => {
    const known = dense(layout, layout.vector(leaf("query.q"), [finding], lexical(0)));
    const unknown = dense(layout, layout.vector(leaf("query.q"), [{ ...finding, rule: "sql.new-construct" }], lexical(0)));
    expect(known.filter((v) => Math.abs(v - 0.9) < 1e-6).length).toBe(3);
    expect(unknown.filter((v) => Math.abs(v - 0.9) < 1e-6).length).toBe(2);
    expect(known[layout.size - 1]).toBeCloseTo(0.9); // sql.union is the vocabulary's last rule
  });

  test("a leaf under Referer or Origin is marked as such; one of the site's own query is not", () => {
    const own = layout.vector(leaf("query.id"), [finding], lexical(0));
    const referer = layout.vector(leaf("header.referer.query.id"), [finding], lexical(0));
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
