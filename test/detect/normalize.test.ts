import { describe, expect, test } from "bun:test";
import { canonicalPath, normalizeValue } from "../../src/detect/normalize.ts";

describe("normalizeValue", () => {
  test("plain values pass through, lower-cased, with no flags", () => {
    const n = normalizeValue("Hello World");
    expect(n.text).toBe("hello world");
    expect(n.flags.urlDecodePasses).toBe(0);
    expect(n.raw).toBe("Hello World");
  });
  test("single and double URL-encoding are undone and counted", () => {
    expect(normalizeValue("%27%20OR%201%3D1").text).toBe("' or 1=1");
    expect(normalizeValue("%27%20OR%201%3D1").flags.urlDecodePasses).toBe(1);
    const double = normalizeValue("%2527%2520union");
    expect(double.text).toBe("' union");
    expect(double.flags.urlDecodePasses).toBe(2);
  });
  test("the pass limit bounds the work and says so", () => {
    let v = "<";
    for (let i = 0; i < 8; i++) v = encodeURIComponent(v);
    const n = normalizeValue(v, { maxDecodePasses: 4 });
    expect(n.flags.decodeLimitHit).toBe(true);
    expect(n.flags.urlDecodePasses).toBe(4);
  });
  test("%u escapes and overlong UTF-8", () => {
    const u = normalizeValue("%u003cscript%u003e");
    expect(u.text).toBe("<script>");
    expect(u.flags.percentU).toBe(true);
    const o = normalizeValue("%c0%ae%c0%ae%c0%af etc");
    expect(o.text).toBe("../ etc");
    expect(o.flags.overlongUtf8).toBe(true);
    expect(normalizeValue("%f0%80%80%af%e0%80%ae").text).toBe("/.");
  });
  test("HTML entities, named, decimal and hex, with or without semicolon", () => {
    const n = normalizeValue("&lt;img src=x onerror=&#97;lert&#x28;1&#41&gt;");
    expect(n.text).toBe("<img src=x onerror=alert(1)>");
    expect(n.flags.htmlEntities).toBe(true);
    expect(normalizeValue("Tom &amp; Jerry &unknown;").text).toBe("tom & jerry &unknown;");
  });
  test("NFKC folds full-width forms; NUL and control bytes are flagged", () => {
    const n = normalizeValue("ＳＥＬＥＣＴ");
    expect(n.text).toBe("select");
    expect(n.flags.unicodeCompat).toBe(true);
    const z = normalizeValue("a%00b%07");
    expect(z.flags.nullByte).toBe(true);
    expect(z.flags.controlChars).toBe(true);
    expect(z.text).toBe("ab\u0007");
  });
  test("SQL/JS comments and whitespace runs fold to one space; MySQL executable comments keep content", () => {
    const n = normalizeValue("UNION/**/SELECT%09%0a1/*!50000FROM*/users");
    expect(n.text).toBe("union select 1 from users");
    expect(n.flags.comments).toBe(true);
  });
  test("plus is a space only where asked (query/form values)", () => {
    expect(normalizeValue("a+b", { plusAsSpace: true }).text).toBe("a b");
    expect(normalizeValue("a+b").text).toBe("a+b");
  });
  test("multilingual text is kept", () => {
    expect(normalizeValue("%E6%97%A5%E6%9C%AC%E8%AA%9E Straße").text).toBe("日本語 straße");
  });
});

describe("canonicalPath", () => {
  test("resolves dot segments, double slashes and backslashes", () => {
    expect(canonicalPath("/static/../../etc/passwd")).toBe("/etc/passwd");
    expect(canonicalPath("/a//b\\..\\c/")).toBe("/a/c/");
    expect(canonicalPath("/./a/.")).toBe("/a");
    expect(canonicalPath("/")).toBe("/");
  });
});
