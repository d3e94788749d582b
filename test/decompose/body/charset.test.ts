import { describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { decodeBodyCharset } from "../../../src/decompose/body/charset.ts";
import { EBCDIC_TABLES } from "../../../src/decompose/body/ebcdic-tables.ts";
import { decompose } from "../../../src/decompose/index.ts";
import { bytesToText } from "../../../src/parse/decode.ts";
import { request } from "../fixtures.ts";

const PAYLOAD = "1' UNION SELECT password FROM users--";
const MAX = 1 << 20;
/** Text → the latin1 string of its bytes in a charset, as a source hands over bytes that are no UTF-8. */
const latin1 = (b: Uint8Array) => Buffer.from(b).toString("latin1");
const utf16le = (s: string) => latin1(Buffer.from(s, "utf16le"));
const utf16be = (s: string) => latin1(Buffer.from(s, "utf16le").swap16());
const utf32le = (s: string) => latin1(Buffer.from([...s].flatMap((c) => [c.codePointAt(0)! & 0xff, (c.codePointAt(0)! >> 8) & 0xff, (c.codePointAt(0)! >> 16) & 0xff, 0])));
const ebcdicBytes = (s: string, cp = "cp037") => Uint8Array.from([...s].map((c) => EBCDIC_TABLES[cp]!.indexOf(c)));
const ebcdic = (s: string, cp = "cp037") => latin1(ebcdicBytes(s, cp));
const escaped = (bytes: string) => [...bytes].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join("");

const decomposed = (contentType: string, body: string, extra: string[] = []) => decompose(request(["POST /x HTTP/1.1", "Host: a", `Content-Type: ${contentType}`, ...extra], body));
const textAt = (contentType: string, body: string, path: string) => decomposed(contentType, body).leaves.find((l) => l.path === path)?.text;

describe("body charsets", () => {
  test("UTF-16 and UTF-32 the bytes show (a byte-order mark, or the NULs of ASCII in them) are read decoded too, declared or not", () => {
    const json = JSON.stringify({ q: PAYLOAD });
    expect(textAt("application/json", utf16le(json), "body~charset~json.q")).toBe(PAYLOAD);
    expect(textAt("application/json", utf16be(json), "body~charset~json.q")).toBe(PAYLOAD);
    expect(textAt("application/json", `\xff\xfe${utf16le(json)}`, "body~charset~json.q")).toBe(PAYLOAD);
    expect(textAt("application/json; charset=UTF-16", `\xfe\xff${utf16be(json)}`, "body~charset~json.q")).toBe(PAYLOAD);
    expect(textAt("application/json", utf32le(json), "body~charset~json.q")).toBe(PAYLOAD);
    expect(textAt("application/json", utf32le('{"q":"𝒳 or 1=1"}'), "body~charset~json.q")).toBe("𝒳 or 1=1");
    expect(textAt("application/x-www-form-urlencoded; charset=utf-16le", utf16le(`q=${PAYLOAD}`), "body~charset~url-in-value.query.q")).toBe(PAYLOAD);
    // NULs that show UTF-16 are no byte-order mark: the first character is kept.
    expect(decodeBodyCharset("\xff\0A\0B\0C\0", "", false, MAX)?.text).toBe("ÿABC");
  });

  test("an EBCDIC charset the Content-Type names, by any of its names: read decoded too, whatever it pads itself with", () => {
    const json = ebcdic(JSON.stringify({ q: PAYLOAD }), "cp500");
    expect(textAt("application/json; charset=IBM500", json, "body~charset~json.q")).toBe(PAYLOAD);
    // A form's names and values as escaped EBCDIC bytes, its separators as sent (how ASP.NET reads it).
    const form = `${escaped(ebcdic("q"))}=${escaped(ebcdic(PAYLOAD))}`;
    expect(decodeBodyCharset(form, 'application/x-www-form-urlencoded; charset="ibm037"', true, MAX)).toEqual({ text: `q=${encodeURIComponent(PAYLOAD)}`, charset: "cp037", cut: false });
    expect(textAt("application/x-www-form-urlencoded; charset=ibm037", form, "body~charset~url-in-value.query.q")).toBe(PAYLOAD);
    const padded = decomposed("application/x-www-form-urlencoded; charset=ibm037", `${form}&p=${"\x20".repeat(50)}`).leaves;
    expect(padded.some((l) => l.path.startsWith("body~charset") && l.text.includes(PAYLOAD))).toBe(true);
    const pages: [string, string][] = [
      ["cp037", "cp037"], ["IBM037", "cp037"], ["ibm37", "cp037"], ["ebcdic-cp-us", "cp037"], ["IBM01140", "cp1140"], ["cp1026", "cp1026"],
      ["ibm273", "cp273"], ["cp875", "cp875"], ["ebcdic-cp-be", "cp500"], ["IBM01047", "cp037"], ["ibm01141", "cp037"],
      // The other names a server knows, for pages that agree with cp037 on the invariant characters.
      ["ebcdic-cp-fi", "cp037"], ["ebcdic-cp-gb", "cp037"], ["ebcdic-cp-roece", "cp037"], ["cp870", "cp037"], ["csIBM870", "cp037"], ["IBM420", "cp037"], ["IBM424", "cp037"], ["IBM-Thai", "cp037"], ["x-EBCDIC-KoreanExtended", "cp037"],
    ];
    for (const [name, charset] of pages) {
      expect([name, decodeBodyCharset("a=b", `application/x-www-form-urlencoded; charset=${name}`, true, MAX)?.charset]).toEqual([name, charset]);
    }
    // ASCII-based code pages are no EBCDIC.
    for (const name of ["cp1252", "ibm437", "cp850"]) expect([name, decodeBodyCharset("a=b", `text/plain; charset=${name}`, false, MAX)]).toEqual([name, null]);
  });

  test("an XML document that opens with `<?xm` in EBCDIC is read in the page its declaration names, with no charset declared", () => {
    const xml = (encoding: string) => `<?xml version="1.0" encoding="${encoding}"?><r><q>${PAYLOAD}</q></r>`;
    expect(decodeBodyCharset(ebcdic(xml("IBM037")), "text/xml", false, MAX)).toEqual({ text: xml("IBM037"), charset: "cp037", cut: false });
    expect(decodeBodyCharset(ebcdic(xml("IBM500"), "cp500"), "application/xml", false, MAX)?.charset).toBe("cp500");
    expect(decodeBodyCharset(ebcdic(xml("EBCDIC-CP-FI")), "", false, MAX)?.charset).toBe("cp037");
    // ASCII XML, and bytes that only start like it, are left as they are.
    expect(decodeBodyCharset(xml("UTF-8"), "text/xml", false, MAX)).toBeNull();
    expect(decodeBodyCharset("\x4c\x6fhello", "text/xml", false, MAX)).toBeNull();
  });

  test("a multipart part is read in the charset its own Content-Type names; a file part's bytes alone are not sniffed", () => {
    const part = (headers: string[], value: string) => ["--b", 'Content-Disposition: form-data; name="q"', ...headers, "", value].join("\r\n");
    const body = (...parts: string[]) => `${parts.join("\r\n")}\r\n--b--\r\n`;
    for (const [type, value] of [["text/plain; charset=ibm037", ebcdic(PAYLOAD)], ["text/plain; charset=IBM500", ebcdic(PAYLOAD, "cp500")], ["text/plain; charset=utf-16le", utf16le(PAYLOAD)]] as const) {
      expect([type, textAt("multipart/form-data; boundary=b", body(part([`Content-Type: ${type}`], value)), "body.multipart.q~charset")]).toEqual([type, PAYLOAD]);
    }
    // UTF-8 is how the part is read already; a binary file's NULs are no UTF-16.
    for (const [headers, value] of [[["Content-Type: text/plain; charset=utf-8"], "héllo"], [["Content-Type: application/octet-stream"], utf16le("no charset declared")]] as const) {
      expect(decomposed("multipart/form-data; boundary=b", body(part([...headers], value))).leaves.some((l) => l.path.endsWith("~charset"))).toBe(false);
    }
  });

  test("the bytes as a log source or an inflated body hand them over (windows-1252 for 0x80-0x9F) decode the same", () => {
    const bytes = ebcdicBytes(JSON.stringify({ q: PAYLOAD }));
    expect(decodeBodyCharset(bytesToText(bytes), "application/json; charset=ibm037", false, MAX)?.text).toBe(JSON.stringify({ q: PAYLOAD }));
    const gzipped = decomposed("application/json; charset=ibm037", latin1(gzipSync(bytes)), ["Content-Encoding: gzip"]);
    expect(gzipped.leaves.find((l) => l.path === "body~charset~json.q")?.text).toBe(PAYLOAD);
  });

  test("declaring a charset or adding a byte-order mark hides nothing: the body is still read as sent", () => {
    for (const charset of ["ibm037", "utf-16", "utf-32be"]) {
      expect([charset, textAt(`application/x-www-form-urlencoded; charset=${charset}`, `q=${encodeURIComponent(PAYLOAD)}`, "body.q")]).toEqual([charset, PAYLOAD]);
    }
    expect(textAt("application/x-www-form-urlencoded", `\xff\xfe=x&q=${encodeURIComponent(PAYLOAD)}`, "body.q")).toBe(PAYLOAD);
    expect(textAt("text/plain", `\xff\xfe<script>alert(document.cookie)</script>`, "body")).toContain("<script>");
  });

  test("other bodies are not read again: UTF-8, latin1, binary, an unknown charset, and NULs that decode to control characters", () => {
    for (const [type, body] of [
      ["application/json; charset=utf-8", JSON.stringify({ q: "Zoë" })],
      ["text/plain; charset=iso-8859-1", "caf\xe9"],
      ["text/plain", "Привет, мир"],
      ["application/octet-stream", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR"],
      ["image/x-icon", "\0\0\x01\0\x01\0\x10\x10"],
      ["text/plain; charset=klingon", "hello"],
      ["application/octet-stream", "\x01\0\x02\0\x03\0\x04\0\x05\0\x06\0\x07\0\x08\0"],
    ] as const) {
      expect([type, decodeBodyCharset(body, type, false, MAX)]).toEqual([type, null]);
    }
  });

  test("a form within the limit whose decoded reading outgrows it is cut and flagged oversize", () => {
    // Escaped cp875 bytes of Greek letters: three characters each as sent, six each spelled again as UTF-8.
    const form = `q=${escaped(ebcdic("ΑΒΓΔΕ".repeat(12), "cp875"))}`;
    expect(form.length).toBeLessThan(200);
    expect(decodeBodyCharset(form, "application/x-www-form-urlencoded; charset=cp875", true, 200)).toMatchObject({ cut: true });
    const { flags } = decompose(request(["POST /x HTTP/1.1", "Host: a", "Content-Type: application/x-www-form-urlencoded; charset=cp875"], form), { maxBodyBytes: 200 });
    expect(flags).toContain("body-oversize");
  });

  test("past the body limit the reading is cut and the body flagged oversize, whatever the charset", () => {
    const body = utf32le(`${"a".repeat(MAX)}<script>alert(1)</script>`);
    expect(decodeBodyCharset(body, "text/plain; charset=utf-32le", false, MAX)).toMatchObject({ cut: true });
    expect(decodeBodyCharset(body, "text/plain; charset=utf-32le", false, MAX)!.text.length).toBe(MAX);
    expect(decompose(request(["POST /x HTTP/1.1", "Host: a", "Content-Type: text/plain; charset=utf-32le"], body), { maxBodyBytes: MAX }).flags).toContain("body-oversize");
  });

  test("a hostile body costs no throw: odd lengths, lone surrogates, code points past Unicode, a long run of one byte", () => {
    expect(decodeBodyCharset(`${utf16le("an odd length of bytes")}\x41`, "text/plain; charset=utf-16le", false, MAX)?.text).toStartWith("an odd length of bytes");
    expect(decodeBodyCharset(utf16le("a lone \ud800 surrogate in a text"), "text/plain; charset=utf-16le", false, MAX)?.text).toContain("surrogate");
    expect(decodeBodyCharset("\0\0\0\x41\xff\xff\xff\xff\0\0\xd8\0", "text/plain; charset=utf-32be", false, MAX)?.text).toBe("A\ufffd\ufffd");
    expect(() => decompose(request(["POST /x HTTP/1.1", "Host: a", "Content-Type: application/x-www-form-urlencoded; charset=ibm037"], `q=${"%ff".repeat(100_000)}`))).not.toThrow();
  });
});
