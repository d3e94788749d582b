import { describe, expect, test } from "bun:test";
import { foldOverlongLatin1, foldOverlongUtf8, parseCookies, parseParams, percentDecode, percentDecodeLenient, unescapeApache, unescapeJson, unescapeNginx } from "../../src/parse/decode.ts";

describe("percentDecode", () => {
  test("decodes UTF-8 sequences and plus signs", () => {
    expect(percentDecode("caf%C3%A9+au+lait", true)).toBe("café au lait");
    expect(percentDecode("a+b")).toBe("a+b");
  });
  test("falls back to Latin-1 for bytes that are not UTF-8", () => {
    expect(percentDecode("A%F1adir", true)).toBe("Añadir");
  });
  test("leaves malformed escapes as they are and never throws", () => {
    expect(percentDecode("100%")).toBe("100%");
    expect(percentDecode("%zz%4")).toBe("%zz%4");
    expect(percentDecode("%u0027")).toBe("%u0027");
  });
  test("keeps NUL bytes and decodes one layer only", () => {
    expect(percentDecode("a%00b")).toBe("a\u0000b");
    expect(percentDecode("%2527")).toBe("%27");
  });
  test("keeps literal non-ASCII text", () => {
    expect(percentDecode("日本%20語")).toBe("日本 語");
  });
  test("a long value reads as its pieces do (BOM, bytes that are not UTF-8, malformed escapes, %u)", () => {
    const pad = "x".repeat(1100);
    for (const piece of ["%E4%B8%AD%20a", "%EF%BB%BFbom", "%ED%A0%80", "%F0%9F%98%80", "%zz%4", "100%", "%c0%af", "%u002f"]) {
      expect(percentDecode(pad + piece + pad)).toBe(pad + percentDecode(piece) + pad);
      expect(percentDecodeLenient(pad + piece + pad)).toBe(pad + percentDecodeLenient(piece) + pad);
    }
  });
});

describe("lenient URL decoding (a second reading, as old servers decode)", () => {
  test("IIS %uXXXX escapes, surrogate pairs joined; percentDecode leaves them", () => {
    expect(percentDecodeLenient("..%u002f..%U002Fetc")).toBe("../../etc");
    expect(percentDecodeLenient("%uD83D%uDE00 %u00e9")).toBe("😀 é");
    expect(percentDecode("%u002f")).toBe("%u002f");
  });

  test("overlong UTF-8 spells its character; valid UTF-8 and malformed escapes are kept", () => {
    expect(percentDecodeLenient("..%c0%af..%c1%9c%e0%80%ae%f0%80%80%af%f8%80%80%80%ae%fc%80%80%80%80%af")).toBe("../..\\././");
    expect(percentDecodeLenient("%c0%2e %c2%a9 %f0%9f%98%80")).toBe("À. © 😀"); // no continuation byte; valid UTF-8
    expect(percentDecodeLenient("%E4%B8%AD%c0%af 100% %zz")).toBe("中/ 100% %zz");
    expect(percentDecode("%c0%af")).toBe("À¯");
    expect(foldOverlongUtf8(Buffer.from("plain é"))).toBeNull();
    // A 6-byte form spelling a value past Unicode is kept as sent, not cut to 16 bits.
    const past = [0xfc, 0x83, 0xbf, 0xbf, 0xbf, 0xbf];
    expect(Array.from(foldOverlongUtf8(past)!)).toEqual(past);
  });

  test("overlong sequences in text already decoded as Latin-1 (windows-1252) are folded", () => {
    expect(foldOverlongLatin1(percentDecode("..%c0%af..%c1%9cetc"))).toBe("../..\\etc");
    expect(foldOverlongLatin1(percentDecode("%e4%b8%ad%e0%80%af"))).toBe("中/"); // `%e0%80` reads as `à€`
    for (const text of ["café à la crème", "À la carte", "Ðð ÀÁ", "plain"]) expect(foldOverlongLatin1(text)).toBeNull();
  });
});

describe("parseParams", () => {
  test("keeps order, repeated names, raw and decoded forms", () => {
    const params = parseParams("a=1&b=%27x&a=2&flag&&c=", "query");
    expect(params.map((p) => [p.name, p.value])).toEqual([["a", "1"], ["b", "'x"], ["a", "2"], ["flag", ""], ["c", ""]]);
    expect(params[1]).toMatchObject({ rawName: "b", rawValue: "%27x", location: "query" });
  });
});

describe("parseCookies", () => {
  test("splits on semicolons and trims", () => {
    expect(parseCookies("a=1; b=x=y ;c")).toEqual([{ name: "a", value: "1" }, { name: "b", value: "x=y" }, { name: "", value: "c" }]);
    expect(parseCookies("-")).toEqual([]);
  });
});

describe("log escapes", () => {
  test("nginx escape=default: \\xHH bytes, UTF-8 reassembled", () => {
    expect(unescapeNginx("say \\x22hi\\x22 \\x5C caf\\xC3\\xA9")).toBe('say "hi" \\ café');
  });
  test("nginx escape=json", () => {
    expect(unescapeJson('a\\"b\\\\c\\u0001')).toBe('a"b\\c\u0001');
    expect(unescapeJson("bad\\")).toBe("bad\\");
  });
  test("apache escapes", () => {
    expect(unescapeApache('a\\"b\\\\c\\x41\\n')).toBe('a"b\\cA\n');
  });
});
