import { describe, expect, test } from "bun:test";
import { addXmlLeaves, expandEntities, findDoctype, internalEntities, processingInstructions } from "../../../src/decompose/body/xml.ts";
import { leafAt, sink } from "../fixtures.ts";

const SOAP_XXE = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE foo [ <!ELEMENT foo ANY> <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<?xml-stylesheet type="text/xsl" href="http://evil.example/x.xsl"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body>
    <login user-type="admin' --"><user>&xxe;</user><pass><![CDATA[<script>alert(1)</script>]]></pass></login>
  </soap:Body>
</soap:Envelope>`;

describe("XML", () => {
  test("a document that declares UTF-7 is read as its parser reads it: its DOCTYPE and elements are leaves", () => {
    const s = sink();
    const utf7 = '<?xml version="1.0" encoding="UTF-7"?>+ADwAIQ-DOCTYPE r +AFs-+ADwAIQ-ENTITY x SYSTEM +ACI-file:///etc/passwd+ACI-+AD4-+AF0-+AD4-+ADw-r+AD4-+ACY-x+ADs-+ADw-/r+AD4-';
    expect(addXmlLeaves(s, utf7)).toBe("ok");
    expect(leafAt(s.leaves, "body.xml.doctype", "xml-doctype").text).toBe('<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>');
    expect(leafAt(s.leaves, "body.xml.r", "value").text).toBe("&x;");
    // Without the declaration a `+` run is text.
    const plain = sink();
    addXmlLeaves(plain, "<r>C+AD4-x</r>");
    expect(leafAt(plain.leaves, "body.xml.r", "value").text).toBe("C+AD4-x");
  });

  test("a SOAP envelope with a DOCTYPE ENTITY: the DOCTYPE whole, the PI, text, CDATA and attributes", () => {
    const s = sink();
    expect(addXmlLeaves(s, SOAP_XXE)).toBe("ok");
    expect(leafAt(s.leaves, "body.xml.doctype", "xml-doctype").text).toBe('<!DOCTYPE foo [ <!ELEMENT foo ANY> <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>');
    expect(leafAt(s.leaves, "body.xml.pi", "xml-pi")).toMatchObject({ name: "xml-stylesheet", text: '<?xml-stylesheet type="text/xsl" href="http://evil.example/x.xsl"?>' });
    // the entity is never resolved: the reference stays as written
    expect(leafAt(s.leaves, "body.xml.soap:Envelope.soap:Body.login.user")).toMatchObject({ name: "user", text: "&xxe;", kind: "value" });
    expect(leafAt(s.leaves, "body.xml.soap:Envelope.soap:Body.login.pass").text).toBe("<script>alert(1)</script>");
    expect(leafAt(s.leaves, "body.xml.soap:Envelope.soap:Body.login@user-type")).toMatchObject({ name: "user-type", text: "admin' --" });
    expect(s.leaves.some((l) => l.kind === "key")).toBe(false); // soap:Envelope, user-type are plain names
  });

  test("a value naming internal entities the DOCTYPE declares is read with them expanded too, as the application's parser hands it over", () => {
    const s = sink();
    const doc = `<!DOCTYPE r [<!ENTITY a "1' UNI"><!ENTITY b 'ON SELECT &c; FROM users--'><!ENTITY c "password"><!ENTITY x SYSTEM "file:///etc/passwd"><!ENTITY % p "ignored">]><r k="&a;&b;"><q>&a;&b;</q><z>&x;&p;&lt;</z></r>`;
    expect(addXmlLeaves(s, doc)).toBe("ok");
    const at = (path: string) => s.leaves.filter((l) => l.path === path).map((l) => l.text);
    expect(at("body.xml.r.q")).toEqual(["&a;&b;", "1' UNION SELECT password FROM users--"]);
    expect(at("body.xml.r@k")).toEqual(["&a;&b;", "1' UNION SELECT password FROM users--"]);
    // External and parameter entities are never expanded (nothing is fetched); nor are the predefined ones here (the sink decodes them).
    expect(at("body.xml.r.z")).toEqual(["&x;&p;&lt;"]);
    expect([...internalEntities(`<!DOCTYPE r [<!ENTITY a "one"><!ENTITY a "two">]>`)]).toEqual([["a", "one"]]);
  });

  test("a billion laughs expands no further than its bound, and a cycle ends", () => {
    const decls = ['<!ENTITY l0 "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`)].join("");
    const expanded = expandEntities("&l9;", internalEntities(`<!DOCTYPE r [${decls}]>`))!;
    expect(expanded.length).toBeLessThanOrEqual(1 << 16);
    expect(expanded.startsWith("&l1;") || expanded.startsWith("lol")).toBe(true);
    expect([null, "&b;"]).toContain(expandEntities("&a;", internalEntities(`<!DOCTYPE r [<!ENTITY a "&b;"><!ENTITY b "&a;">]>`)));
    expect(expandEntities("no references", internalEntities(`<!DOCTYPE r [<!ENTITY a "x">]>`))).toBeNull();
    // A thousand elements that each name it share the document's one budget, flagged once spent.
    const s = sink();
    addXmlLeaves(s, `<!DOCTYPE r [${decls}]><r>${"<a>&l9;</a>".repeat(1000)}</r>`);
    expect(s.leaves.reduce((n, l) => n + l.text.length, 0)).toBeLessThan(2 * (1 << 16));
    expect(s.flags).toContain("too-deep");
  });

  test("element names that are not plain words are key leaves", () => {
    const s = sink();
    addXmlLeaves(s, "<a><b$x>1</b$x></a>");
    expect(leafAt(s.leaves, "body.xml.a.b$x", "key").text).toBe("b$x");
  });

  test("the DOCTYPE scan honours quotes and the internal subset; an unclosed one runs to the end", () => {
    const x = `<!DOCTYPE a [<!ENTITY e "x>y">]><a/>`;
    expect(findDoctype(x)).toEqual([0, x.indexOf("<a/>")]);
    expect(findDoctype("<!DOCTYPE a [ <!ENTITY")).toEqual([0, 22]);
    expect(findDoctype("<a/>")).toBeNull();
    expect(processingInstructions('<?xml version="1.0"?><?php system($_GET[1]); ?>')).toEqual([{ target: "php", text: "<?php system($_GET[1]); ?>" }]);
  });

  test("an element's text nodes are one value: CDATA sections and text around comments and children, joined as sent", () => {
    const s = sink();
    expect(addXmlLeaves(s, "<r><q><![CDATA[1' UNION ]]><![CDATA[SELECT password FROM users--]]></q><p>a <b>x</b> b</p>\n  <c> y </c>\n</r>")).toBe("ok");
    expect(leafAt(s.leaves, "body.xml.r.q").text).toBe("1' UNION SELECT password FROM users--");
    expect(leafAt(s.leaves, "body.xml.r.p").text).toBe("a  b");
    expect(leafAt(s.leaves, "body.xml.r.c").text).toBe("y");
    // With more than one node, each is also a value, as an application reading the first node alone sees it.
    expect(s.leaves.filter((l) => l.path === "body.xml.r.p").map((l) => l.text)).toEqual(["a  b", "a", "b"]);
    expect(s.leaves.filter((l) => l.path === "body.xml.r.c")).toHaveLength(1);
    // A comment between two texts leaves them two nodes, as a DOM has them.
    const commented = sink();
    addXmlLeaves(commented, "<a><q>127.0.0.1;whoami<!---->x</q></a>");
    expect(commented.leaves.filter((l) => l.path === "body.xml.a.q").map((l) => l.text)).toEqual(["127.0.0.1;whoamix", "127.0.0.1;whoami", "x"]);
    // The blanks between elements are no value.
    expect(s.leaves.some((l) => l.path === "body.xml.r" && l.kind === "value")).toBe(false);
  });

  test("a line break right before an element's text is kept (a header injected where the value goes); indentation is not", () => {
    const s = sink();
    expect(addXmlLeaves(s, "<r><id>\r\nLocation: http://198.51.100.7/</id><note>\n    hello\n  </note><t>  \nX-A: 1 </t></r>")).toBe("ok");
    // An XML parser reads CR LF as LF, as the application gets it.
    expect(leafAt(s.leaves, "body.xml.r.id").text).toMatch(/^\r?\nLocation: http:\/\/198\.51\.100\.7\/$/);
    expect(leafAt(s.leaves, "body.xml.r.note").text).toBe("hello");
    expect(leafAt(s.leaves, "body.xml.r.t").text).toBe("\nX-A: 1");
  });

  test("nesting past the limit is too-deep; non-XML is unparsed", () => {
    expect(addXmlLeaves(sink({ limits: { maxDepth: 32 } }), `${"<a>".repeat(40)}x${"</a>".repeat(40)}`)).toBe("too-deep");
    expect(addXmlLeaves(sink(), "not xml at all")).toBe("unparsed");
    // Markup the parser reads only by dropping parts of it.
    for (const v of ["<img src=x onerror=alert(1)>", "<r>a</r>more", "<p>a<br>b</p>"]) expect(addXmlLeaves(sink(), v)).toBe("lenient");
    // Text after a self-closing root: the validator accepts it, the parser drops it.
    expect(addXmlLeaves(sink(), "<a/>' UNION SELECT username,password FROM users--")).toBe("lenient");
    // Blanks before the declaration are no part dropped.
    expect(addXmlLeaves(sink(), '\n  <?xml version="1.0"?><r>a</r>')).toBe("ok");
  });
});
