import { describe, expect, test } from "bun:test";
import { compileLogFormat, COMBINED_FORMAT, readLogFormat, tokenize } from "../../src/parse/log-format.ts";
import { isParseError, type HttpRequest, type ParseError } from "../../src/core/http-request.ts";

const origin = { source: "test", line: 1, offset: 0 };
const combined = compileLogFormat({ name: "combined", format: COMBINED_FORMAT });

function ok(r: ReturnType<typeof combined.parse>): HttpRequest {
  if (isParseError(r)) throw new Error(r.reason);
  return r;
}

describe("combined", () => {
  test("parses every field", () => {
    const r = ok(combined.parse('10.1.2.3 - bob [24/Nov/2026:11:54:54 +0100] "POST /p/a.php?x=1&x=%3Cb%3E HTTP/1.1" 201 512 "https://ref.example/" "curl/8.0 \\x22q\\x22"', origin));
    expect(r).toMatchObject({
      clientIp: "10.1.2.3", method: "POST", path: "/p/a.php", query: "x=1&x=%3Cb%3E", protocol: "HTTP/1.1",
      status: 201, bytesSent: 512, referer: "https://ref.example/", userAgent: 'curl/8.0 "q"', origin,
    });
    expect(r.time).toBe(Date.UTC(2026, 10, 24, 10, 54, 54));
    expect(r.params.map((p) => p.value)).toEqual(["1", "<b>"]);
    expect(r.extra).toEqual({});
  });

  test("keeps nginx's 400 lines for broken requests", () => {
    const r = ok(combined.parse('1.1.1.1 - - [24/Nov/2026:11:54:54 +0000] "\\x16\\x03\\x01\\x00" 400 157 "-" "-"', origin));
    expect(r.status).toBe(400);
    expect(r.method).toBe("");
    expect(r.path).toBe("\u0016\u0003\u0001\u0000");
    const empty = ok(combined.parse('1.1.1.1 - - [24/Nov/2026:11:54:54 +0000] "-" 400 0 "-" "-"', origin));
    expect(empty.path).toBe("");
  });

  test("says where and what it expected when a line does not match", () => {
    const r = combined.parse('1.2.3.4 - - [24/Nov/2026:11:54:54 +0000] "GET / HTTP/1.1" abc 3 "-" "-"', origin) as ParseError;
    expect(isParseError(r)).toBe(true);
    expect(r.column).toBe(58);
    expect(r.expected).toContain("$status");
    expect(r.reason).toContain("column 58");
    const tail = combined.parse('1.2.3.4 - - [24/Nov/2026:11:54:54 +0000] "GET / HTTP/1.1" 200 3 "-" "-" extra', origin) as ParseError;
    expect(tail.reason).toContain("after the last field");
  });
});

describe("custom log_format", () => {
  test("reads the nginx.conf fragment with escape= and several quoted pieces", () => {
    const spec = `escape=json '{"t":"$time_iso8601",' '"u":"$request_uri","s":$status}';`;
    expect(readLogFormat(spec)).toEqual({ format: '{"t":"$time_iso8601","u":"$request_uri","s":$status}', escape: "json" });
  });

  test("escape=json values with quotes and backslashes", () => {
    const p = compileLogFormat({ name: "nginx", format: '{"t":"$time_iso8601","m":"$request_method","u":"$request_uri","ua":"$http_user_agent","s":$status,"rt":$request_time,"b":"$request_body","ct":"$content_type"}', escape: "json" });
    const r = p.parse('{"t":"2026-11-24T11:54:54+00:00","m":"POST","u":"/a?q=%22","ua":"x \\"y\\" \\\\z","s":200,"rt":0.012,"b":"a=1&b=%27","ct":"application/x-www-form-urlencoded"}', origin);
    if (isParseError(r)) throw new Error(r.reason);
    expect(r.userAgent).toBe('x "y" \\z');
    expect(r.requestTime).toBe(0.012);
    expect(r.body).toBe("a=1&b=%27");
    expect(r.params.map((x) => [x.name, x.value, x.location])).toEqual([["q", '"', "query"], ["a", "1", "body"], ["b", "'", "body"]]);
    expect(r.time).toBe(Date.UTC(2026, 10, 24, 11, 54, 54));
  });

  test("a field holding a line separator or a lone CR (nginx writes them as they are under escape=json and none) is still read: the request is judged, not rejected", () => {
    const json = compileLogFormat({ name: "nginx", format: '{"ip":"$remote_addr","user":"$remote_user","r":"$request","s":$status,"ua":"$http_user_agent"}', escape: "json" });
    const r = json.parse(`{"ip":"203.0.113.9","user":"\u2028","r":"GET /?q=1%27%20or%201=1-- HTTP/1.1","s":200,"ua":"x"}`, origin);
    if (isParseError(r)) throw new Error(r.reason);
    expect(r.query).toBe("q=1%27%20or%201=1--");
    const none = compileLogFormat({ name: "nginx", format: '$remote_addr $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"', escape: "none" });
    for (const ua of ["a\u2028b", "a\rb", "a\u2029b"]) {
      const n = none.parse(`203.0.113.9 ${ua} [24/Nov/2026:11:54:54 +0000] "GET /?q=x HTTP/1.1" 200 5 "-" "${ua}"`, origin);
      if (isParseError(n)) throw new Error(`${JSON.stringify(ua)}: ${n.reason}`);
      expect(n.userAgent).toBe(ua);
    }
  });

  test("$host, $request_time, X-Forwarded-For, unknown variables go to extra", () => {
    const p = compileLogFormat({ name: "nginx", format: '$remote_addr $host [$time_local] "$request" $status $body_bytes_sent $request_time "$http_x_forwarded_for" $upstream_addr ${msec}' });
    const r = p.parse('::1 shop.example [01/Jan/2026:00:00:00 -0200] "GET /x HTTP/2.0" 404 0 0.001 "203.0.113.9, 10.0.0.1" 127.0.0.1:8080 1767232800.5', origin);
    if (isParseError(r)) throw new Error(r.reason);
    expect(r).toMatchObject({ clientIp: "::1", host: "shop.example", status: 404, requestTime: 0.001, protocol: "HTTP/2.0" });
    expect(r.headers).toContainEqual(["x-forwarded-for", "203.0.113.9, 10.0.0.1"]);
    expect(r.extra).toEqual({ upstream_addr: "127.0.0.1:8080" });
    expect(r.time).toBe(Date.UTC(2026, 0, 1, 2, 0, 0));
  });

  test("explain gives spans of each variable", () => {
    const e = combined.explain('1.2.3.4 - - [24/Nov/2026:11:54:54 +0000] "GET / HTTP/1.1" 200 3 "-" "ua"', origin);
    expect(e.fields.find((f) => f.name === "$status")).toEqual({ name: "$status", raw: "200", value: "200", start: 58, end: 61 });
  });

  test("tokenize handles ${var} and rejects formats without variables", () => {
    expect(tokenize("a${b}c$d")).toEqual([{ kind: "literal", text: "a" }, { kind: "var", name: "b" }, { kind: "literal", text: "c" }, { kind: "var", name: "d" }]);
    expect(() => compileLogFormat({ name: "x", format: "no vars" })).toThrow(/no \$variables/);
  });
});
