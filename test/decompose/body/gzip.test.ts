import { describe, expect, test } from "bun:test";
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { compressionsOf, inflateBody, isGzip } from "../../../src/decompose/body/gzip.ts";
import { bytesToText } from "../../../src/parse/decode.ts";

const latin1 = (b: Uint8Array) => Buffer.from(b).toString("latin1");

describe("gzip/deflate bodies", () => {
  test("gzip, zlib deflate and raw deflate inflate to the text", () => {
    const text = '{"q":"1 union select 1,2"}';
    expect(inflateBody(latin1(gzipSync(text)), "gzip", 1 << 20)).toEqual({ text, oversize: false });
    expect(inflateBody(latin1(deflateSync(text)), "deflate", 1 << 20)).toEqual({ text, oversize: false });
    expect(inflateBody(latin1(deflateRawSync(text)), "deflate", 1 << 20)).toEqual({ text, oversize: false });
    expect(inflateBody(latin1(brotliCompressSync(text)), "br", 1 << 20)).toEqual({ text, oversize: false });
  });

  test("a gzip body as a log source hands it over (windows-1252 for 0x80-0x9F) inflates too", () => {
    const text = `{"q":"${"1 union select 1,2 ".repeat(50)}"}`;
    const compressed = gzipSync(text);
    expect(compressed.some((b) => b >= 0x80 && b <= 0x9f)).toBe(true);
    expect(inflateBody(bytesToText(compressed), "gzip", 1 << 20)).toEqual({ text, oversize: false });
  });

  test("a zip bomb stops at the limit, flagged oversize, with the first part of its output", () => {
    const bomb = latin1(gzipSync(Buffer.alloc(64 << 20, "A")));
    const result = inflateBody(bomb, "gzip", 1 << 20)!;
    expect(result.oversize).toBe(true);
    expect(result.text.length).toBeLessThanOrEqual(1 << 20);
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.text).toMatch(/^A+$/);
  });

  test("a body that is not what it claims gives null; the magic and Content-Encoding are read", () => {
    expect(inflateBody("not gzip", "gzip", 1 << 20)).toBeNull();
    expect(inflateBody("not deflate", "deflate", 1 << 20)).toBeNull();
    expect(isGzip(latin1(gzipSync("x")))).toBe(true);
    expect(isGzip("x")).toBe(false);
    expect(compressionsOf(" GZIP ")).toEqual(["gzip"]);
    expect(compressionsOf("x-gzip")).toEqual(["gzip"]);
    expect(compressionsOf("br")).toEqual(["br"]);
    expect(compressionsOf("gzip, gzip")).toEqual(["gzip", "gzip"]);
    expect(compressionsOf("deflate, identity")).toEqual(["deflate"]);
    expect(compressionsOf("compress")).toBeNull();
    expect(compressionsOf("gzip, gzip, gzip, gzip")).toBeNull();
  });
});
