/**
 * XPath injection, only by what is XPath's own: `' or '1'='1` is a tautology in SQL and XPath alike and
 * is the SQL analyzer's. Here:
 * - functions over location paths: `count(/*)`, `name(/*[1])`, `string-length(name(/*))`, the blind
 *   extraction of a document's structure;
 * - node functions with no arguments compared or used after a quote breakout: `' or name()='admin`,
 *   `[position()=1]`, `text()='x'` (jQuery's `.text()` is a method call, not this);
 * - axes: `child::node()`, `descendant-or-self::*`, `following-sibling::user`;
 * - predicates on a descendant path: `//user[@name=...]`, `//*[1]`.
 */
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { finding } from "./text.ts";

const find = (rule: string, strength: number, start: number, end: number): Finding => finding("xpath", `xpath.${rule}`, strength, start, end);

const PATH_FUNCTION = /\b(?:count|name|local-name|namespace-uri|string-length|substring|string|normalize-space|contains|starts-with|translate|boolean|number|sum)\s*\(\s*(?:name\s*\(\s*)?(?:\/|\.\.?\/|@|\*\s*\)|(?:child|parent|self|descendant|ancestor)::)/gi;
const NODE_FUNCTION = /(^|[^\w.$])(?:name|local-name|text|node|position|last|comment)\s*\(\s*\)/gi;
const AXIS = /\b(?:ancestor|ancestor-or-self|descendant|descendant-or-self|following|following-sibling|preceding|preceding-sibling|child|attribute)::(?:\*|node\s*\(\s*\)|text\s*\(\s*\)|[A-Za-z_])/gi;
/** Not after a host or a path (`example.com//a[1]` is a URL). */
const PREDICATE = /(?:^|[^\w.:/%-])\/\/(?:\*|[A-Za-z_][\w.-]*)\[\s*(?:@|position\s*\(|last\s*\(|text\s*\(|contains\s*\(|\d+\s*\])/g;
/** Cheap check, one pass: something each construct below needs. */
const XPATH_HINT = /\(\s*(?:\)|name\s*\(|[/.@*]|child::|parent::|self::|descendant::|ancestor::)|::|\/\/[\w*][\w.-]*\[/;
/** A quoted string closed and a boolean operator: the value goes on as an expression. */
const BREAKOUT_BEFORE = /['"]\s*(?:or|and)\s*$/i;

function breakoutBefore(text: string, at: number): boolean {
  return BREAKOUT_BEFORE.test(text.slice(Math.max(0, at - 12), at));
}

function firstMatch(re: RegExp, text: string): RegExpExecArray | null {
  re.lastIndex = 0;
  return re.exec(text);
}

export const xpathAnalyzer: Analyzer = {
  name: "xpath",
  analyze(input: AnalyzerInput): Finding[] {
    const text = input.text;
    if (typeof text !== "string" || !XPATH_HINT.test(text)) return [];
    const out: Finding[] = [];
    const fn = firstMatch(PATH_FUNCTION, text);
    if (fn) out.push(find("path-function", breakoutBefore(text, fn.index) ? 0.9 : 0.8, fn.index, fn.index + fn[0].length));
    for (let m = firstMatch(NODE_FUNCTION, text); m; m = NODE_FUNCTION.exec(text)) {
      const start = m.index + m[1]!.length;
      const end = m.index + m[0].length;
      const breakout = breakoutBefore(text, start);
      const compared = /^\s*(?:[=<>]|!=)/.test(text.slice(end, end + 4)) || text[start - 1] === "[";
      if (breakout || compared) {
        out.push(find("node-function", breakout ? 0.85 : 0.7, start, end));
        break;
      }
    }
    const axis = firstMatch(AXIS, text);
    if (axis) out.push(find("axis", 0.8, axis.index, axis.index + axis[0].length));
    const predicate = firstMatch(PREDICATE, text);
    if (predicate) {
      const start = predicate.index + predicate[0].indexOf("//");
      out.push(find("descendant-predicate", 0.75, start, predicate.index + predicate[0].length));
    }
    return out;
  },
};
