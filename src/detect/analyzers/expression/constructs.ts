/**
 * Where template and expression-language code sits in a value: between the delimiters of each engine
 * (`{{ }}`, `{% %}`, `${ }`, `#{ }`, `*{ }`, `%{ }`, `<% %>`, `[[ ]]`, `@( )`), after a directive that
 * takes an expression (Velocity `#set(`, SpEL `T(`), or in syntax only one engine has (Freemarker
 * `?new()`, OGNL `#_memberAccess` and `@class@member`, Smarty `{php}` and `{$smarty.version}`).
 * Each opener is found with indexOf and the scan resumes after its close, so every pass is linear.
 */
import { judgeContent } from "./content.ts";
import { isAsciiLetter } from "../text.ts";

export interface ExpressionHit {
  construct: string;
  strength: number;
  start: number;
  end: number;
}

/** Index of the `close` matching an `open` just before i (nesting counted), or -1. */
function matchingClose(s: string, i: number, open: string, close: string): number {
  let depth = 1;
  for (let k = i; k < s.length; k++) {
    const c = s[k];
    if (c === open) depth++;
    else if (c === close && --depth === 0) return k;
  }
  return -1;
}

/**
 * Two-character marks that every construct needs one of, as bits: one pass over the value finds which
 * are present, and only their constructs are searched for (most values have none; one search per
 * construct would read the value a dozen times).
 */
const MUSTACHE = 1 << 0, STATEMENT = 1 << 1, DOLLAR = 1 << 2, HASH = 1 << 3, SELECTION = 1 << 4, OGNL = 1 << 5;
const SCRIPTLET = 1 << 6, INLINE = 1 << 7, RAZOR = 1 << 8, VELOCITY = 1 << 9, PERL = 1 << 10, TYPE = 1 << 11;
const NEW = 1 << 12, ASSIGN = 1 << 13, MEMBER_ACCESS = 1 << 14, STATIC_MEMBER = 1 << 15, PHP = 1 << 16, SMARTY = 1 << 17;
const REFERENCE = 1 << 18;

const SPACE = /\s/;

/**
 * Whether FreeMarker's `?new` or `?api` (NEW's constructs) may follow a `?` ending at `at`: an `n`, an
 * `a`, or a blank (`? new()`). A URL's query opens with a `?` too, and would run their searches for nothing.
 */
function mayCallBuiltIn(s: string, at: number): boolean {
  const c = s.charCodeAt(at);
  return c === 110 || c === 97 || ((c <= 32 || c >= 0xa0) && SPACE.test(s.charAt(at)));
}

/** The marks of the constructs below present in s: a character and the one before it. */
function marksOf(s: string): number {
  let marks = 0;
  let prev = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 63 /* ? */ && mayCallBuiltIn(s, i + 1)) marks |= NEW;
    switch (prev) {
      case 123 /* { */:
        if (c === 123) marks |= MUSTACHE;
        else if (c === 37) marks |= STATEMENT;
        else if (c === 112 || c === 80 || c === 47) marks |= PHP;
        else if (c === 36 || c === 109 || c === 77 || c === 102 || c === 70 || c === 105 || c === 73) marks |= SMARTY;
        break;
      case 36 /* $ */:
        if (c === 123) marks |= DOLLAR;
        else if (c === 33 || isAsciiLetter(c)) marks |= REFERENCE;
        break;
      case 35 /* # */:
        if (c === 123) marks |= HASH;
        else if (c === 115) marks |= VELOCITY;
        else if (c === 95 || c === 99 || c === 67) marks |= MEMBER_ACCESS;
        break;
      case 42 /* * */:
        if (c === 123) marks |= SELECTION;
        break;
      case 37 /* % */:
        if (c === 123) marks |= OGNL;
        break;
      case 60 /* < */:
        if (c === 37) marks |= SCRIPTLET;
        else if (c === 35) marks |= ASSIGN;
        break;
      case 91 /* [ */:
        if (c === 91) marks |= INLINE;
        else if (c === 35) marks |= ASSIGN;
        break;
      case 64 /* @ */:
        if (c === 40) marks |= RAZOR;
        else if (c === 123) marks |= PERL;
        else if (isAsciiLetter(c)) marks |= STATIC_MEMBER | MEMBER_ACCESS;
        break;
      case 84 /* T */:
        if (c === 40) marks |= TYPE;
        break;
    }
    prev = c;
  }
  return marks;
}

interface Delimiter {
  open: string;
  /** A fixed closing string, or the closing bracket of the opener's last character (counted). */
  close: string;
  construct: string;
  nested: boolean;
  /** The mark its opener sets. */
  mark: number;
  /** Characters right after the opener that are syntax, not content: `<%=`, Mako's `<%!`, doT's `{{=`, Handlebars' `{{~`, Jinja's `{%-`. */
  outputSigns?: string;
  /** Characters right before the close that are syntax: whitespace control, Handlebars' `~}}`, EJS's `-%>`. */
  closeSigns?: string;
}

const DELIMITERS: Delimiter[] = [
  { open: "{{", close: "}}", construct: "mustache", nested: false, mark: MUSTACHE, outputSigns: "=~-", closeSigns: "~-" },
  { open: "{%", close: "%}", construct: "template-statement", nested: false, mark: STATEMENT, outputSigns: "-~+", closeSigns: "-~+" },
  { open: "${", close: "}", construct: "dollar-expression", nested: true, mark: DOLLAR },
  { open: "#{", close: "}", construct: "hash-expression", nested: true, mark: HASH },
  { open: "*{", close: "}", construct: "selection-expression", nested: true, mark: SELECTION },
  { open: "%{", close: "}", construct: "ognl-expression", nested: true, mark: OGNL },
  { open: "<%", close: "%>", construct: "scriptlet", nested: false, mark: SCRIPTLET, outputSigns: "=-#!_", closeSigns: "-_" },
  { open: "[[", close: "]]", construct: "inline-expression", nested: false, mark: INLINE },
  { open: "@(", close: ")", construct: "razor-expression", nested: true, mark: RAZOR },
  { open: "#set(", close: ")", construct: "velocity-set", nested: true, mark: VELOCITY },
  { open: "#set (", close: ")", construct: "velocity-set", nested: true, mark: VELOCITY },
  // Perl runs the list inside `@{[ ]}` when it interpolates a string: `"@{[ system 'id' ]}"`.
  { open: "@{[", close: "]}", construct: "perl-interpolation", nested: false, mark: PERL },
];

/** Perl's `@{[ ]}` exists only to run code inside a string: any expression in it is code. */
const PERL_CODE = 0.8;

const isSign = (s: string, i: number, signs: string | undefined) => signs !== undefined && i < s.length && signs.includes(s[i]!);

/** Where a construct's content starts and ends: after its output sign, before its closing sign; to the end when it has no close. */
function contentSpan(s: string, d: Delimiter, from: number, closeAt: number): [number, number] {
  const start = isSign(s, from, d.outputSigns) ? from + 1 : from;
  if (closeAt === -1) return [start, s.length];
  return [start, closeAt - 1 > start && isSign(s, closeAt - 1, d.closeSigns) ? closeAt - 1 : closeAt];
}

function delimitedHits(s: string, d: Delimiter, out: ExpressionHit[]): void {
  let i = s.indexOf(d.open);
  while (i !== -1) {
    const from = i + d.open.length;
    const closeAt = d.nested ? matchingClose(s, from, d.open[d.open.length - 1]!, d.close) : s.indexOf(d.close, from);
    // No close: nothing later closes either, so this is the last one; judge it to the end.
    const [contentFrom, to] = contentSpan(s, d, from, closeAt);
    const found = judgeContent(s, contentFrom, to);
    const end = closeAt === -1 ? s.length : closeAt + d.close.length;
    const verdict = found?.wholeOnly && s.trim().length !== end - i ? null : found;
    if (verdict) out.push({ construct: `${d.construct}-${verdict.construct}`, strength: closeAt === -1 ? verdict.strength - 0.1 : verdict.strength, start: i, end });
    else if (d.construct === "velocity-set" && closeAt !== -1) out.push({ construct: "velocity-set", strength: 0.55, start: i, end });
    if (d.construct === "perl-interpolation" && /[A-Za-z]/.test(s.slice(contentFrom, Math.min(to, contentFrom + 256)))) {
      out.push({ construct: "perl-interpolation", strength: closeAt === -1 ? PERL_CODE - 0.1 : PERL_CODE, start: i, end });
    }
    if (closeAt === -1) return;
    i = s.indexOf(d.open, end);
  }
}

/** SpEL's type operator on a class name: `T(java.lang.Runtime)`. */
function typeOperatorHits(s: string, out: ExpressionHit[]): void {
  let i = s.indexOf("T(");
  while (i !== -1) {
    const glued = i > 0 && (/[\w$.]/.test(s[i - 1]!) || s.charCodeAt(i - 1) > 0x7f);
    // The operand can only be a class name: read name characters (no `(`, so reads never overlap).
    let close = i + 2;
    while (close < s.length && /[\w$.\s]/.test(s[close]!)) close++;
    if (!glued && s[close] === ")" && /^\s*[A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*){2,}\s*$/.test(s.slice(i + 2, close))) {
      out.push({ construct: "spel-type", strength: 0.9, start: i, end: close + 1 });
    }
    i = s.indexOf("T(", i + 2);
  }
}

/** Syntax only one engine has, each proof on its own. */
const SIGNATURES: [RegExp, string, number, number][] = [
  // Freemarker builds an object from a class name: `"freemarker.template.utility.Execute"?new()`.
  [/\?\s*new\s*\(\s*\)/g, "freemarker-new", 0.9, NEW],
  [/[<[]#assign\b/gi, "freemarker-assign", 0.6, ASSIGN],
  // FreeMarker's `?api` walked to the class loader (`object?api.class.protectionDomain.classLoader`):
  // the way out of its sandbox to any class.
  [/\?api\.(?:class|getClass\s*\(\s*\))\.(?:protectionDomain|getProtectionDomain|classLoader|getClassLoader|forName)\b/g, "freemarker-api-escape", 0.9, NEW],
  // OGNL: the member-access switch Struts exploits, and static members `@java.lang.Runtime@getRuntime()`.
  [/#_memberAccess|@ognl\.OgnlContext@|#context\s*\[\s*['"]xwork/gi, "ognl-member-access", 0.95, MEMBER_ACCESS],
  // OGNL's context map read for the request or response objects (`#context.get('com.opensymphony…')`,
  // `#resp=#context['…']`, Struts' S2-016 after `redirect:`): a CSS id (`#context .item`,
  // `#context[data-role=main]`) is no call and holds no quoted key.
  [/#context[ \t]*(?:\.[ \t]*get[ \t]*\(|\[[ \t]*['"])/gi, "ognl-context", 0.9, MEMBER_ACCESS],
  // Velocity's reference walked to Java's reflection (`$request.getClass().getClassLoader()`,
  // `$x.class.forName(...)`): the way from a template's object to any class. Prose naming a method
  // (`use $obj.getClass()`) goes no further.
  [/\$!?\{?[A-Za-z_]\w{0,40}(?:[ \t]*\.[ \t]*[A-Za-z_]\w{0,40}(?:[ \t]*\([^()]{0,64}\))?){0,8}?[ \t]*\.[ \t]*(?:getClass[ \t]*\([ \t]*\)|class)[ \t]*\.[ \t]*(?:forName|getClassLoader|classLoader|getMethods?|getDeclaredMethods?|getDeclaredFields?|getConstructors?|newInstance|getProtectionDomain|getResource)\b/g, "velocity-reflection", 0.9, REFERENCE],
  // Thymeleaf's preprocessing in a view name or fragment selector (`__${…}__::.x`, `__|$${…}|__::`):
  // the expression runs while the view is resolved (Spring view manipulation).
  [/__[ \t]{0,8}(?:\|[ \t]{0,8})?\$\$?\{[^{}]{1,200}\}[ \t]{0,8}(?:\|[ \t]{0,8})?__[ \t]{0,8}(?:::|\.)/g, "thymeleaf-preprocess", 0.9, DOLLAR],
  // FreeMarker's special variables, which only a template reads: the data model, the globals, the
  // namespaces (`${.data_model?keys}`, `${.vars}`): what a scan reads to learn the engine and its objects.
  // A directive reads them too (`<#list .data_model?keys as k>`, `[#list .vars ...]`).
  [/(?:\$\{\s*|[<[]#(?:list|assign|if|local|global|attempt)\b[^>\]"']{0,64}?)(?<![\w)\]])\.(?:data_model|globals|main|namespace|vars|locals|current_template_name|main_template_name|template_name|api_builtin_enabled)\b/g, "freemarker-special-variable", 0.85, DOLLAR | ASSIGN],
  // Django's tags that print what the page was given: `{% debug %}` the whole context and settings,
  // `{% get_admin_log %}` the admin's log entries with their users (and from them, hashes). A template
  // saved whole may show `{% debug %}` in its own debug block: alone it is the probe, inside more, weak.
  [/^\s*\{%-?[ \t]*debug[ \t]*-?%\}\s*$|\{%-?[ \t]*get_admin_log[ \t]+\d/g, "django-context-dump", 0.85, STATEMENT],
  [/\{%-?[ \t]*debug[ \t]*-?%\}/g, "django-debug-tag", 0.5, STATEMENT],
  [/@(?:java|javax|ognl|org|com|sun)(?:\.[\w$]+)+@[\w$]+/gi, "ognl-static-member", 0.9, STATIC_MEMBER],
  [/\{\/?php\}/gi, "smarty-php", 0.85, PHP],
  // What a scan sends to learn whether Smarty renders the value: the engine's version, the template
  // object (the way to PHP), and arithmetic of constants. Themes print `{$smarty.now}` and compute with
  // their variables (`{math equation="x*y" ...}`); a probe has nothing to compute with.
  [/\{\$smarty\.(?:version|template_object)\b|\{math\b[^{}]{0,64}?\bequation\s*=\s*(["'])[\d\s*+\/%().-]+\1/g, "smarty-probe", 0.85, SMARTY],
  // Smarty tags that read a system file into the page (`/etc/`, `/proc/`, Windows' own) or a `php:`
  // URL. Themes include their own templates, by climbs, absolute paths and resource names
  // (`{include file='module:x/y.tpl'}`, `file:/usr/local/share/templates/nav.tpl`, `extends:`), and the
  // manual fetches `http://` pages and files under `/var`.
  [/\{(?:fetch|include|include_php)\b[^{}]{0,64}?\bfile\s*=\s*["']?(?:file:\/*)?(?:(?:php|phar|expect):|\/?(?:etc|proc|root|sys|dev)\/|[A-Za-z]:[\/\\]windows[\/\\])/gi, "smarty-file", 0.9, SMARTY],
];

function signatureHits(s: string, marks: number, out: ExpressionHit[]): void {
  for (const [re, construct, strength, mark] of SIGNATURES) {
    if ((marks & mark) === 0) continue;
    for (const m of s.matchAll(re)) out.push({ construct, strength, start: m.index, end: m.index + m[0].length });
  }
}

/** Characters without one of which no mark can be present. */
const MAY_HOLD_EXPRESSION = /[{%(\[@?#]/;

/** The openers of different engines' delimiters, as marks. */
const OPENERS = [MUSTACHE, STATEMENT, DOLLAR, HASH, SELECTION, OGNL, SCRIPTLET, INLINE, RAZOR];
/** Longest value read as a probe: a template or a page about templates is longer, a probe is a handful of characters. */
const MAX_PROBE = 64;

/**
 * `${{<%[%'"}}%\.`: a short value that opens the delimiters of three engines or more is a polyglot sent
 * to see which engine throws (the first step of every template-injection scan), not a template of any.
 */
function polyglotProbe(s: string, marks: number, out: ExpressionHit[]): void {
  if (s.length > MAX_PROBE) return;
  let engines = 0;
  for (const mark of OPENERS) if ((marks & mark) !== 0) engines++;
  if (engines >= 3) out.push({ construct: "template-probe", strength: 0.8, start: 0, end: s.length });
}

/**
 * `'+{233*233}+'`, `"+(7*7)+"`: a literal closed, a product of two numbers concatenated, the literal
 * opened again, with no blank between. An expression language's string (OGNL's, EL's, a script's)
 * broken into to see the product come back; code joins data (`'<b>'+n*2+'</b>'`), and people write
 * blanks around operators (`'a' + 2*3 + 'b'`).
 */
const CONCATENATED_PRODUCT = /(['"])\+[({]?\d{1,6}\*\d{1,6}[)}]?\+\1/g;

function concatenatedProducts(s: string, out: ExpressionHit[]): void {
  CONCATENATED_PRODUCT.lastIndex = 0;
  for (let m = CONCATENATED_PRODUCT.exec(s); m; m = CONCATENATED_PRODUCT.exec(s)) out.push({ construct: "concatenated-arithmetic", strength: 0.85, start: m.index, end: m.index + m[0].length });
}

export function expressionHits(s: string): ExpressionHit[] {
  const out: ExpressionHit[] = [];
  if (s.indexOf("+") !== -1 && s.indexOf("*") !== -1) concatenatedProducts(s, out);
  if (!MAY_HOLD_EXPRESSION.test(s)) return out;
  const marks = marksOf(s);
  if (marks === 0) return out;
  for (const d of DELIMITERS) if ((marks & d.mark) !== 0) delimitedHits(s, d, out);
  if ((marks & TYPE) !== 0) typeOperatorHits(s, out);
  signatureHits(s, marks, out);
  polyglotProbe(s, marks, out);
  return out;
}
