/** Depth-limited JSON for untrusted text (issue 12, item 10). */
import { describe, expect, test } from "bun:test";
import { JsonDepthError, nestsDeeperThan, parseJson } from "../../src/core/json.ts";

describe("parseJson", () => {
  test("parses JSON up to the limit and refuses one level more", () => {
    expect(parseJson("[[[1]]]", 3)).toEqual([[[1]]]);
    expect(() => parseJson("[[[[1]]]]", 3)).toThrow(JsonDepthError);
    expect(() => parseJson('{"a":{"b":{"c":{}}}}', 3)).toThrow("JSON nested deeper than 3 levels");
    expect(parseJson('{"a":[{"b":1}],"c":[2]}', 3)).toEqual({ a: [{ b: 1 }], c: [2] });
  });

  test("brackets inside strings do not count, escaped quotes do not end them", () => {
    expect(nestsDeeperThan('["[[[[[[", "\\"[[[[", {"{{{{": "]]]"}]', 2)).toBe(false);
    expect(nestsDeeperThan('["\\\\", [[1]]]', 2)).toBe(true); // the string is one backslash: the arrays after it count
  });

  test("bad JSON is still a SyntaxError, and 800 KB of nesting is refused without parsing", () => {
    expect(() => parseJson("{nope")).toThrow(SyntaxError);
    const deep = "[".repeat(400_000) + "]".repeat(400_000);
    expect(() => parseJson(deep)).toThrow("JSON nested deeper than 64 levels");
    expect(parseJson(`[${"[".repeat(63)}${"]".repeat(63)}]`)).toHaveLength(1);
  });
});
