import { describe, expect, test } from "bun:test";
import { sessionFixationAnalyzer } from "../../../src/detect/analyzers/session-fixation.ts";
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
