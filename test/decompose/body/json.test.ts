import { describe, expect, test } from "bun:test";
import { addJsonLeaves, looksLikeJsonContainer, parseJsonLimited, repeatsKeys } from "../../../src/decompose/body/json.ts";
import { parseJsonCountingStrings } from "../../../src/core/json.ts";
import { leafAt, paths, sink } from "../fixtures.ts";

const base = { location: "body" as const, path: "body.json", name: "", encodings: [], layer: 0 };

describe("JSON leaves", () => {
  test("string values at any depth with a.b[0].c paths; numbers, booleans and null are no leaves", () => {
    const s = sink();
    addJsonLeaves(s, { user: { tags: [{ label: "<b>x</b>" }], age: 3, ok: true, none: null }, q: "a" }, base);
    expect(paths(s.leaves)).toEqual(["body.json.user.tags[0].label", "body.json.q"]);
    expect(leafAt(s.leaves, "body.json.user.tags[0].label")).toEqual({ location: "body", path: "body.json.user.tags[0].label", name: "label", text: "<b>x</b>", kind: "value", encodings: [] });
  });

  test("keys that are not plain words are key leaves (NoSQL operators, markup); beacon keys are not", () => {
    const s = sink();
    addJsonLeaves(s, { statusCode: "200", sessionId: "x", password: { $ne: "1" }, "<svg onload=alert(1)>": "v" }, base);
    expect(s.leaves.filter((l) => l.kind === "key").map((l) => l.text)).toEqual(["$ne", "<svg onload=alert(1)>"]);
  });

  test("an array at the root; values in it are known by the nearest key", () => {
    const s = sink();
    addJsonLeaves(s, [{ ids: ["1 or 1=1"] }], base);
    expect(leafAt(s.leaves, "body.json[0].ids[0]").name).toBe("ids");
  });

  test("a name-value pair's value is known by the pair's name; a typed wrapper's by the field it stands for", () => {
    const s = sink();
    addJsonLeaves(s, { attributes: [{ key: "db.statement", value: { stringValue: "SELECT 1" } }], env: [{ name: "PASSWORD", value: "x" }], Tags: [{ Key: "team", Value: "ops" }], fields: { title: { stringValue: "hi" } } }, base);
    expect(leafAt(s.leaves, "body.json.attributes[0].value.stringValue").name).toBe("db.statement");
    expect(leafAt(s.leaves, "body.json.env[0].value").name).toBe("PASSWORD");
    expect(leafAt(s.leaves, "body.json.Tags[0].Value").name).toBe("team");
    expect(leafAt(s.leaves, "body.json.fields.title.stringValue").name).toBe("title");
    // Not a pair: more keys, a name that is no string or is text, no value.
    const t = sink();
    addJsonLeaves(t, { a: { name: "n", value: "v", x: "1", y: "2" }, b: { name: 5, value: "v" }, c: { name: "x".repeat(65), value: "v" }, d: { name: "n", label: "v" } }, base);
    expect(["a", "b", "c"].map((k) => leafAt(t.leaves, `body.json.${k}.value`).name)).toEqual(["value", "value", "value"]);
    expect(leafAt(t.leaves, "body.json.d.label").name).toBe("label");
  });

  test("nesting past the depth limit is flagged too-deep and gives no document", () => {
    const s = sink({ limits: { maxDepth: 32 } });
    expect(parseJsonLimited(s, `${"[".repeat(33)}"x"${"]".repeat(33)}`)).toBeUndefined();
    expect(s.flags).toEqual(["too-deep"]);
    const deepest = `${"[".repeat(32)}"x"${"]".repeat(32)}`;
    expect(JSON.stringify(parseJsonLimited(s, deepest))).toBe(deepest);
    expect(s.flags).toEqual(["too-deep"]);
  });

  test("a key repeated in one object is seen: the parse kept only its last value", () => {
    const stringsIn = (text: string) => parseJsonCountingStrings(text).strings;
    const repeated = '{"q":"<svg onload=alert(1)>","q":"ok"}';
    expect(repeatsKeys(stringsIn(repeated), JSON.parse(repeated))).toBe(true);
    expect(repeatsKeys(stringsIn('{"a":{"k":1,"k":2}}'), { a: { k: 2 } })).toBe(true);
    // Escaped quotes and backslashes inside strings, keys in different objects, arrays of strings.
    for (const text of ['{"a":"x\\"y","b":["c",{"d":"e\\\\"}],"n":1}', '[{"k":"1"},{"k":"2"}]', '{"k":{"k":"k"}}', "{}"]) expect(repeatsKeys(stringsIn(text), JSON.parse(text))).toBe(false);
  });

  test("malformed JSON gives undefined, never a throw", () => {
    const s = sink();
    expect(parseJsonLimited(s, '{"a": "b"')).toBeUndefined();
    expect(s.flags).toEqual([]);
    expect(looksLikeJsonContainer('  {"a":1}\n')).toBe(true);
    expect(looksLikeJsonContainer("{a")).toBe(false);
  });
});
