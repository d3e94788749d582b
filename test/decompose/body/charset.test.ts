import { describe, expect, test } from "bun:test";
import { decodeBodyCharset } from "../../../src/decompose/body/charset.ts";
import { EBCDIC_TABLES } from "../../../src/decompose/body/ebcdic-tables.ts";
import { decompose } from "../../../src/decompose/index.ts";
import { request } from "../fixtures.ts";

const PAYLOAD = "1' UNION SELECT password FROM users--";
/** Text → the latin1 string of its bytes in a charset, as a source hands over bytes that are no UTF-8. */
const latin1 = (b: Uint8Array) => Buffer.from(b).toString("latin1");
const utf16le = (s: string) => latin1(Buffer.from(s, "utf16le"));
const utf16be = (s: string) => latin1(Buffer.from(s, "utf16le").swap16());
const utf32le = (s: string) => latin1(Buffer.from([...s].flatMap((c) => [c.codePointAt(0)! & 0xff, (c.codePointAt(0)! >> 8) & 0xff, 0, 0])));
const ebcdic = (s: string, cp = "cp037") => [...s].map((c) => String.fromCharCode(EBCDIC_TABLES[cp]!.indexOf(c))).join("");
const escaped = (bytes: string) => [...bytes].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join("");

const leavesOf = (contentType: string, body: string) => decompose(request(["POST /x HTTP/1.1", "Host: a", `Content-Type: ${contentType}`], body)).leaves;
const textAt = (contentType: string, body: string, path: string) => leavesOf(contentType, body).find((l) => l.path === path)?.text;

describe("body charsets", () => {
  test("UTF-16 and UTF-32 the bytes show (a byte-order mark, or the NULs of ASCII in them) are read decoded, declared or not", () => {
    const json = JSON.stringify({ q: PAYLOAD });
    expect(textAt("application/json", utf16le(json), "body.json.q")).toBe(PAYLOAD);
    expect(textAt("application/json", utf16be(json), "body.json.q")).toBe(PAYLOAD);
    expect(textAt("application/json", `\xff\xfe${utf16le(json)}`, "body.json.q")).toBe(PAYLOAD);
    expect(textAt("application/json; charset=UTF-16", `\xfe\xff${utf16be(json)}`, "body.json.q")).toBe(PAYLOAD);
    expect(textAt("application/json", utf32le(json), "body.json.q")).toBe(PAYLOAD);
    expect(textAt("application/x-www-form-urlencoded; charset=utf-16le", utf16le(`q=${PAYLOAD}`), "body.q")).toBe(PAYLOAD);
    expect(decodeBodyCharset(utf16le(json), "", false)).toMatchObject({ charset: "utf-16le", shownByBytes: true });
  });

  test("an EBCDIC charset the Content-Type names: the body as sent, and decoded once more", () => {
    const json = ebcdic(JSON.stringify({ q: PAYLOAD }), "cp500");
    expect(textAt("application/json; charset=IBM500", json, "body~charset~json.q")).toBe(PAYLOAD);
    expect(leavesOf("application/json; charset=IBM500", json).some((l) => l.path === "body")).toBe(true);
    // A form's names and values as escaped EBCDIC bytes, its separators as sent (how ASP.NET reads it).
    const form = `${escaped(ebcdic("q"))}=${escaped(ebcdic(PAYLOAD))}`;
    expect(decodeBodyCharset(form, 'application/x-www-form-urlencoded; charset="ibm037"', true)).toEqual({ text: `q=${encodeURIComponent(PAYLOAD)}`, charset: "cp037", shownByBytes: false });
    expect(textAt("application/x-www-form-urlencoded; charset=ibm037", form, "body~charset~url-in-value.query.q")).toBe(PAYLOAD);
    for (const name of ["cp037", "IBM037", "ibm37", "ebcdic-cp-us", "IBM01140", "cp1026", "ibm273", "cp875"]) {
      expect([name, decodeBodyCharset("a=b", `application/x-www-form-urlencoded; charset=${name}`, true)?.charset]).toEqual([name, expect.any(String)]);
    }
  });

  test("declaring a charset hides nothing: an ASCII body is still read as sent", () => {
    for (const charset of ["ibm037", "utf-16", "utf-32be"]) {
      expect([charset, textAt(`application/x-www-form-urlencoded; charset=${charset}`, `q=${encodeURIComponent(PAYLOAD)}`, "body.q")]).toEqual([charset, PAYLOAD]);
    }
  });

  test("other bodies are untouched: UTF-8, latin1, binary, an unknown charset, and bytes that decode to no text", () => {
    for (const [type, body] of [
      ["application/json; charset=utf-8", JSON.stringify({ q: "Zoë" })],
      ["text/plain; charset=iso-8859-1", "caf\xe9"],
      ["application/octet-stream", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR"],
      ["image/x-icon", "\0\0\x01\0\x01\0\x10\x10"],
      ["text/plain; charset=klingon", "hello"],
      ["text/plain; charset=utf-16", "\0\x01\0\x02\0\x03\0\x04\0\x05\0\x06"],
    ] as const) {
      expect([type, decodeBodyCharset(body, type, false)]).toEqual([type, null]);
    }
  });

  test("a hostile body costs no throw: odd lengths, lone surrogates, code points past Unicode", () => {
    expect(decodeBodyCharset(`${utf16le("an odd length of bytes")}\x41`, "text/plain; charset=utf-16le", false)?.text).toStartWith("an odd length of bytes");
    expect(decodeBodyCharset(utf16le("a lone \ud800 surrogate in a text"), "text/plain; charset=utf-16le", false)?.text).toContain("surrogate");
    expect(() => decodeBodyCharset("\0\0\0\x41\xff\xff\xff\xff", "text/plain; charset=utf-32be", false)).not.toThrow();
    expect(() => decompose(request(["POST /x HTTP/1.1", "Host: a", "Content-Type: text/plain; charset=ibm037"], "\xff".repeat(100_000)))).not.toThrow();
  });
});
