import { describe, expect, test } from "bun:test";
import { createJsonParser, parseJsonMapping } from "../../src/parse/json-lines.ts";
import { frameRawHttp, rawHttpParser } from "../../src/parse/raw-http.ts";
import { createParser, detectFormat, FormatDetectionError } from "../../src/parse/formats.ts";
import { isParseError, headerValue, type HttpRequest, type ParseResult } from "../../src/core/http-request.ts";
import type { SourceLine } from "../../src/core/source-line.ts";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { readRequests } from "../../src/ingest/read.ts";
import { Rejections } from "../../src/parse/rejections.ts";
import { tempDir } from "../helpers/tmp.ts";

const origin = { source: "test" };
function ok(r: ParseResult): HttpRequest {
  if (isParseError(r)) throw new Error(r.reason);
  return r;
}

describe("JSON lines", () => {
  const json = createJsonParser();
  test("default mapping of common nginx JSON keys", () => {
    const r = ok(json.parse('{"time":"2026-11-24T11:54:54+00:00","remote_addr":"1.2.3.4","method":"POST","uri":"/login?next=%2F","protocol":"HTTP/1.1","status":302,"body_bytes_sent":0,"request_time":0.010,"host":"h","referer":"","user_agent":"UA","cookie":"sid=abc; t=1","content_type":"application/x-www-form-urlencoded","request_length":400,"request_body":"user=a&pw=%27"}', origin));
    expect(r).toMatchObject({ clientIp: "1.2.3.4", method: "POST", path: "/login", query: "next=%2F", status: 302, host: "h", userAgent: "UA", body: "user=a&pw=%27" });
    expect(r.cookies).toEqual([{ name: "sid", value: "abc" }, { name: "t", value: "1" }]);
    expect(r.params.map((p) => p.value)).toEqual(["/", "a", "'"]);
    expect(r.extra).toEqual({ request_length: "400" });
  });
  test("uri is $uri when args are logged separately; epoch times", () => {
    const r = ok(json.parse('{"ts":1764000000123,"uri":"/a","args":"x=1","method":"GET"}', origin));
    expect(r.path).toBe("/a");
    expect(r.query).toBe("x=1");
    expect(r.time).toBe(1764000000123);
  });
  test("configurable mapping for nested layouts", () => {
    const p = createJsonParser(parseJsonMapping("request_uri=req.url,request_method=req.verb,remote_addr=client.ip"));
    const r = ok(p.parse('{"req":{"url":"/n?q=1","verb":"GET"},"client":{"ip":"9.9.9.9"}}', origin));
    expect(r).toMatchObject({ method: "GET", path: "/n", query: "q=1", clientIp: "9.9.9.9" });
    expect(() => parseJsonMapping("oops")).toThrow(/variable=key/);
  });
  test("typed errors for bad JSON and for objects with no request", () => {
    expect((json.parse("{not json", origin) as { reason: string }).reason).toMatch(/not valid JSON/);
    expect((json.parse("[1,2]", origin) as { reason: string }).reason).toMatch(/JSON object/);
    expect((json.parse('{"a":1}', origin) as { reason: string }).reason).toMatch(/no request fields/);
  });
  test("a line nested too deep is a counted rejection with its reason, and reading goes on", async () => {
    const dir = tempDir();
    const deep = `{"uri":"/a","method":"GET","x":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    writeFileSync(join(dir, "deep.json"), ['{"uri":"/before","method":"GET"}', deep, '{"uri":"/after","method":"GET"}'].join("\n") + "\n");
    const rejections = new Rejections();
    const paths: string[] = [];
    for await (const batch of readRequests([join(dir, "deep.json")], { format: "json" }, rejections)) paths.push(...batch.map((r) => r.path));
    expect(paths).toEqual(["/before", "/after"]);
    expect(rejections.total).toBe(1);
    expect([...rejections.bySource.values()][0]!.samples[0]).toMatchObject({ line: 2, reason: "JSON nested deeper than 64 levels" });
  });
});

async function collect(lines: string[]): Promise<SourceLine[]> {
  const batch: SourceLine[] = lines.map((text, i) => ({ text, source: "f", line: i + 1, offset: i * 10 }));
  async function* one() { yield batch; }
  const out: SourceLine[] = [];
  for await (const b of frameRawHttp(one())) out.push(...b);
  return out;
}

describe("raw HTTP", () => {
  test("frames requests back to back, using Content-Length for bodies", async () => {
    const blocks = await collect([
      "GET http://localhost:8080/a?x=1 HTTP/1.1", "Host: localhost:8080", "Cookie: s=1", "", "",
      "POST /login HTTP/1.1", "Content-Type: application/x-www-form-urlencoded", "Content-Length: 9", "", "u=a&p=%27", "",
      "GET /b HTTP/1.0", "",
    ]);
    expect(blocks.map((b) => b.line)).toEqual([1, 6, 12]);
    const [get, post, last] = blocks.map((b) => ok(rawHttpParser.parse(b.text, origin)));
    expect(get).toMatchObject({ method: "GET", path: "/a", query: "x=1", host: "localhost:8080", body: null });
    expect(get!.cookies).toEqual([{ name: "s", value: "1" }]);
    expect(post).toMatchObject({ method: "POST", path: "/login", body: "u=a&p=%27" });
    expect(post!.params.map((p) => [p.name, p.value, p.location])).toEqual([["u", "a", "body"], ["p", "'", "body"]]);
    expect(headerValue(post!, "Content-Length")).toBe("9");
    expect(last).toMatchObject({ method: "GET", path: "/b", protocol: "HTTP/1.0" });
  });
  test("a body without Content-Length runs to the next request; multi-line bodies kept", async () => {
    const blocks = await collect(["POST /x HTTP/1.1", "Content-Type: text/xml", "", "<a>", "</a>", "GET /y HTTP/1.1", ""]);
    expect(blocks).toHaveLength(2);
    expect(ok(rawHttpParser.parse(blocks[0]!.text, origin)).body).toBe("<a>\r\n</a>");
  });
  test("a request given whole (the check API, a corpus) keeps its body's bytes: a bare LF is no line break to make CRLF", () => {
    // A protobuf message: field 1's key is the byte 0x0A.
    const message = "\x0a\x09admin' --\x10\x01";
    const parsed = ok(rawHttpParser.parse(`POST /x HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-protobuf\r\n\r\n${message}`, origin));
    expect(parsed.body).toBe(message);
    expect(ok(rawHttpParser.parse("POST /x HTTP/1.1\nHost: a\n\nline one\nline two\r\nthree", origin)).body).toBe("line one\nline two\r\nthree");
  });
  test("stray text is rejected with a reason", async () => {
    const [block] = await collect(["hello world", ""]);
    const r = rawHttpParser.parse(block!.text, origin);
    expect(isParseError(r) && r.reason).toMatch(/not an HTTP request line/);
    const bad = rawHttpParser.parse("GET / HTTP/1.1\nno colon here", origin);
    expect(isParseError(bad) && bad.reason).toMatch(/not a header/);
  });
});

describe("detection", () => {
  const combinedLine = '1.2.3.4 - - [24/Nov/2026:11:54:54 +0000] "GET / HTTP/1.1" 200 3 "-" "ua"';
  test("picks the format that parses the first lines", () => {
    expect(detectFormat([combinedLine, combinedLine], "f").name).toBe("combined");
    expect(detectFormat(['{"uri":"/","method":"GET"}'], "f").name).toBe("json");
    expect(detectFormat(['1.2.3.4 - - [24/Nov/2026:11:54:54 +0000] "GET / HTTP/1.1" 200 -'], "f").name).toBe("apache");
    expect(detectFormat(["GET /a HTTP/1.1", "Host: x", ""], "f").name).toBe("raw-http");
  });
  test("apache's backslash-escaped quotes", () => {
    const r = ok(createParser({ format: "apache" }).parse('1.2.3.4 - - [24/Nov/2026:11:54:54 +0000] "GET /\\"x HTTP/1.1" 200 - "-" "a \\"b\\""', origin));
    expect(r).toMatchObject({ path: '/"x', userAgent: 'a "b"', bytesSent: null });
  });
  test("names the formats it tried and shows the first line", () => {
    try {
      detectFormat(["what is this", "no idea"], "mystery.log");
      throw new Error("should have failed");
    } catch (e) {
      expect(e).toBeInstanceOf(FormatDetectionError);
      expect((e as Error).message).toContain("tried json, combined, main, vhost-combined, apache, raw-http");
      expect((e as Error).message).toContain('"what is this"');
    }
  });
  test("nginx format needs --log-format", () => {
    expect(() => createParser({ format: "nginx" })).toThrow(/--log-format/);
  });
});
