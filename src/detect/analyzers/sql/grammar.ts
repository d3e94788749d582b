/**
 * Just enough SQL grammar to tell a condition from prose: operands, arithmetic, comparisons, and the
 * shape of what follows SELECT. Every function takes a token index and returns the index after what it
 * read, or -1 when the tokens are not that construct. Parenthesized groups are skipped in one step
 * (the tokenizer matched them), so reading is linear.
 */
import { isSpace, K, opCode, type SqlTokens } from "./tokens.ts";
import { KEYWORD, W, wordFlags, wordIndex } from "./words.ts";

export const WORD = {
  union: wordIndex("union"),
  select: wordIndex("select"),
  all: wordIndex("all"),
  distinct: wordIndex("distinct"),
  distinctrow: wordIndex("distinctrow"),
  top: wordIndex("top"),
  case: wordIndex("case"),
  end: wordIndex("end"),
  from: wordIndex("from"),
  as: wordIndex("as"),
  not: wordIndex("not"),
  is: wordIndex("is"),
  in: wordIndex("in"),
  between: wordIndex("between"),
  sounds: wordIndex("sounds"),
  like: wordIndex("like"),
  and: wordIndex("and"),
  where: wordIndex("where"),
  having: wordIndex("having"),
  order: wordIndex("order"),
  group: wordIndex("group"),
  by: wordIndex("by"),
  limit: wordIndex("limit"),
  into: wordIndex("into"),
  outfile: wordIndex("outfile"),
  dumpfile: wordIndex("dumpfile"),
  asc: wordIndex("asc"),
  desc: wordIndex("desc"),
  collate: wordIndex("collate"),
  escape: wordIndex("escape"),
  notnull: wordIndex("notnull"),
  isnull: wordIndex("isnull"),
  true: wordIndex("true"),
  false: wordIndex("false"),
} as const;

const PLUS = opCode("+");
const ARITHMETIC = new Set(["+", "-", "*", "/", "%", "|", "&", "^", "||", "<<", ">>", "::"].map(opCode));
const UNARY = new Set(["-", "+", "!", "~"].map(opCode));
/** With PostgreSQL's JSON and array tests: contains, contained, path match, key exists, field access. */
const COMPARISON = new Set(["=", "==", "<>", "!=", "<", ">", "<=", ">=", "<=>", "!<", "!>", "@>", "<@", "@@", "?|", "?&", "->", "->>"].map(opCode));
const LOGIC_OPS = new Set(["||", "&&"].map(opCode));
/** Operators that join strings (MSSQL `+`, standard `||`): `'sel'+'ect'`, `CHR(83)||CHR(69)`. */
export const JOINING = new Set(["+", "||"].map(opCode));

/** The first index at or after i that is not a comment (t.count when none). */
export function sig(t: SqlTokens, i: number): number {
  while (i < t.count && t.kind(i) === K.COMMENT) i++;
  return i;
}

/** The index of the last token before i that is not a comment, or -1. */
export function previous(t: SqlTokens, i: number): number {
  i--;
  while (i >= 0 && t.kind(i) === K.COMMENT) i--;
  return i;
}

/** Like sig, also skipping `+`: outside a query string `+` is often a space the client never decoded. */
export function sigSpace(t: SqlTokens, i: number): number {
  for (;;) {
    i = sig(t, i);
    if (i < t.count && t.kind(i) === K.OP && t.aux(i) === PLUS) i++;
    else return i;
  }
}

export function isWord(t: SqlTokens, i: number, word: number): boolean {
  return i < t.count && (t.kind(i) === K.WORD || t.kind(i) === K.FUNC) && t.aux(i) === word;
}

/** The flags of the known word at i (0 for anything else). */
export function flagsAt(t: SqlTokens, i: number): number {
  return i < t.count && (t.kind(i) === K.WORD || t.kind(i) === K.FUNC) ? wordFlags(t.aux(i)) : 0;
}

/** A word that is not SQL. */
export function isPlainWord(t: SqlTokens, i: number): boolean {
  return i < t.count && t.kind(i) === K.WORD && t.aux(i) < 0;
}

export function isOp(t: SqlTokens, i: number, ops: Set<number>): boolean {
  return i < t.count && t.kind(i) === K.OP && ops.has(t.aux(i));
}

/** AND, OR, XOR, `||`, `&&`. */
export function isLogic(t: SqlTokens, i: number): boolean {
  return (flagsAt(t, i) & W.LOGIC) !== 0 || isOp(t, i, LOGIC_OPS);
}

export function isComparison(t: SqlTokens, i: number): boolean {
  return isOp(t, i, COMPARISON);
}

/** A word the grammar reserves (so it cannot be a column name). */
export function isReserved(flags: number): boolean {
  return (flags & KEYWORD) !== 0;
}

/** After a call's name: the index after its closing parenthesis. */
export function callEnd(t: SqlTokens, i: number): number {
  const open = sig(t, i + 1);
  if (open >= t.count || t.kind(open) !== K.OPEN) return -1;
  const close = t.match(open);
  return close >= t.count ? t.count : close + 1;
}

export function groupEnd(t: SqlTokens, open: number): number {
  const close = t.match(open);
  return close >= t.count ? t.count : close + 1;
}

/** A name, qualified or not: `a`, `a.b`, `master..sysdatabases`. */
function nameEnd(t: SqlTokens, i: number): number {
  i++;
  while (i < t.count && t.kind(i) === K.DOT) {
    let j = i + 1;
    if (t.kind(j) === K.DOT) j++;
    if (j < t.count && (t.kind(j) === K.WORD || t.kind(j) === K.IDENT)) i = j + 1;
    else if (j < t.count && t.kind(j) === K.FUNC) return callEnd(t, j);
    else return i;
  }
  return i;
}

const OPEN_BRACKET = new Set([opCode("[")]);
const CLOSE_BRACKET = new Set([opCode("]")]);
/** Tokens a subscript may hold: `ARRAY['a','name']` is short, and a long run of brackets is no SQL. */
const MAX_SUBSCRIPT = 64;

/**
 * PostgreSQL subscripts and array constructors after an operand: `ARRAY['a','name']`, `col[1]`,
 * `x[1:2]`. The tokenizer reads `[1]` as an MSSQL `[name]`, and `['a']` as brackets around tokens.
 */
function subscriptsEnd(t: SqlTokens, end: number): number {
  while (end < t.count) {
    if (t.kind(end) === K.IDENT && t.text.charCodeAt(t.start(end)) === 91) {
      end++;
      continue;
    }
    if (!isOp(t, end, OPEN_BRACKET)) return end;
    let depth = 0;
    let j = end;
    for (; j < t.count && j - end < MAX_SUBSCRIPT; j++) {
      if (isOp(t, j, OPEN_BRACKET)) depth++;
      else if (isOp(t, j, CLOSE_BRACKET) && --depth === 0) break;
      else if (t.kind(j) === K.SEMI) return end;
    }
    if (depth !== 0 || j >= t.count || j - end >= MAX_SUBSCRIPT) return end;
    end = j + 1;
  }
  return end;
}

/** One operand (a literal, a name, a variable, a call, a parenthesized group or a CASE), with its subscripts. */
export function operand(t: SqlTokens, i: number): number {
  const end = operandBase(t, i);
  return end > 0 ? subscriptsEnd(t, end) : end;
}

function operandBase(t: SqlTokens, i: number): number {
  i = sig(t, i);
  while (isOp(t, i, UNARY) || isWord(t, i, WORD.not)) i = sig(t, i + 1);
  if (i >= t.count) return -1;
  switch (t.kind(i)) {
    case K.STR:
      // `'a' 'b'` is one literal to MySQL and standard SQL: adjacent literals are joined.
      while (i + 1 < t.count && t.kind(i + 1) === K.STR) i++;
      return i + 1;
    case K.NUM:
    case K.VAR:
      return i + 1;
    case K.IDENT:
      return nameEnd(t, i);
    case K.FUNC:
      return callEnd(t, i);
    case K.OPEN:
      return groupEnd(t, i);
    case K.WORD: {
      const flags = wordFlags(t.aux(i));
      if (flags & W.LITERAL) return i + 1;
      if (t.aux(i) === WORD.case) return caseEnd(t, i);
      return isReserved(flags) ? -1 : nameEnd(t, i);
    }
    default:
      return -1;
  }
}

/** CASE ... END: the index after END (nested CASEs counted; groups skipped whole, a `)` or `;` stops it). */
function caseEnd(t: SqlTokens, i: number): number {
  let depth = 0;
  while (i < t.count) {
    const kind = t.kind(i);
    if (kind === K.CLOSE || kind === K.SEMI) return -1;
    if (kind === K.OPEN) {
      i = groupEnd(t, i);
      continue;
    }
    if (isWord(t, i, WORD.case)) depth++;
    else if (isWord(t, i, WORD.end) && --depth === 0) return i + 1;
    i++;
  }
  return -1;
}

/** An arithmetic operator: one of `ops` (all of them by default) or a word (`DIV`, `MOD`). */
export function isArithmetic(t: SqlTokens, i: number, ops: Set<number> = ARITHMETIC): boolean {
  return isOp(t, i, ops) || (flagsAt(t, i) & W.ARITHMETIC) !== 0;
}

/** Operands joined by arithmetic or concatenation. */
export function expression(t: SqlTokens, i: number): number {
  let end = operand(t, i);
  while (end > 0) {
    const op = sig(t, end);
    if (!isArithmetic(t, op)) return end;
    const next = operand(t, op + 1);
    if (next < 0) return end;
    end = next;
  }
  return end;
}

/** Parentheses looked into for a condition; deeper groups are skipped whole (no deep recursion on `((((...`). */
const MAX_NESTING = 16;

export interface Condition {
  end: number;
  /** It compares (`a = b`, `a LIKE b`, `a IN (...)`), not just states a value. */
  compared: boolean;
}

/** `''-'`, `''&'`: arithmetic on string literals yields a truth value only SQL gives them. */
function computedString(t: SqlTokens, i: number, end: number): boolean {
  const first = sig(t, i);
  return t.kind(first) === K.STR && operand(t, first) < end;
}

/** Token i's text in lower case when it is `longest` characters at most (a word to look up in a set), else "". */
export function lowerTextAt(t: SqlTokens, i: number, longest: number): string {
  return i < t.count && t.end(i) - t.start(i) <= longest ? t.text.slice(t.start(i), t.end(i)).toLowerCase() : "";
}

const ODATA_COMPARISON = new Set(["eq", "ne", "gt", "ge", "lt", "le"]);
/** A number or a literal (the last one may be the application's quote's to close) as the one token [from, end). */
const isConstant = (t: SqlTokens, from: number, end: number) => end === from + 1 && (t.kind(from) === K.NUM || t.kind(from) === K.STR);

/** An expression, compared or not: `1=1`, `'a' LIKE 'a`, `x IS NOT NULL`, `1 IN (1)`, `5`. */
export function condition(t: SqlTokens, i: number, depth = 0): Condition | null {
  const group = depth < MAX_NESTING ? parenthesized(t, sig(t, i), depth + 1) : null;
  if (group) return group;
  const left = expression(t, i);
  if (left < 0) return null;
  let j = sig(t, left);
  if (isComparison(t, j)) {
    let right = expression(t, j + 1);
    if (right < 0) return null;
    // `doc -> 'path' = 7`: a comparison whose result is compared again.
    for (let k = sig(t, right); isComparison(t, k); k = sig(t, right)) {
      const next = expression(t, k + 1);
      if (next < 0) break;
      right = next;
    }
    return { end: right, compared: true };
  }
  // `1 eq 1`, `'a' eq 'a'`: OData's comparison words, between two constants (a value spliced into a
  // `$filter`; words of prose, `le`, `ne`, never stand between two constants).
  if (isConstant(t, sig(t, i), left) && t.kind(j) === K.WORD && ODATA_COMPARISON.has(lowerTextAt(t, j, 2))) {
    const right = operand(t, sig(t, j + 1));
    if (right > 0 && isConstant(t, sig(t, j + 1), right)) return { end: right, compared: true };
  }
  // `x NOTNULL`, `x ISNULL` (PostgreSQL, SQLite): a comparison with no right side.
  if (isWord(t, j, WORD.notnull) || isWord(t, j, WORD.isnull)) return { end: j + 1, compared: true };
  if (isWord(t, j, WORD.not)) j = sig(t, j + 1);
  if (isWord(t, j, WORD.sounds)) j = sig(t, j + 1);
  if (!(flagsAt(t, j) & W.COMPARE)) return { end: left, compared: computedString(t, i, left) };
  if (isWord(t, j, WORD.is)) {
    let k = sig(t, j + 1);
    if (isWord(t, k, WORD.not)) k = sig(t, k + 1);
    const right = operand(t, k);
    return right < 0 ? null : { end: right, compared: true };
  }
  if (isWord(t, j, WORD.in)) {
    const open = sig(t, j + 1);
    return open < t.count && t.kind(open) === K.OPEN ? { end: groupEnd(t, open), compared: true } : null;
  }
  if (isWord(t, j, WORD.between)) {
    const low = expression(t, j + 1);
    const and = sig(t, low);
    if (low < 0 || !isWord(t, and, WORD.and)) return null;
    const high = expression(t, and + 1);
    return high < 0 ? null : { end: high, compared: true };
  }
  const right = expression(t, j + 1);
  if (right < 0) return null;
  // `a LIKE b ESCAPE 'x'`
  const escape = sig(t, right);
  const escaped = isWord(t, escape, WORD.escape) ? expression(t, escape + 1) : -1;
  return { end: escaped > 0 ? escaped : right, compared: true };
}

/**
 * A condition in parentheses, `(1=1)`, or one whose `(` the application closes (`("x"="x`); null when
 * the group is part of a longer expression or holds no condition.
 */
function parenthesized(t: SqlTokens, open: number, depth: number): Condition | null {
  if (open >= t.count || t.kind(open) !== K.OPEN) return null;
  const inner = condition(t, open + 1, depth);
  if (!inner) return null;
  const close = t.match(open);
  if (close >= t.count) return inner;
  if (sig(t, inner.end) !== close) return null;
  const after = sig(t, close + 1);
  if (isComparison(t, after) || flagsAt(t, after) & W.COMPARE) return null;
  // `(8459=8459)*4906`: arithmetic on a truth value is still that condition.
  return { end: isArithmetic(t, after) ? expression(t, open) : close + 1, compared: inner.compared };
}

/**
 * How well what follows SELECT reads as a select list, not prose ("select the best one"): 2 for a
 * literal, a call, `*`, a variable, a subquery, DISTINCT/TOP/CASE, or a name followed by `,`, `.`,
 * FROM, AS or WHERE; 1 for a lone name that ends the text or a clause; 0 otherwise. A lone name
 * with letters beyond ASCII is a word of prose ("union select 怎么用", how to use UNION SELECT): an
 * injection reads columns it can name in ASCII, numbers or calls.
 */
export function selectListFollows(t: SqlTokens, i: number, opensValue = false): 0 | 1 | 2 {
  i = sigSpace(t, i);
  if (isWord(t, i, WORD.all) || isWord(t, i, WORD.distinct) || isWord(t, i, WORD.distinctrow) || isWord(t, i, WORD.top)) i = sigSpace(t, i + 1);
  if (i >= t.count) return 0;
  switch (t.kind(i)) {
    case K.FUNC:
      return opensValue && spacedUnknownCall(t, i) ? listGoesOn(t, groupEnd(t, sig(t, i + 1))) : 2;
    case K.NUM:
    case K.STR:
    case K.VAR:
    case K.OPEN:
    case K.IDENT:
      return 2;
    case K.OP:
      return t.aux(i) === 42 /* * */ || t.aux(i) === 45 /* - */ ? 2 : 0;
    case K.WORD: {
      const flags = wordFlags(t.aux(i));
      if (flags & W.LITERAL || t.aux(i) === WORD.case) return 2;
      if (isReserved(flags)) return 0;
      const after = sigSpace(t, i + 1);
      // A name then a quoted alias (`table_name \`t\``) is a select list too; prose has no backticks.
      if (after < t.count && (t.kind(after) === K.COMMA || t.kind(after) === K.DOT || t.kind(after) === K.IDENT || isWord(t, after, WORD.from) || isWord(t, after, WORD.as) || isWord(t, after, WORD.where))) return 2;
      // A value that is `SELECT orders` and nothing more reads no table: a trace's span name (an
      // operation and its table), a menu's label.
      if (opensValue && after >= t.count) return 0;
      return endsClause(t, i + 1) && !beyondAscii(t, i) ? 1 : 0;
    }
    default:
      return 0;
  }
}

/**
 * A name SQL does not know, blanks before its parenthesis: `Select size (US)` is a dropdown's label.
 * In a SELECT that opens the value (selectListFollows' `opensValue`: after a UNION, a `;` or inside a
 * subquery a select list is SQL whatever it calls, user-defined functions included), a call in the list
 * is a known function (`version()`), a name right at its parenthesis or behind a comment
 * (`sys_exec/**\/('id')`); a name spaced from it counts only when the list goes on as SQL.
 */
function spacedUnknownCall(t: SqlTokens, i: number): boolean {
  if (t.aux(i) >= 0) return false;
  let j = t.end(i);
  while (j < t.text.length && isSpace(t.text.charCodeAt(j))) j++;
  return j > t.end(i) && t.text.charCodeAt(j) === 40;
}

/** After a select-list item: a comma, FROM, AS, INTO, UNION or a cut comment goes on as SQL. */
function listGoesOn(t: SqlTokens, end: number): 0 | 2 {
  if (end < t.count && t.kind(end) === K.COMMENT) return 2;
  const i = sigSpace(t, end);
  if (i < t.count && (t.kind(i) === K.COMMA || t.kind(i) === K.SEMI)) return 2;
  return isWord(t, i, WORD.from) || isWord(t, i, WORD.as) || isWord(t, i, WORD.into) || isWord(t, i, WORD.union) ? 2 : 0;
}

/** Does token i hold a character beyond ASCII (a letter of another script, an accented one)? */
function beyondAscii(t: SqlTokens, i: number): boolean {
  for (let c = t.start(i); c < t.end(i); c++) if (t.text.charCodeAt(c) > 127) return true;
  return false;
}

/** Nothing but control characters and comments from i on: the end of what the database reads. */
function onlyControlAfter(t: SqlTokens, i: number): boolean {
  for (let k = i; k < t.count; k++) if (t.kind(k) !== K.OTHER && t.kind(k) !== K.COMMENT) return false;
  return true;
}

/**
 * Cypher's clauses that may follow a WHERE condition (`' OR 1=1 WITH 1 AS a CALL db.labels() ...`,
 * `' OR 1=1 RETURN n //`): Neo4j reads the injected condition whole there. Read as names, not as
 * SQL words, so that SQL's own grammar is unchanged.
 */
const CYPHER_CLAUSES = new Set(["with", "return", "match", "optional", "unwind", "detach", "delete", "set", "merge", "call", "load", "create", "remove", "foreach"]);

/** A Cypher clause's word, a pattern's parenthesis glued to it or not (`MATCH (n)`, `MATCH(n)` read as a call). */
function isCypherClause(t: SqlTokens, i: number): boolean {
  const kind = t.kind(i);
  return (kind === K.WORD || kind === K.FUNC) && CYPHER_CLAUSES.has(lowerTextAt(t, i, 8));
}

/** The next token is where a clause may stop: the end, a comment, `;`, `)`, a clause keyword, or control characters that end the text. */
export function endsClause(t: SqlTokens, i: number): boolean {
  if (i >= t.count) return true;
  const kind = t.kind(i);
  if (kind === K.COMMENT || kind === K.SEMI || kind === K.CLOSE) return true;
  // A control character (K.OTHER) is no SQL: a C string ends at a NUL, and the statement errors at any
  // other, so the clause before it is whole when nothing but such characters follows
  // (`1 AND 7137=7137\x16`; not `width=100 and height=100\x1b[m`, a log line's colour code).
  if (kind === K.OTHER) return t.text.charCodeAt(t.start(i)) === 0 || onlyControlAfter(t, i);
  if (kind === K.STR && i === t.count - 1) return true;
  return isWord(t, i, WORD.order) || isWord(t, i, WORD.group) || isWord(t, i, WORD.limit) || isWord(t, i, WORD.union) || isWord(t, i, WORD.into) || isWord(t, i, WORD.having) || isLogic(t, i) || isCypherClause(t, i);
}
