import { describe, expect, test } from "bun:test";
import { isPlainName } from "../../src/decompose/sink.ts";
import { sink } from "./fixtures.ts";

describe("LeafSink", () => {
  test("plain names are no key leaves; names that could carry code are", () => {
    for (const plain of ["user_id", "a.b", "items[0]", "soap:Body", "utm-source", ""]) expect(isPlainName(plain)).toBe(true);
    for (const odd of ["$where", "<script>", "a'or'1", "a b", "x=1"]) expect(isPlainName(odd)).toBe(false);
    // A property path that frameworks bind is judged: Spring4Shell's and OGNL's payloads are names.
    for (const path of ["class.module.classLoader", "java.lang.Runtime", "a.b.c"]) expect(isPlainName(path)).toBe(false);
    // The way to an object's prototype, judged even when the value under it is no string.
    for (const proto of ["__proto__", "prototype", "__proto__[isAdmin]", "a[constructor][prototype][x]"]) expect(isPlainName(proto)).toBe(false);
    for (const plain of ["prototypeId", "isPrototype", "prototypes"]) expect(isPlainName(plain)).toBe(true);
    // A long name in the base64 alphabet, both cases and a digit, may be a payload sent as a name: decoded as a key leaf.
    const payload = Buffer.from("' UNION SELECT password FROM users--").toString("base64url");
    expect(isPlainName(payload)).toBe(false);
    for (const plain of ["selectedProductId", "g-recaptcha-response", "__RequestVerificationToken", "utm_campaign_2026"]) expect(isPlainName(plain)).toBe(true);
    const named = sink({ expand: true });
    named.key("query", `query.${payload}`, payload);
    expect(named.leaves.find((l) => l.text === "' UNION SELECT password FROM users--")).toMatchObject({ kind: "value", encodings: ["base64"] });
    const s = sink();
    s.key("query", "query.id", "id");
    s.key("query", "query.$ne", "$ne");
    expect(s.leaves).toEqual([{ location: "query", path: "query.$ne", name: "$ne", text: "$ne", kind: "key", encodings: [] }]);
  });

  test("empty values are no leaves", () => {
    const s = sink();
    s.value("query", "query.a", "a", "");
    expect(s.leaves).toEqual([]);
  });

  test("past the leaf limit (flagged once) texts are kept by part, one text leaf each; past the rest's budget the walk stops, flagged", () => {
    const s = sink({ limits: { maxLeaves: 2, maxBodyBytes: 4 } });
    expect(s.value("query", "query.a", "a", "1")).toBe(true);
    expect(s.value("query", "query.b", "b", "2")).toBe(true);
    expect(s.value("query", "query.c", "c", "3")).toBe(true);
    expect(s.value("body", "body.d", "d", "4")).toBe(true);
    expect(s.value("query", "query.e", "e", "5")).toBe(true);
    expect(s.value("query", "query.f", "f", "6")).toBe(true);
    expect(s.value("query", "query.g", "g", "7")).toBe(false);
    expect(s.leaves.length).toBe(2);
    expect(s.flags).toEqual(["too-many-leaves", "body-oversize"]);
    expect(s.restLeaves().map((l) => [l.location, l.path, l.kind, l.text])).toEqual([["query", "query", "text", "3 5 6"], ["body", "body", "text", "4"]]);
  });
});
