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

describe("the nesting scan", () => {
  /** The character-by-character reading the scan replaces: the same answer on any text. */
  function reference(text: string, maxDepth: number): boolean {
    let depth = 0;
    let inString = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (c === "\\") i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === "[" || c === "{") {
        if (++depth > maxDepth) return true;
      } else if (c === "]" || c === "}") depth--;
    }
    return false;
  }

  test("jumping from quote to quote reads runs of backslashes as the character-by-character scan does", () => {
    expect(nestsDeeperThan('["\\\\\\"[[[", [[1]]]', 3)).toBe(false); // \\ then \" inside one string: its brackets do not count
    expect(nestsDeeperThan('["\\\\\\\\", [[1]]]', 2)).toBe(true); // two escaped backslashes: the string ends there, the arrays after it count
    expect(nestsDeeperThan('["never closed [[[[', 2)).toBe(false);
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const alphabet = ["[", "]", "{", "}", '"', "\\", "a", ","];
    for (let n = 0; n < 2000; n++) {
      const text = Array.from({ length: next() % 40 }, () => alphabet[next() % alphabet.length]).join("");
      for (const depth of [1, 2, 3]) expect([text, depth, nestsDeeperThan(text, depth)]).toEqual([text, depth, reference(text, depth)]);
    }
  });
});
