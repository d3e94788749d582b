/**
 * Where template and expression-language code sits in a value: between the delimiters of each engine
 * (`{{ }}`, `{% %}`, `${ }`, `#{ }`, `*{ }`, `%{ }`, `<% %>`, `[[ ]]`, `@( )`), after a directive that
 * takes an expression (Velocity `#set(`, SpEL `T(`), or in syntax only one engine has (Freemarker
 * `?new()`, OGNL `#_memberAccess` and `@class@member`, Smarty `{php}`). Each opener is found with
 * indexOf and the scan resumes after its close, so every pass is linear.
 */
import { judgeContent } from "./content.ts";

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

interface Delimiter {
  open: string;
  /** A fixed closing string, or the closing bracket of the opener's last character (counted). */
  close: string;
  construct: string;
  nested: boolean;
}

const DELIMITERS: Delimiter[] = [
  { open: "{{", close: "}}", construct: "mustache", nested: false },
  { open: "{%", close: "%}", construct: "template-statement", nested: false },
  { open: "${", close: "}", construct: "dollar-expression", nested: true },
  { open: "#{", close: "}", construct: "hash-expression", nested: true },
  { open: "*{", close: "}", construct: "selection-expression", nested: true },
  { open: "%{", close: "}", construct: "ognl-expression", nested: true },
  { open: "<%", close: "%>", construct: "scriptlet", nested: false },
  { open: "[[", close: "]]", construct: "inline-expression", nested: false },
  { open: "@(", close: ")", construct: "razor-expression", nested: true },
  { open: "#set(", close: ")", construct: "velocity-set", nested: true },
  { open: "#set (", close: ")", construct: "velocity-set", nested: true },
  // Perl runs the list inside `@{[ ]}` when it interpolates a string: `"@{[ system 'id' ]}"`.
  { open: "@{[", close: "]}", construct: "perl-interpolation", nested: false },
];

/** Perl's `@{[ ]}` exists only to run code inside a string: any expression in it is code. */
const PERL_CODE = 0.8;

function delimitedHits(s: string, d: Delimiter, out: ExpressionHit[]): void {
  let i = s.indexOf(d.open);
  while (i !== -1) {
    const from = i + d.open.length;
    const closeAt = d.nested ? matchingClose(s, from, d.open[d.open.length - 1]!, d.close) : s.indexOf(d.close, from);
    // No close: nothing later closes either, so this is the last one; judge it to the end.
    const to = closeAt === -1 ? s.length : closeAt;
    // `<%=` / `<%-` output tags: the sign is syntax, not content.
    const contentFrom = d.open === "<%" && (s[from] === "=" || s[from] === "-" || s[from] === "#") ? from + 1 : from;
    const verdict = judgeContent(s, contentFrom, to);
    const end = closeAt === -1 ? s.length : closeAt + d.close.length;
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
const SIGNATURES: [RegExp, string, number][] = [
  // Freemarker builds an object from a class name: `"freemarker.template.utility.Execute"?new()`.
  [/\?\s*new\s*\(\s*\)/g, "freemarker-new", 0.9],
  [/[<[]#assign\b/gi, "freemarker-assign", 0.6],
  // OGNL: the member-access switch Struts exploits, and static members `@java.lang.Runtime@getRuntime()`.
  [/#_memberAccess|@ognl\.OgnlContext@|#context\s*\[\s*['"]xwork/gi, "ognl-member-access", 0.95],
  [/@(?:java|javax|ognl|org|com|sun)(?:\.[\w$]+)+@[\w$]+/gi, "ognl-static-member", 0.9],
  [/\{\/?php\}/gi, "smarty-php", 0.85],
];

function signatureHits(s: string, out: ExpressionHit[]): void {
  for (const [re, construct, strength] of SIGNATURES) {
    for (const m of s.matchAll(re)) out.push({ construct, strength, start: m.index, end: m.index + m[0].length });
  }
}

/** Characters without which no construct above can be present. */
const MAY_HOLD_EXPRESSION = /[{%(\[@?#]/;

export function expressionHits(s: string): ExpressionHit[] {
  if (!MAY_HOLD_EXPRESSION.test(s)) return [];
  const out: ExpressionHit[] = [];
  for (const d of DELIMITERS) if (s.indexOf(d.open) !== -1) delimitedHits(s, d, out);
  if (s.indexOf("T(") !== -1) typeOperatorHits(s, out);
  signatureHits(s, out);
  return out;
}
