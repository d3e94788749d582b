/**
 * What a value does right after it closes its context. An injected value ends the literal (or number)
 * the application put it in, then goes on as SQL: a condition (`' OR 'a'='a`), a comment that cuts the
 * rest of the query (`admin'--`), a WHERE, an ORDER BY or GROUP BY. Prose that merely contains a quote
 * ("Tom's and Mary's") goes on with words, which is none of these.
 */
import { callEnd, condition, endsClause, expression, isArithmetic, isComparison, isLogic, isOp, isPlainWord, isWord, previous, sig, WORD } from "./grammar.ts";
import { statementShape } from "./statements.ts";
import { CLOSED, COMMENT_DASH, K, opCode, type SqlTokens } from "./tokens.ts";
import { wordIndex } from "./words.ts";
import type { Report } from "./report.ts";

const BOOLEAN = wordIndex("boolean");
const IF = wordIndex("if");
/** Operators that splice a value into a string: concatenation, and arithmetic that coerces it (`DIV` and `MOD` too). */
const SPLICING = new Set(["||", "+", "-", "*", "/", "%", "&", "|", "^"].map(opCode));

export interface Closure {
  /** The first token after the closed context (and the parentheses it closed). */
  at: number;
  /** Text index where the escape starts: the closing quote, the number, or the value's start. */
  from: number;
  /** What was closed: a quoted literal, a number or a name (the value lands bare), or nothing seen. */
  kind: "quote" | "number" | "word" | "none";
  /** Parentheses the value closed after it. */
  parens: number;
  /** The literal had text before its closing quote (`admin'--`, not a lone `'--`). */
  prefixed: boolean;
}

/**
 * A quote that opens a quoted word of prose (`Chapter 3 - 'Or' and 'And' operators`): after a blank
 * or the value's start, one word, the same quote, then a blank, punctuation or the end; and every other
 * quote of its kind in the value is prose's too, another such word or an apostrophe inside one
 * (`don't`). A value that closes its literal does so right after the text it was given (`admin'`,
 * `1'`), a quoted keyword written to break out runs on (`'or'1'='1`), and a quoted word before a
 * breakout leaves a quote of its own (`x 'or' ' or 1=1 --`).
 */
const PROSE_QUOTES: Record<number, RegExp> = Object.fromEntries(
  ["'", '"', "`"].map((q) => [q.charCodeAt(0), new RegExp(`(?<=^|\\s)${q}[A-Za-z][A-Za-z-]*${q}(?=[\\s.,;:!?)]|$)|(?<=[A-Za-z])${q}(?=[A-Za-z])`, "g")]),
);
function quotesProseWord(text: string, at: number): boolean {
  const quote = text.charCodeAt(at);
  const prose = PROSE_QUOTES[quote];
  if (!prose) return false;
  prose.lastIndex = at;
  const first = prose.exec(text);
  prose.lastIndex = 0;
  // The quote opens a quoted word (not an apostrophe inside one, `user'collate`), and every other quote of its kind is prose's.
  return first?.index === at && first[0].length > 1 && text.replace(prose, "").indexOf(String.fromCharCode(quote)) === -1;
}

/** Where the value leaves its context, or null when it never does (a quoted value without that quote). */
export function findClosure(t: SqlTokens, quote: number): Closure | null {
  let i: number;
  let kind: Closure["kind"];
  let from: number;
  if (quote !== 0) {
    if (t.count === 0 || !(t.aux(0) & CLOSED) || quotesProseWord(t.text, t.end(0) - 1)) return null;
    i = 1;
    kind = "quote";
    from = t.end(0) - 1;
  } else {
    i = sig(t, 0);
    from = i < t.count ? t.start(i) : 0;
    if (t.kind(i) === K.OP && t.aux(i) === 45 /* - */ && t.kind(i + 1) === K.NUM) i++;
    if (i < t.count && t.kind(i) === K.NUM) {
      kind = "number";
      i++;
    } else if (t.kind(i) === K.FUNC && t.aux(i) >= 0 && knownCallOperand(t, i)) {
      // `COUNT(*) OR 1=1`: a call of a function SQL knows, in a numeric context, is the operand as a number is.
      kind = "number";
      i = callEnd(t, i);
    } else if (isPlainWord(t, i) && wordCloses(t, sig(t, i + 1))) {
      // `hi or a=a`, `hi ORDER BY 3--`, `shoes) AND 1=1--`: in a numeric context the word is a column name.
      kind = "word";
      i++;
    } else kind = "none";
  }
  // MATCH (..) AGAINST ('value' IN BOOLEAN MODE): the value closes the mode clause too.
  if (isWord(t, sig(t, i), WORD.in) && isWord(t, sig(t, sig(t, i) + 1), BOOLEAN)) i = sig(t, sig(t, sig(t, i) + 1) + 1) + 1;
  let parens = 0;
  for (let j = sig(t, i); j < t.count && t.kind(j) === K.CLOSE; j = sig(t, j + 1)) {
    parens++;
    i = j + 1;
  }
  return { at: i, from, kind, parens, prefixed: quote !== 0 && t.end(0) > 1 };
}

/** Whether the call at i closes and a condition or a clause follows it, as after an operand. */
function knownCallOperand(t: SqlTokens, i: number): boolean {
  const end = callEnd(t, i);
  return end > 0 && end < t.count && followsOperand(t, sig(t, end));
}

/**
 * A name goes on as the query at `next`: a condition or a clause after it, past the parentheses it
 * closes; a WHERE only after a parenthesis closed (`shoes) WHERE 1=1--`: a sentence says `x where 1=1`).
 */
function wordCloses(t: SqlTokens, next: number): boolean {
  let i = next;
  while (i < t.count && t.kind(i) === K.CLOSE) i = sig(t, i + 1);
  return followsOperand(t, i) || (i !== next && isWord(t, i, WORD.where));
}

/** What may follow an operand and go on as the query: a condition, or a clause that orders or groups. */
function followsOperand(t: SqlTokens, i: number): boolean {
  return isLogic(t, i) || isWord(t, i, WORD.order) || isWord(t, i, WORD.group) || isWord(t, i, WORD.having);
}

/** Strength of a finding by what closed: a quote proves an escape best, a name less, nothing at all least. */
function byClosure(c: Closure, quote: number, number: number, none: number): number {
  if (c.kind === "quote") return quote;
  if (c.kind === "number" || c.parens > 0) return number;
  return c.kind === "word" ? none - 0.1 : none;
}

export function closureRules(t: SqlTokens, c: Closure, report: Report): void {
  let i = c.at;
  // `) AS alias`, `' COLLATE nocase`: what may follow the closed value before the query goes on.
  if (isWord(t, sig(t, i), WORD.as) || isWord(t, sig(t, i), WORD.collate)) i = aliasEnd(t, sig(t, i));
  if (i >= t.count) return;
  const at = sig(t, i);
  const kind = t.kind(i);
  if (kind === K.COMMENT && c.kind === "quote" && cutsQuery(t, i, at) && !markupFragment(t, c, i) && !quotedHashName(t, c, i)) {
    // `admin'--`, `admin'#`: a value, its quote closed, and a bare comment marker that ends the value
    // cuts the rest of the query (the password check of a login): what prose never ends with.
    const bareCut = i === t.count - 1 && t.end(i) - t.start(i) <= 3;
    const strength = c.parens > 0 ? 0.7 : c.prefixed ? (bareCut ? 0.85 : 0.6) : 0.5;
    report("comment-truncation", strength, c.from, t.end(i));
    return;
  }
  if (t.kind(at) === K.SEMI && c.kind === "quote" && (sig(t, at + 1) >= t.count || t.kind(at + 1) === K.COMMENT)) {
    report("comment-truncation", 0.7, c.from, t.end(t.count - 1));
    return;
  }
  if (t.kind(at) === K.COMMA && (c.kind === "quote" || c.kind === "number")) assignmentRule(t, c, at, report);
  // `||` both joins conditions (MySQL) and concatenates (Oracle, PostgreSQL): both readings are tried.
  if (isArithmetic(t, at, SPLICING) && c.kind === "quote") concatenationRule(t, c, at, report);
  if (isLogic(t, at) || isWord(t, at, WORD.where) || isWord(t, at, WORD.having)) conditionRule(t, c, at, report);
  else if (isComparison(t, at) && c.kind === "quote") comparisonRule(t, c, at, report);
  else if (isWord(t, at, WORD.order) || isWord(t, at, WORD.group)) orderRule(t, c, at, report);
  else statementRule(t, c, at, report);
}

/** `=`: an assignment in a SET list, equality elsewhere. */
const EQUALS = opCode("=");
const ASSIGN = new Set([EQUALS]);

/**
 * `x', role='admin'-- -`, `1, role='admin'#`: a value of an UPDATE's SET list that closes its literal (or
 * number) and assigns more columns (`, name = value`, once or more), then cuts the rest of the statement
 * (its WHERE), or writes its own WHERE and cuts what follows, or ends the statement (`;--`); 0.85. A
 * quoted value that ends in the literal the application's quote closes instead is weaker (0.5). Prose
 * and code write `', x=` too (`print('a', sep='')`, `"yes", count=3 -- done`): only an injection's cut
 * counts (bareCut).
 */
function assignmentRule(t: SqlTokens, c: Closure, comma: number, report: Report): void {
  let end = comma;
  while (end < t.count && t.kind(end) === K.COMMA) {
    const column = sig(t, end + 1);
    const eq = sig(t, column + 1);
    if (!(t.kind(column) === K.WORD || t.kind(column) === K.IDENT) || !isOp(t, eq, ASSIGN)) return;
    const value = expression(t, sig(t, eq + 1));
    if (value < 0) return;
    end = value;
    // A comment that cuts nothing (`/**/`) is a blank between the items.
    while (end < t.count && t.kind(end) === K.COMMENT && !cutsQuery(t, end, sig(t, end))) end++;
  }
  const last = t.count - 1;
  const cut = t.kind(last) === K.COMMENT && bareCut(t, last);
  const openLiteral = c.kind === "quote" && t.kind(last) === K.STR && !(t.aux(last) & CLOSED);
  if (isWord(t, end, WORD.where)) {
    if (cut || openLiteral) report("assignment", cut ? 0.85 : 0.5, c.from, t.end(last));
  } else if ((end === last && cut) || (end < t.count && t.kind(end) === K.SEMI && sig(t, end + 1) >= t.count)) {
    report("assignment", 0.85, c.from, t.end(last));
  } else if (end >= t.count && openLiteral) report("assignment", 0.5, c.from, t.end(last));
}

/**
 * A comment as an injection writes it to cut a statement: `#`, `--` with blanks, `+` or `-` after it,
 * or a block comment left open. Not a sentence's `-- done`, and not a closed `/**\/`, after which the
 * application's own quote opens a literal that never closes.
 */
const BARE_CUT = /^(?:#|--[ \t+-]*|\/\*(?![\s\S]*\*\/)[\s\S]*)$/;
const bareCut = (t: SqlTokens, i: number) => BARE_CUT.test(t.text.slice(t.start(i), t.end(i)));

/** `' INSERT INTO ...`, `1 SELECT ...`, or a value that is a statement itself (weaker: some tools send SQL). */
function statementRule(t: SqlTokens, c: Closure, at: number, report: Report): void {
  const shape = statementShape(t, at);
  if (shape === 0) return;
  let end = t.count;
  while (end > at + 1 && t.kind(end - 1) === K.COMMENT) end--;
  const terminated = end < t.count || t.kind(end - 1) === K.SEMI;
  // Prose quotes SQL ("the statement "SELECT * FROM t" fails"): an unterminated statement after a quote is weaker.
  const afterClosure = shape === 2 ? (terminated ? 0.9 : 0.7) : 0.6;
  // `DELETE FROM users;--`: a whole statement that also cuts what the query had after it.
  const cut = end < t.count && t.kind(end - 1) === K.SEMI;
  // A value that is a statement and closes nothing leaves no context: it is SQL only where the
  // application runs what it is sent (a query console, a forum post about SQL), unless it cuts what the
  // query had after it (`DELETE FROM users;--`). IF(1=2) SELECT .. ELSE DROP ..: a literal condition
  // before a statement is a probe, not a query pasted in.
  const bare = cut || (shape === 2 && isWord(t, at, IF)) ? 0.8 : terminated ? 0.6 : 0.5;
  const strength = c.kind === "none" && c.parens === 0 ? bare : byClosure(c, afterClosure, afterClosure, 0);
  if (strength > 0) report("statement", strength, c.from, t.end(sig(t, at + 1) < t.count ? sig(t, at + 1) : at));
}

/**
 * `'||UTL_HTTP.REQUEST('..')||'`, `'+(SELECT ..)+'`: a call spliced between the literal's two halves
 * (the application's own quote closes the last one). `'-'`, `'&'`: the bare probe for that splice.
 */
function concatenationRule(t: SqlTokens, c: Closure, at: number, report: Report): void {
  const first = sig(t, at + 1);
  const end = expression(t, first);
  // `x'/email--`, `'*2--`: arithmetic on the closed literal, then the rest of the query cut.
  if (end > 0 && end < t.count && t.kind(end) === K.COMMENT && cutsQuery(t, end, sig(t, end))) {
    report("concatenation", 0.6, c.from, t.end(end));
    return;
  }
  if (end !== t.count) return;
  const open = rejoined(t, c);
  const call = t.kind(first) === K.FUNC || t.kind(first) === K.OPEN || (t.kind(first) === K.WORD && t.kind(first + 1) === K.DOT);
  const strength = call ? (open ? 0.85 : 0.6) : open && splicedConstants(t, c, first) ? 0.85 : open && first === t.count - 1 ? 0.5 : 0;
  if (strength > 0) report("concatenation", strength, c.from, t.end(t.count - 1));
}

/**
 * `'-0-'`, `'+0+'`, `'-''-'`, `'-'`: the closed literal, arithmetic on numbers and empty literals only
 * (or none: the operator alone between the quotes), and the literal the application's quote closes.
 * MySQL makes the password check `pass = ''-0-''`, a number that every string that is no number equals:
 * the login bypass written without a keyword or a comment. A few tokens at most: JSON's `"-",1920,"-"`
 * splices texts, not constants.
 */
function splicedConstants(t: SqlTokens, c: Closure, from: number): boolean {
  const to = t.count - 1;
  // The operator alone is the payload only as the whole value (prose has `'-'` among other words).
  const bare = from === to;
  if (from > to || to - from > MAX_SPLICED || !loginField(t, c, bare)) return false;
  for (let i = from; i < to; i++) {
    const kind = t.kind(i);
    if (!(kind === K.NUM || (kind === K.STR && t.end(i) - t.start(i) === 2) || isOp(t, i, SPLICING))) return false;
  }
  return true;
}
const MAX_SPLICED = 7;

/**
 * The value is a login field's, where these bypasses are typed: at most a word before the closing quote
 * (`admin'-0-'`; only blanks when `whole`), and the application's quote to close alone at its end, blanks
 * after it when `whole` (a kaomoji in a message, `love you (*'-3-')`, has text around it).
 */
function loginField(t: SqlTokens, c: Closure, whole: boolean): boolean {
  const last = t.count - 1;
  const before = t.text.slice(0, c.from);
  const after = t.text.slice(t.start(last) + 1);
  return t.kind(last) === K.STR && (whole ? before.trim() === "" && after.trim() === "" : !/\s/.test(before) && after === "");
}

/**
 * A comment that cuts the rest of the query: `#`, `/*`, or `--` followed by a space, `-`, `+` or the end
 * (as MySQL requires), with no SQL after it; `"--"` inside CSS or JSON is text.
 */
function cutsQuery(t: SqlTokens, i: number, next: number): boolean {
  // `'/**/OR/**/1=1`: a closed block comment before more SQL is only a space; so is a line comment
  // that a line break ends (`'#x\nAND#y\n1=1`: MySQL reads on after it).
  if (next < t.count) return false;
  if (t.aux(i) !== COMMENT_DASH) return true;
  const after = t.text.charCodeAt(t.start(i) + 2);
  return Number.isNaN(after) || after <= 32 || after === 45 || after === 43;
}

/** A tag closed then another opened (`">x</a>`): what follows an attribute value in markup (`[^<>]`: each `>` tried once). */
const MARKUP_AFTER = />[^<>]*<\/?[A-Za-z]/;
/** A tag's attribute opened right before the quote (`<a href=`). */
const ATTRIBUTE_BEFORE = /<[A-Za-z][^<>]*=\s*$/;

/**
 * `<a href="#">x</a>`, `<font color="#f00">`: the quote opened a tag's attribute and the `#` starts its
 * fragment or colour, with markup after it: no comment after an injected quote (`admin'#">` has no tag before).
 */
function markupFragment(t: SqlTokens, c: Closure, comment: number): boolean {
  return t.text.charCodeAt(t.start(comment)) === 35 && ATTRIBUTE_BEFORE.test(t.text.slice(Math.max(0, c.from - 200), c.from)) && MARKUP_AFTER.test(t.text.slice(t.start(comment), t.end(comment)));
}

/** `#cart`, `#`, `#1a73e8`: a `#` and a name, and what follows. */
const HASH_NAME = /^#[\w-]*/;
/** What code writes right before a string it opens: a call's `(`, an item's `[` or `,`, a key's `:`, `=`, `+`. */
const CODE_BEFORE_STRING = /[([,:=+]\s*$/;

/**
 * `$('#cart')`, `querySelector('#' + id)`, `color: '#ff0000'`: code's quoted selector or colour, code
 * opening the quote before the `#` and the same quote after the name closing it. An injected quote
 * follows a value, not code (`admin'#'`, `admin'#">`), and its comment closes no string of its own.
 */
function quotedHashName(t: SqlTokens, c: Closure, comment: number): boolean {
  const at = t.start(comment);
  if (t.text.charCodeAt(at) !== 35 || !CODE_BEFORE_STRING.test(t.text.slice(Math.max(0, c.from - 8), c.from))) return false;
  const name = HASH_NAME.exec(t.text.slice(at, at + 65))![0];
  return t.text.charCodeAt(at + name.length) === t.text.charCodeAt(c.from);
}

/** `) AS alias`, `' COLLATE "utf8mb4_bin"`: the index after the name, or `as` itself when none follows. */
function aliasEnd(t: SqlTokens, as: number): number {
  const name = sig(t, as + 1);
  const kind = t.kind(name);
  return kind === K.WORD || kind === K.IDENT || (kind === K.STR && isWord(t, as, WORD.collate)) ? name + 1 : as;
}

interface Chain {
  end: number;
  compared: boolean;
}

/** Conditions joined by AND/OR/XOR, starting at the joining word at `i`; null unless the first one parses. */
function conditionChain(t: SqlTokens, i: number): Chain | null {
  let chain: Chain | null = null;
  let compared = false;
  for (;;) {
    const next = condition(t, i + 1);
    if (!next) return chain;
    compared ||= next.compared;
    chain = { end: next.end, compared };
    const after = sig(t, next.end);
    if (!isLogic(t, after)) return chain;
    i = after;
  }
}

/** `' OR 'a'='a`, `1 AND 1=2`, `") OR ("x"="x`, `' OR 1 --`, `) WHERE 1=1`. */
function conditionRule(t: SqlTokens, c: Closure, at: number, report: Report): void {
  const chain = conditionChain(t, at);
  if (!chain) return;
  const end = chain.end;
  const endsInComment = end < t.count && t.kind(end) === K.COMMENT;
  const first = sig(t, at + 1);
  // `' OR TRUE`, `1 || false`: a truth value stated right after the closure is as good as a comparison.
  const truth = c.kind !== "word" && c.kind !== "none" && isTruth(t, first) && sig(t, first + 1) >= end;
  let strength = 0;
  if ((chain.compared || truth) && endsClause(t, end)) strength = byClosure(c, 0.9, 0.85, 0.8);
  else if (endsInComment) strength = byClosure(c, 0.8, 0.6, 0.5);
  else if (c.kind === "quote" && (end >= t.count ? rejoined(t, c) : t.kind(end) === K.SEMI) && hasCall(t, at, end)) {
    // `' AND f(col) AND 'x`, `' or json(id);`: a call tested as a condition, up to where the query ends
    // (the application's own quote closes the last literal, or `;` ends the statement).
    strength = 0.8;
  } else if (c.kind === "quote" && end >= t.count && rejoined(t, c)) {
    // `' OR 'x`: the application's own quote closes the last literal.
    strength = 0.6;
  } else if (end >= t.count || t.kind(end) === K.SEMI) strength = byClosure(c, 0.45, 0.3, 0.2);
  if (strength > 0) report("tautology", strength, c.from, t.end(Math.min(end, t.count) - 1));
}

function isTruth(t: SqlTokens, i: number): boolean {
  return isWord(t, i, WORD.true) || isWord(t, i, WORD.false);
}

/**
 * The value ends in a literal left open with the quote it broke out of: the application's closing
 * quote completes it. One opened with the other quote stays open (`Use ' or " for strings` is prose).
 */
function rejoined(t: SqlTokens, c: Closure): boolean {
  const last = t.count - 1;
  return last > 0 && t.kind(last) === K.STR && t.aux(last) === t.text.charCodeAt(c.from);
}

/** A call among the tokens [from, end). */
function hasCall(t: SqlTokens, from: number, end: number): boolean {
  for (let i = from; i < end; i++) if (t.kind(i) === K.FUNC) return true;
  return false;
}

/**
 * `'=''or'`: the value starts with the quote, so the literal it closed is empty, and it is compared
 * with an empty literal: `''=''`, true for every row (MySQL then compares that with the column's
 * comparison, `name=''=''`, true again). A login form's classic bypass, with no `1=1` to see.
 */
function emptyCompared(t: SqlTokens, c: Closure, at: number): boolean {
  const right = sig(t, at + 1);
  if (c.kind !== "quote" || t.kind(0) !== K.STR || t.text.slice(0, t.end(0) - 1).trim() !== "" || !isOp(t, at, EQUALITY) || t.kind(right) !== K.STR) return false;
  // `'='` as the whole value: the application's quote closes the empty literal (with `=` only: `''<>''` is false).
  return t.end(right) - t.start(right) === 2 ? t.end(0) === 1 : right === t.count - 1 && t.aux(at) === EQUALS && loginField(t, c, true);
}

/** A literal's text that MySQL reads as a number: a digit first, after a sign or a point. */
const READS_AS_NUMBER = /^\s*[-+]?\.?\d/;

/**
 * `token '<'`, `character '>' at line 1` (a parser's error message): the closed literal ordered by `<` or
 * `>` against the literal the application's quote completes, alone on its side and reading as the number 0. MySQL
 * compares the column's match with it: `(col = 'x') < ''` holds for no row, `> ''` only where the column
 * is 'x' already. (`<=` and `>=` hold for the other rows or all, and a literal that reads as a
 * number above 0 too: those stay tautologies.)
 */
function strictOrderWithZero(t: SqlTokens, at: number): boolean {
  const last = t.count - 1;
  const op = t.text.slice(t.start(at), t.end(at));
  // The literal must be the whole right side: `x'>-1+'` compares with -1, true for every row.
  return (op === "<" || op === ">") && sig(t, at + 1) === last && t.kind(last) === K.STR && !READS_AS_NUMBER.test(t.text.slice(t.start(last) + 1, t.end(last)));
}

/** `x'='x`: the closed literal itself is the left side of a comparison. */
function comparisonRule(t: SqlTokens, c: Closure, at: number, report: Report): void {
  if (emptyCompared(t, c, at)) report("tautology", 0.85, c.from, t.end(sig(t, at + 1)));
  const right = expression(t, at + 1);
  if (right < 0) return;
  const after = sig(t, right);
  if (isLogic(t, after)) {
    const chain = conditionChain(t, after);
    if (chain && chain.compared && endsClause(t, chain.end)) report("tautology", 0.85, c.from, t.end(chain.end - 1));
    return;
  }
  // At the value's end a quote's comparison must end in a literal that the application's quote closes
  // (`x'='x`) or that another field's value does (`'="or'`, twice in a login form); one that ends in a
  // name or a number leaves that quote open, an error, and is a formula's prime (`p' = 1 - p`).
  if (c.kind === "quote" && right >= t.count && t.kind(t.count - 1) !== K.STR) return;
  if (right >= t.count && strictOrderWithZero(t, at)) return;
  // `"=1"`, `'=B2'` (a quoted formula): a number or a name right before the literal the application's
  // quote closes is no SQL (`1 ''`); a string is (`'a'='a' ''`: adjacent literals concatenate).
  const tail = sig(t, right);
  if (c.kind === "quote" && tail === t.count - 1 && t.kind(tail) === K.STR && t.kind(previous(t, tail)) !== K.STR) return;
  if (endsClause(t, right) && !insideOwnCall(t, c)) report("tautology", 0.6, c.from, t.end(right - 1));
}

/**
 * `=COUNTIF(C:C,"<>")`: the quote sits inside a call the value itself makes (a name glued to the `(`)
 * and closes again, and no comment cuts the query: the quote opened an argument of the value's own call
 * (a spreadsheet's formula) and closed nothing. `1 AND (x'<>'y')` opens no call, `f(a'<>'b') -- ` cuts.
 */
function insideOwnCall(t: SqlTokens, c: Closure): boolean {
  if (SQL_COMMENT.test(t.text)) return false;
  const opens: number[] = [];
  let call = -1;
  for (let k = 0; k < t.text.length; k++) {
    if (k === c.from) call = opens.length ? opens[opens.length - 1]! : -1;
    const ch = t.text.charCodeAt(k);
    if (ch === 40) opens.push(k);
    else if (ch === 41 && opens.length) opens.pop();
  }
  return call > 0 && opens.length === 0 && /\w/.test(t.text[call - 1]!);
}
const SQL_COMMENT = /--|#|\/\*/;

/** `' ORDER BY 3--`, `1 GROUP BY x HAVING 1=1`: column counting and error probes. */
function orderRule(t: SqlTokens, c: Closure, at: number, report: Report): void {
  const by = sig(t, at + 1);
  if (!isWord(t, by, WORD.by)) return;
  let i = by;
  let numeric = false;
  for (let first = true; ; first = false) {
    const item = sig(t, i + 1);
    const end = expression(t, item);
    if (end < 0 && !first && item >= t.count) {
      i = t.count; // `ORDER BY 1,2,--`: a trailing comma before the cut
      break;
    }
    if (end < 0) return;
    if (first) numeric = t.kind(item) === K.NUM && end === item + 1;
    i = sig(t, end);
    if (isWord(t, i, WORD.asc) || isWord(t, i, WORD.desc)) i = sig(t, i + 1);
    if (i >= t.count || t.kind(i) !== K.COMMA) break;
  }
  const last = i >= t.count ? t.count : i;
  if (isWord(t, last, WORD.having)) {
    const chain = conditionChain(t, last);
    if (!chain) return;
    // `' GROUP BY x HAVING min(0) OR 1--`: an error probe compares nothing, and the comment that cuts
    // the query after a value closed by a quote or a number says it is one (prose has neither).
    const endsInComment = chain.end < t.count && t.kind(chain.end) === K.COMMENT;
    if (chain.compared) report("order-by", byClosure(c, 0.9, 0.9, 0.8), c.from, t.end(chain.end - 1));
    else if (endsInComment && (c.kind === "quote" || c.kind === "number")) report("order-by", byClosure(c, 0.85, 0.8, 0), c.from, t.end(chain.end - 1));
    return;
  }
  // `i` skipped comments: look at what really follows the list.
  let end = last;
  while (end > 0 && t.kind(end - 1) === K.COMMENT) end--;
  if (!endsClause(t, end)) return;
  const endsInComment = end < t.count && t.kind(end) === K.COMMENT;
  // `" Order by phone"`: a name to order by, and nothing that cuts the application's own rest of the
  // query (which its quote would break), is how a sentence goes on as often: weak.
  const strength = numeric ? (endsInComment ? byClosure(c, 0.95, 0.9, 0.8) : byClosure(c, 0.9, 0.85, 0.7)) : endsInComment ? byClosure(c, 0.8, 0.7, 0.4) : byClosure(c, 0.45, 0.3, 0.2);
  report("order-by", strength, c.from, t.end(Math.max(end, by + 1) - 1));
}

/**
 * Proof: what precedes is unknown, as for a name that lands bare (`price HAVING 1=1`: 0.7), but a
 * header (where alone this is read) ends in no sentence, and two numbers compared are no header's.
 */
const APPENDED_PROBE = 0.85;
/** How many tokens from a value's end an appended probe is looked for in: a bound, so long texts stay linear. */
const TAIL_TOKENS = 24;

/**
 * `<user agent>) AND 7137=7137-- x`, `<referer> HAVING 6447=6447#`, `<language> ORDER BY 1#`: a
 * condition of two numbers, or a column count, joined to the end of a header's value that closes
 * nothing the analyzer can see, with the rest of the query cut or nothing after it: how a scanner
 * probes a header whichever context it lands in. Only headers: a sentence may end so
 * (`deliver by Friday, order by 5`, `is it true that 1 < 2 and 3 > 2`).
 */
export function appendedProbeRule(t: SqlTokens, report: Report): void {
  for (let i = Math.max(1, t.count - TAIL_TOKENS); i < t.count; i++) {
    const order = isWord(t, i, WORD.order) && isWord(t, sig(t, i + 1), WORD.by);
    if (!order && !(isLogic(t, i) || isWord(t, i, WORD.where) || isWord(t, i, WORD.having))) continue;
    if (t.kind(i) === K.OP) continue; // `&&`, `||`: operators of many languages
    let k = sig(t, order ? sig(t, i + 1) + 1 : i + 1);
    if (isWord(t, k, WORD.not)) k = sig(t, k + 1);
    while (k < t.count && t.kind(k) === K.OPEN) k = sig(t, k + 1);
    if (t.kind(k) !== K.NUM) continue;
    let end = k + 1;
    if (!order) {
      const op = sig(t, k + 1);
      const right = sig(t, op + 1);
      if (!isComparison(t, op) || t.kind(right) !== K.NUM) continue;
      end = right + 1;
      // Arithmetic on the right number (`AND 8260=4754%16`: a suffix the scanner meant as a control
      // character, which a header does not decode, reads as a modulo).
      for (let a = sig(t, end); isArithmetic(t, a) && t.kind(sig(t, a + 1)) === K.NUM; a = sig(t, end)) end = sig(t, a + 1) + 1;
    }
    // Then the end (a comment may cut what follows); after a condition also more conditions
    // (`AND (8004=8004`) or a parenthesis closed.
    const after = sig(t, end);
    if (after < t.count && (order || (!isLogic(t, after) && t.kind(after) !== K.CLOSE))) continue;
    report(order ? "order-by" : "tautology", APPENDED_PROBE, t.start(i), t.end(Math.min(t.count, end) - 1));
    return;
  }
}

/**
 * `(5131=5055)*5055`, `1-(7=7)`: a comparison of two constants, in parentheses, computed with as a
 * number (MySQL and SQLite make it 1 or 0) as the whole value: a boolean probe in a numeric context.
 */
const EQUALITY = new Set(["=", "==", "<>", "!="].map(opCode));

export function comparedConstantsRule(t: SqlTokens, report: Report): void {
  // The value is the expression, as a number parameter's replacement is: `(a=b)*c` or `c-(a=b)`, and
  // nothing around it (code and spreadsheet formulas compute so inside more text: `=SUMPRODUCT((1=1)*5)`).
  const first = sig(t, 0);
  const open = t.kind(first) === K.OPEN ? first : t.kind(first) === K.NUM && isArithmetic(t, sig(t, first + 1)) ? sig(t, sig(t, first + 1) + 1) : -1;
  if (open < 0 || t.kind(open) !== K.OPEN) return;
  const left = sig(t, open + 1);
  const op = sig(t, left + 1);
  const right = sig(t, op + 1);
  const close = sig(t, right + 1);
  if (t.kind(left) !== K.NUM || !isComparison(t, op) || t.kind(right) !== K.NUM || t.kind(close) !== K.CLOSE) return;
  const after = sig(t, close + 1);
  const operand = open === first ? (isArithmetic(t, after) && t.kind(sig(t, after + 1)) === K.NUM ? sig(t, after + 1) : -1) : close;
  if (operand < 0 || sig(t, operand + 1) < t.count) return;
  // Equality is the probe's (`(5131=5055)*5055`); a calculator's input compares with `>` or `<` too (`(2>1)*100`).
  report("tautology", isOp(t, op, EQUALITY) ? 0.85 : 0.8, t.start(open), t.end(close));
}

/** Two constants of one kind with the same text (`1=1`, `'a'='a'`), as token indexes. */
function sameConstants(t: SqlTokens, left: number, right: number): boolean {
  const kind = t.kind(left);
  if ((kind !== K.NUM && kind !== K.STR) || t.kind(right) !== kind) return false;
  return t.end(left) - t.start(left) === t.end(right) - t.start(right) && t.text.slice(t.start(left), t.end(left)) === t.text.slice(t.start(right), t.end(right));
}

/**
 * `id = 5 OR 1=1`, `status = 'x' OR 'a'='a' --`: the whole value a WHERE predicate (a filter that takes
 * one, a JSON key a query builder turns into a column) that ends in OR or AND and a constant equal to
 * itself, where the clause may end: true for every row. The closure rules start after an operand the
 * application wrote, which here the sender wrote too. A quiz's `x = 1 or x = -4` compares a name.
 */
export function predicateTautologyRule(t: SqlTokens, report: Report): void {
  const name = sig(t, 0);
  if (!isPlainWord(t, name)) return;
  const op = sig(t, name + 1);
  const operand = sig(t, op + 1);
  if (!isComparison(t, op) || !(t.kind(operand) === K.NUM || t.kind(operand) === K.STR || isPlainWord(t, operand))) return;
  const logic = sig(t, operand + 1);
  if (!isLogic(t, logic)) return;
  const left = sig(t, logic + 1);
  const equals = sig(t, left + 1);
  const right = sig(t, equals + 1);
  if (isOp(t, equals, EQUALITY) && sameConstants(t, left, right) && endsClause(t, sig(t, right + 1))) report("tautology", 0.85, t.start(name), t.end(right));
}

const MINUS = opCode("-");
const BANG = opCode("!");

/**
 * `1 or true`, `0 OR NOT 0`, `-1 or true--`: the whole value a number, then OR, AND or XOR and a truth
 * value (TRUE, FALSE, or NOT before a number), with nothing after it but a comment: a numeric
 * parameter made a condition that holds for every row, or for none. Prose writes `1 or 2`, not `1 or true`.
 */
export function numericTruthRule(t: SqlTokens, report: Report): void {
  const first = sig(t, 0);
  const number = t.kind(first) === K.OP && t.aux(first) === MINUS ? sig(t, first + 1) : first;
  if (t.kind(number) !== K.NUM) return;
  const logic = sig(t, number + 1);
  if (!isLogic(t, logic)) return;
  let k = sig(t, logic + 1);
  const negated = isWord(t, k, WORD.not) || (t.kind(k) === K.OP && t.aux(k) === BANG);
  if (negated) k = sig(t, k + 1);
  const truth = isWord(t, k, WORD.true) || isWord(t, k, WORD.false) || (negated && t.kind(k) === K.NUM);
  if (truth && sig(t, k + 1) >= t.count) report("tautology", 0.85, t.start(first), t.end(k));
}
