import { describe, expect, test } from "bun:test";
import { dechunk } from "../../src/parse/chunked.ts";
import { frameRawHttp, rawHttpParser } from "../../src/parse/raw-http.ts";
import { bytesToText } from "../../src/parse/decode.ts";
import { isParseError, type HttpRequest } from "../../src/core/http-request.ts";
import { Detector } from "../../src/detect/detector.ts";

/** A body cut into chunks of `size` bytes, as a client sends it with `Transfer-Encoding: chunked`. */
function chunked(data: string, size: number, eol = "\r\n"): string {
  const bytes = Buffer.from(data);
  let out = "";
  for (let i = 0; i < bytes.length; i += size) {
    const piece = bytes.subarray(i, i + size);
    out += `${piece.length.toString(16)}${eol}${piece.toString()}${eol}`;
  }
  return `${out}0${eol}${eol}`;
}

function request(body: string, headers = "Transfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded"): HttpRequest {
  const r = rawHttpParser.parse(`POST /post HTTP/1.1\r\nHost: shop.example\r\n${headers}\r\n\r\n${body}`, { source: "test" });
  if (isParseError(r)) throw new Error(r.reason);
  return r;
}

describe("chunked bodies", () => {
  test("chunks are joined: sizes in hex, extensions ignored, CRLF or LF, trailers dropped", () => {
    expect(dechunk(chunked("q=<img src=x onerror=alert(1)>", 5))).toBe("q=<img src=x onerror=alert(1)>");
    expect(dechunk(chunked("a=1&b=2", 3, "\n"))).toBe("a=1&b=2");
    expect(dechunk("4;name=x\r\nWiki\r\nA\r\npedia in c\r\n0\r\nExpires: never\r\n\r\n")).toBe("Wikipedia in c");
    // Multi-byte characters are counted in bytes.
    const pieces = ["name=Zoë", " 東京"];
    expect(dechunk(pieces.map((p) => `${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n`).join("") + "0\r\n\r\n")).toBe("name=Zoë 東京");
  });

  test("sizes padded with leading zeros are read as servers read them, and a body that was no UTF-8 is counted in its bytes", () => {
    expect(dechunk(`${"0".repeat(40)}5\r\nq=' O\r\n0000000000000000000008\r\nR '1'='1\r\n${"0".repeat(30)}\r\n\r\n`)).toBe("q=' OR '1'='1");
    expect(dechunk("1000000000000a\r\nabc\r\n0\r\n\r\n")).toBeNull();
    // Latin-1 bytes (no UTF-8), as bytesToText hands them over: one byte each, not the two of their UTF-8.
    const latin1 = Buffer.from("4\r\nq=\xe9<\r\n8\r\nscript>\xff\r\n0\r\n\r\n", "latin1");
    expect(dechunk(bytesToText(latin1))).toBe(bytesToText(Buffer.from("q=\xe9<script>\xff", "latin1")));
  });

  test("a body that breaks the framing is judged as sent; one cut short keeps what arrived", () => {
    for (const body of ["q=hello", "zz\r\nabc\r\n0\r\n", "3\r\nabcdef\r\n0\r\n"]) expect([body, dechunk(body)]).toEqual([body, null]);
    expect(dechunk("a\r\nabc")).toBe("abc");
    expect(request("q=hello").body).toBe("q=hello");
  });

  test("the raw-HTTP parser joins a chunked body before it is read, and only when chunked is the last coding", async () => {
    expect(request(chunked("q=' OR '1'='1", 4)).body).toBe("q=' OR '1'='1");
    // A bare LF inside a chunk's data counts one byte, as sent.
    expect(request("c\r\nx=\n&id=1 UNI\r\n6\r\nON SEL\r\n0\r\n\r\n").body).toBe("x=\n&id=1 UNION SEL");
    // A file's reader loses a body's line breaks: a block's chunk sizes may have counted them either way.
    const framed = async (lines: string[]) => {
      async function* one() { yield lines.map((text, k) => ({ text, source: "f", line: k + 1, offset: k })); }
      const blocks = [];
      for await (const b of frameRawHttp(one())) blocks.push(...b);
      const parsed = rawHttpParser.parse(blocks[0]!.text, { source: "f" });
      return isParseError(parsed) ? parsed.reason : parsed.body;
    };
    const head = ["POST /post HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", ""];
    expect(await framed([...head, "c", "x=", "&id=1 UNI", "6", "ON SEL", "0", ""])).toBe("x=\n&id=1 UNION SEL");
    expect(await framed([...head, "d", "x=", "&id=1 UNI", "6", "ON SEL", "0", ""])).toBe("x=\r\n&id=1 UNION SEL");
    const body = chunked("q=x", 2);
    expect(request(body, "Transfer-Encoding: chunked, gzip").body).toBe(body);
    expect(request(body, "Content-Type: text/plain").body).toBe(body);
  });

  test("a payload cut across chunks is found", async () => {
    const detector = await Detector.load({});
    const [cut, plain] = await detector.judge([request(chunked("comment=<img src=x onerror=alert(document.cookie)>", 5)), request(chunked("comment=see you tomorrow at the shop", 5))]);
    expect([cut!.isAnomaly, cut!.attackType]).toEqual([true, "xss"]);
    expect(plain!.isAnomaly).toBe(false);
  });
});
