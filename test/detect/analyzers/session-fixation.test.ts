import { describe, expect, test } from "bun:test";
import { sessionFixationAnalyzer, sessionIdFromElsewhere } from "../../../src/detect/analyzers/session-fixation.ts";
import { LeafAnalysis } from "../../../src/detect/analyzers/index.ts";
import { decompose } from "../../../src/decompose/index.ts";
import { isParseError, type HttpRequest } from "../../../src/core/http-request.ts";
import { rawHttpParser } from "../../../src/parse/raw-http.ts";
import { HUGE, leaf, maxStrength, rules, spansValid, wideJunk } from "./helpers.ts";

describe("session fixation analyzer", () => {
  test("script that writes a cookie, and a meta Set-Cookie, are strong", () => {
    const text = `<script>document.cookie="SID=fixed; path=/";</script>`;
    const [f] = sessionFixationAnalyzer.analyze(leaf(text));
    expect(f!.rule).toBe("session.cookie-write");
    expect(text.slice(f!.start, f!.end)).toBe(".cookie=");
    expect(maxStrength(sessionFixationAnalyzer, leaf(`<META HTTP-EQUIV="Set-Cookie" CONTENT="sid=1">`))).toBeGreaterThanOrEqual(0.9);
    expect(rules(sessionFixationAnalyzer, leaf("x.cookie;expires=Thu"))).toEqual(["session.cookie-attributes"]);
  });

  test("a cookie write in bracket form, however quoted or spaced", () => {
    for (const text of [`document['cookie']='sid=1'`, `document [ "cookie" ] = x`, "top.document[`cookie`]=v", `self['document']['cookie']=v`, "document . cookie = 'a=b'"]) {
      expect([text, rules(sessionFixationAnalyzer, leaf(text))]).toEqual([text, ["session.cookie-write"]]);
    }
    // A read, a comparison, and an application's own key named cookie.
    for (const text of [`var c = document['cookie'];`, `if (document["cookie"] === "") {}`, `settings['cookie'] = consent`]) {
      expect([text, sessionFixationAnalyzer.analyze(leaf(text))]).toEqual([text, []]);
    }
  });

  test("reading a cookie, or a cookie comparison, is no finding", () => {
    for (const text of ["var c = document.cookie;", "if (document.cookie == '') {}", "cookie policy", "accept cookies"]) {
      expect([text, sessionFixationAnalyzer.analyze(leaf(text))]).toEqual([text, []]);
    }
  });

  test("a session id in a query or form parameter is only a weak mark; in JSON, none", () => {
    const mark = maxStrength(sessionFixationAnalyzer, leaf("74B0CB414BD7", { name: "jsessionid" }));
    expect(mark).toBeGreaterThan(0);
    expect(mark).toBeLessThan(0.5);
    expect(sessionFixationAnalyzer.analyze(leaf("abc", { name: "sessionId", location: "body", path: "body.json.sessionId" }))).toEqual([]);
    expect(sessionFixationAnalyzer.analyze(leaf("abc", { name: "jsessionid", location: "cookie", path: "cookie.jsessionid" }))).toEqual([]);
  });

  test("a megabyte value and binary junk: a correct answer, no throw", () => {
    expect(sessionFixationAnalyzer.analyze(leaf(HUGE))).toEqual([]);
    expect(rules(sessionFixationAnalyzer, leaf(`${"cookie ".repeat(150_000)}document.cookie = 'a=b'`))).toEqual(["session.cookie-write"]);
    const j = wideJunk();
    expect(spansValid(sessionFixationAnalyzer.analyze(leaf(j)), j)).toBe(true);
  });
});

function request(line: string, headers: string, body = ""): HttpRequest {
  const r = rawHttpParser.parse(`${line} HTTP/1.1\r\n${headers}${body ? `Content-Length: ${body.length}\r\n` : ""}\r\n${body}`, { source: "test" });
  if (isParseError(r)) throw new Error(r.reason);
  return r;
}

/** The request-scope findings, as [leaf path, rule, evidence]. */
function fromElsewhere(req: HttpRequest): [string, string, string][] {
  const { leaves } = decompose(req);
  return sessionIdFromElsewhere(req, leaves).map(({ at, finding }) => [leaves[at]!.path, finding.rule, leaves[at]!.text.slice(finding.start, finding.end)]);
}

describe("a session id handed over by another site", () => {
  test("a session-id parameter with a foreign Referer is strong; the value is the evidence", () => {
    const req = request("GET /login?PHPSESSID=abc123&user=tom", "Host: shop.example\r\nReferer: https://attacker.example/page\r\n");
    expect(fromElsewhere(req)).toEqual([["query.PHPSESSID", "session.id-from-foreign-site", "abc123"]]);
    const [found] = sessionIdFromElsewhere(req, decompose(req).leaves);
    expect(found!.finding.strength).toBeGreaterThanOrEqual(0.9);
  });

  test("a form or a JSON body from a foreign page counts too; a JSON key without a Referer does not", () => {
    const form = request("POST /login", "Host: shop.example\r\nReferer: http://evil.example/\r\nContent-Type: application/x-www-form-urlencoded\r\n", "PHPSESSID=abc&user=tom");
    expect(fromElsewhere(form).map((f) => f[1])).toEqual(["session.id-from-foreign-site"]);
    const json = request("POST /api", "Host: shop.example\r\nReferer: http://evil.example/\r\nContent-Type: application/json\r\n", `{"phpsession":"foo"}`);
    expect(fromElsewhere(json).map((f) => f[1])).toEqual(["session.id-from-foreign-site"]);
    const api = request("POST /api", "Host: shop.example\r\nContent-Type: application/json\r\n", `{"jsessionid":"foo"}`);
    expect(fromElsewhere(api)).toEqual([]);
  });

  test("every framework's name counts, also those with no 'session' in it", () => {
    for (const name of ["meteor_login_token", "shiny-token", "cakephp", "CFTOKEN", "koa:sess", "__Secure-next-auth.session-token"]) {
      expect([name, fromElsewhere(request(`GET /login?${encodeURIComponent(name)}=abc`, "Host: shop.example\r\nReferer: https://evil.test/\r\n")).map((f) => f[1])]).toEqual([name, ["session.id-from-foreign-site"]]);
    }
  });

  test("no Referer at all (a link in a mail) is a weaker finding", () => {
    const req = request("GET /app?jsessionid=74B0CB414BD7", "Host: shop.example\r\n");
    const [found] = sessionIdFromElsewhere(req, decompose(req).leaves);
    expect(found!.finding.rule).toBe("session.id-without-referer");
    expect(found!.finding.strength).toBeLessThan(0.9);
  });

  test("the site's own pages, its subdomains and its port; a request that names no Host; other names", () => {
    for (const referer of ["https://shop.example/cart", "https://www.shop.example/", "http://shop.example:8080/x", "https://SHOP.example/", "https://api.shop.example/"]) {
      expect([referer, fromElsewhere(request("GET /login?jsessionid=abc", `Host: shop.example:443\r\nReferer: ${referer}\r\n`))]).toEqual([referer, []]);
    }
    // Sibling hosts of one domain, also under a two-part suffix; another domain under that suffix is foreign.
    expect(fromElsewhere(request("GET /login?jsessionid=abc", "Host: m.shop.co.uk\r\nReferer: https://www.shop.co.uk/\r\n"))).toEqual([]);
    expect(fromElsewhere(request("GET /login?jsessionid=abc", "Host: m.shop.co.uk\r\nReferer: https://evil.co.uk/\r\n")).map((f) => f[1])).toEqual(["session.id-from-foreign-site"]);
    // A log line without $host cannot tell a foreign Referer from the site's own.
    expect(sessionIdFromElsewhere({ host: "", referer: "https://attacker.example/" }, decompose(request("GET /login?jsessionid=abc", "Host: x\r\n")).leaves)).toEqual([]);
    expect(fromElsewhere(request("GET /search?q=jsessionid&session=1&sid=2", "Host: shop.example\r\nReferer: https://attacker.example/\r\n"))).toEqual([]);
    // An unparsable Referer is as good as none.
    expect(fromElsewhere(request("GET /login?jsessionid=abc", "Host: shop.example\r\nReferer: ::not a url::\r\n")).map((f) => f[1])).toEqual(["session.id-without-referer"]);
  });

  test("an analytics beacon's own session id, sent across sites in a query or JSON, is not a framework's session", () => {
    expect(fromElsewhere(request("GET /speed?sessionId=9f1c&v=2", "Host: rum.example\r\nReferer: https://news.example/\r\n"))).toEqual([]);
    const beacon = request("POST /collect", "Host: mon.example\r\nReferer: https://docs.example/\r\nContent-Type: application/json\r\n", `{"list":[{"common":{"session_id":"ab12"}}]}`);
    expect(fromElsewhere(beacon)).toEqual([]);
  });

  test("LeafAnalysis adds the finding to a copy: the cached findings of the same value stay the request's own", () => {
    const analysis = new LeafAnalysis();
    const foreign = request("GET /login?jsessionid=abc", "Host: shop.example\r\nReferer: https://attacker.example/\r\n");
    const own = request("GET /login?jsessionid=abc", "Host: shop.example\r\nReferer: https://shop.example/\r\n");
    const rulesOf = (req: HttpRequest) => analysis.analyzeRequest(req, decompose(req).leaves).flat().map((f) => f.rule).sort();
    expect(rulesOf(foreign)).toEqual(["session.id-from-foreign-site", "session.id-parameter"]);
    expect(rulesOf(own)).toEqual(["session.id-parameter"]);
    expect(rulesOf(foreign)).toEqual(["session.id-from-foreign-site", "session.id-parameter"]);
  });
});
