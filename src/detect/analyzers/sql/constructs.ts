/**
 * Constructs that prove SQL wherever they stand in the value, each rooted at one token: UNION SELECT,
 * a statement stacked after `;`, delays, error-raising and file functions, MSSQL procedures, DECLARE,
 * subqueries, catalogue lookups, strings built from character codes, conditional functions. One pass
 * over the tokens; each check looks a bounded way ahead (groups are skipped whole), so it is linear.
 */
import { callEnd, condition, expression, flagsAt, groupEnd, isLogic, isOp, isWord, JOINING, previous, selectListFollows, sig, sigSpace, WORD } from "./grammar.ts";
import { K, opCode, type SqlTokens } from "./tokens.ts";
import { KEYWORD, W, wordIndex, wordText } from "./words.ts";
import type { Report } from "./report.ts";
import { statementShape } from "./statements.ts";

const EXEC = new Set([wordIndex("exec"), wordIndex("execute")]);
const WAITFOR = wordIndex("waitfor");
const DECLARE = wordIndex("declare");
const WHEN = wordIndex("when");
const THEN = wordIndex("then");
const CONCAT = new Set([wordIndex("concat"), wordIndex("concat_ws"), wordIndex("unhex")]);
const CHAR_CODES = new Set([wordIndex("char"), wordIndex("chr"), wordIndex("nchar")]);
const PLUS = new Set([opCode("+")]);
const CAST = opCode("::");
const PROCEDURE = wordIndex("procedure");
const IMMEDIATE = wordIndex("immediate");
const ANALYSE = wordIndex("analyse");
/** Set operators that join a second SELECT: UNION is the common one, the others are as good. */
const SET_OPERATORS = new Set([WORD.union, wordIndex("except"), wordIndex("intersect"), wordIndex("minus")]);
/** Catalogue names common enough in prose or code that only a qualified use (`sys.objects`) counts. */
const COMMON_CATALOGS = new Set([wordIndex("sys"), wordIndex("mysql")]);
const FROM_LIKE = new Set([WORD.from, wordIndex("join")]);

/** Like previous, also skipping `+` (a space the client never decoded). */
function previousSpace(t: SqlTokens, i: number): number {
  let p = previous(t, i);
  while (p >= 0 && isOp(t, p, PLUS)) p = previous(t, p);
  return p;
}

/**
 * Is the token before i one after which SQL expects a value or a condition (an operator, `(`, `,`, a
 * keyword, AND/OR/`||`/`&&`)?
 */
function inExpressionPosition(t: SqlTokens, i: number): boolean {
  const p = previous(t, i);
  if (p < 0) return false;
  const kind = t.kind(p);
  if (kind === K.OP || kind === K.OPEN || kind === K.COMMA || kind === K.SEMI || kind === K.DOT) return true;
  return (flagsAt(t, p) & KEYWORD) !== 0;
}

/** `quoted`: the tokens start with the literal the value closed (a quote context). */
export function constructRules(t: SqlTokens, quoted: boolean, report: Report): void {
  let selectSeen = false;
  let fromSeen = false;
  for (let i = 0; i < t.count; i++) {
    const kind = t.kind(i);
    if (kind === K.SEMI) stacked(t, i, report);
    else if (kind === K.OP && t.aux(i) === CAST) castError(t, i, report);
    else if (kind === K.OPEN) subquery(t, i, quoted, report);
    else if (kind === K.VAR && systemVariable(t, i)) report("system-variable", 0.6, t.start(i), t.end(i));
    if (kind !== K.WORD && kind !== K.FUNC) continue;
    const word = t.aux(i);
    if (word < 0) continue;
    const flags = flagsAt(t, i);
    const call = kind === K.FUNC;
    if (word === WORD.select) selectSeen = true;
    else if (FROM_LIKE.has(word)) fromSeen = selectSeen;
    else if (SET_OPERATORS.has(word)) union(t, i, quoted, report);
    else if (word === WORD.into) intoFile(t, i, report);
    else if (word === WAITFOR) waitfor(t, i, report);
    else if (word === DECLARE) declare(t, i, report);
    else if (EXEC.has(word)) exec(t, i, report);
    else if (word === WORD.case) caseWhen(t, i, report);
    else if (word === PROCEDURE && isWord(t, sigSpace(t, i + 1), ANALYSE) && t.kind(sigSpace(t, i + 1)) === K.FUNC) {
      // MySQL's PROCEDURE ANALYSE() after a SELECT: reads the result's column types and values.
      report("procedure", 0.8, t.start(i), t.end(sigSpace(t, i + 1)));
    }
    if (flags & W.DANGEROUS_PROCEDURE) procedure(t, i, report);
    if (flags & W.CATALOG) catalog(t, i, fromSeen, report);
    if (!call) continue;
    if (flags & W.DELAY_FUNCTION) delay(t, i, quoted, report);
    if (flags & W.ERROR_FUNCTION) errorFunction(t, i, report);
    if (flags & W.FILE_FUNCTION) report("file-access", 0.85, t.start(i), t.end(i));
    if (CHAR_CODES.has(word) || CONCAT.has(word)) stringBuilding(t, i, report);
    if (flags & W.CONDITION_FUNCTION) conditionFunction(t, i, report);
  }
}

/** `@@version`, `@@datadir`: a server variable (ASCII-named, so binary noise after `@@` is not one). */
function systemVariable(t: SqlTokens, i: number): boolean {
  const at = t.start(i);
  const c = t.text.charCodeAt(at + 2) | 0x20;
  return t.text.charCodeAt(at + 1) === 64 && c >= 97 && c <= 122;
}

/** UNION [ALL|DISTINCT] SELECT ..., or UNION (SELECT ...). */
function union(t: SqlTokens, i: number, quoted: boolean, report: Report): void {
  let j = sigSpace(t, i + 1);
  if (isWord(t, j, WORD.all) || isWord(t, j, WORD.distinct) || isWord(t, j, WORD.distinctrow)) j = sigSpace(t, j + 1);
  if (j < t.count && t.kind(j) === K.OPEN) j = sigSpace(t, j + 1);
  if (!isWord(t, j, WORD.select)) return;
  // A fragment that stops at SELECT is still UNION SELECT; prose would go on with words.
  const list = selectListFollows(t, j + 1);
  // "all except select members": prose joins SELECT to the rarer set operators, so they need a real list.
  // `' UNION SELECT`: right after the literal the value closed, a fragment that stops at SELECT is a probe.
  const fragment = quoted && previous(t, i) === 0 ? 0.85 : 0.7;
  const strength = list === 2 ? 0.95 : t.aux(i) !== WORD.union ? 0.4 : list === 1 ? 0.8 : sigSpace(t, j + 1) >= t.count ? fragment : 0.4;
  report("union", strength, t.start(i), t.end(j));
}

/** `; DROP TABLE x`, `; EXEC xp_cmdshell`, `; SELECT ...`, `; WAITFOR DELAY`, `; SHUTDOWN --`. */
function stacked(t: SqlTokens, semi: number, report: Report): void {
  const s = sig(t, semi + 1);
  const shape = statementShape(t, s);
  if (shape > 0) report("stacked", shape === 2 ? 0.9 : 0.8, t.start(semi), t.end(Math.min(sig(t, s + 1), t.count - 1)));
}

/**
 * `(SELECT ...)` as a value: a subquery an attacker reads data with. "(select 2 options)" has no FROM
 * and no SQL before it. Right after a word that is no SQL (`statement timeout (SELECT * FROM ...)`,
 * an error message quoting its query) it is a sentence's parenthesis: a subquery stands where a value
 * does, after an operator, a keyword (`IN`, `EXISTS`) or at the start.
 */
function subquery(t: SqlTokens, open: number, quoted: boolean, report: Report): void {
  const s = sigSpace(t, open + 1);
  if (!isWord(t, s, WORD.select) || selectListFollows(t, s + 1) !== 2) return;
  const end = groupEnd(t, open);
  const before = previous(t, open);
  // The tokenizer reads `word (` as a call; blanks before the parenthesis (no comment) and a word SQL's list does not know make it prose.
  const parenthesis =
    before >= 0 &&
    (t.kind(before) === K.WORD || t.kind(before) === K.FUNC) &&
    t.aux(before) < 0 &&
    BLANKS_ONLY.test(t.text.slice(t.end(before), t.start(open))) &&
    !TAKES_SUBQUERY.test(t.text.slice(t.start(before), t.end(before)));
  const strength = parenthesis ? PARENTHESIS : sqlBefore(t, open, quoted) ? 0.9 : hasFrom(t, s + 1, end) ? 0.8 : 0.6;
  report("subquery", strength, t.start(open), t.end(end - 1));
}

/** A subquery in a sentence's parenthesis: what the model weighs, below the strong range. */
const PARENTHESIS = 0.5;
/** Predicates and constructors that take a subquery and that the word list leaves out as English (`EXISTS (SELECT`, `ANY (ARRAY (SELECT`). */
const TAKES_SUBQUERY = /^(?:exists|any|some|all|array)$/i;
const BLANKS_ONLY = /^[ \t\r\n]+$/;

/** A FROM at the top level of [i, end) (nested groups skipped, so each token is looked at once overall). */
function hasFrom(t: SqlTokens, i: number, end: number): boolean {
  while (i < end) {
    if (isWord(t, i, WORD.from)) return true;
    i = t.kind(i) === K.OPEN ? groupEnd(t, i) : i + 1;
  }
  return false;
}

/** How far back `sqlBefore` looks. */
const SQL_LOOKBACK = 5;
const SQL_WORDS = W.LOGIC | W.NOT | W.COMPARE | W.RESERVED | W.STATEMENT | W.CONDITION_FUNCTION | W.PROBE_FUNCTION;

/**
 * Is there SQL just before token i (AND, OR, `&&`, SELECT, WHERE, IF(, the quote the value closed)?
 * `x = sleep(100)` in a code snippet has none; `1' AND 1=SLEEP(5)` and `'+SLEEP(5)+'` have.
 */
function sqlBefore(t: SqlTokens, i: number, quoted: boolean): boolean {
  for (let p = previous(t, i), n = 0; p >= 0 && n < SQL_LOOKBACK; p = previous(t, p), n++) {
    if (flagsAt(t, p) & SQL_WORDS || isLogic(t, p) || (p === 0 && quoted)) return true;
  }
  return false;
}

/** Is the token at i a comment that cuts the query (`sleep(5)#`, `benchmark(..)--`)? */
function commentAt(t: SqlTokens, i: number): boolean {
  return i < t.count && t.kind(i) === K.COMMENT;
}

/** INTO OUTFILE / DUMPFILE: writes a file on the server (a web shell). */
function intoFile(t: SqlTokens, i: number, report: Report): void {
  const j = sigSpace(t, i + 1);
  if (isWord(t, j, WORD.outfile) || isWord(t, j, WORD.dumpfile)) report("file-access", 0.95, t.start(i), t.end(j));
}

/** WAITFOR DELAY '0:0:5' (MSSQL). */
function waitfor(t: SqlTokens, i: number, report: Report): void {
  const j = sigSpace(t, i + 1);
  const w = flagsAt(t, j) ? wordText(t.aux(j)) : "";
  if (w !== "delay" && w !== "time") return;
  const k = sigSpace(t, j + 1);
  const literal = k < t.count && (t.kind(k) === K.STR || t.kind(k) === K.VAR);
  report("time", literal ? 0.95 : 0.7, t.start(i), t.end(literal ? k : j));
}

/** Words before a call that make it a clause's: `ORDER BY sleep(5)`, `SELECT sleep(5)`, `THEN pg_sleep(5)`. */
const CLAUSE_WORDS = new Set(["by", "select", "then", "else", "when", "where", "having", "do", "return", "call", "exec", "execute", "union", "all", "distinct", "values", "set"]);

/**
 * A delay named in a sentence: a word before it that joins no condition and starts no clause, and a
 * word after it (`issues with sleep(5) in my sketch`, `how to use sleep(5) in python`). An injected
 * delay follows what the value closed, a condition's `AND`, or a clause.
 */
function mentionedInProse(t: SqlTokens, i: number, end: number): boolean {
  const before = previous(t, i);
  const after = sig(t, end);
  if (before < 0 || t.kind(before) !== K.WORD || after >= t.count || t.kind(after) !== K.WORD || isLogic(t, after)) return false;
  return (flagsAt(t, before) & (W.LOGIC | W.NOT)) === 0 && !CLAUSE_WORDS.has(wordText(t.aux(before)));
}

/** A delay named in prose counts for no more than this. */
const MENTIONED_DELAY = 0.5;

/** SLEEP(5), BENCHMARK(n, expr), PG_SLEEP(5), DBMS_PIPE.RECEIVE_MESSAGE(..), RANDOMBLOB(n). */
function delay(t: SqlTokens, i: number, quoted: boolean, report: Report): void {
  const end = callEnd(t, i);
  if (end < 0) return;
  const open = sig(t, i + 1);
  const close = t.match(open);
  const arg = expression(t, open + 1);
  const oneArg = arg > 0 && sig(t, arg) === close;
  const qualified = t.kind(previous(t, i)) === K.DOT;
  // `1-SLEEP(5)`, `7*sleep(3)`: the value closed its number and computes with the delay.
  const before = previous(t, i);
  const afterNumber = t.kind(before) === K.OP && previous(t, before) === 0 && t.kind(0) === K.NUM;
  const inSql = sqlBefore(t, i, quoted) || commentAt(t, end) || afterNumber;
  let strength = 0;
  switch (wordText(t.aux(i))) {
    case "benchmark":
      // BENCHMARK takes a count and an expression: with one argument (`Benchmark (2019)`) it is no call MySQL runs.
      strength = arg > 0 && t.kind(sig(t, arg)) === K.COMMA ? (inSql ? 0.95 : 0.75) : t.kind(sig(t, open + 1)) === K.NUM && !oneArg ? 0.7 : 0;
      break;
    case "pg_sleep":
      strength = oneArg ? 0.95 : 0.7;
      break;
    case "receive_message":
      strength = qualified ? 0.95 : 0;
      break;
    case "randomblob":
      strength = oneArg ? 0.85 : 0;
      break;
    case "sleep":
      strength = !oneArg ? 0 : qualified ? 0.95 : inSql ? 0.9 : 0.7;
      break;
  }
  if (strength > 0) report("time", mentionedInProse(t, i, end) ? Math.min(strength, MENTIONED_DELAY) : strength, t.start(i), t.end(end - 1));
}

/** EXTRACTVALUE, UPDATEXML, UTL_INADDR.GET_HOST_ADDRESS, CONVERT(INT, ...): errors that carry data out. */
function errorFunction(t: SqlTokens, i: number, report: Report): void {
  const end = callEnd(t, i);
  if (end < 0) return;
  const open = sig(t, i + 1);
  const first = sig(t, open + 1);
  let strength: number;
  switch (wordText(t.aux(i))) {
    case "convert":
      strength = flagsAt(t, first) & W.TYPE && t.kind(sig(t, first + 1)) === K.COMMA ? 0.8 : 0;
      break;
    case "get_host_address":
      strength = t.kind(previous(t, i)) === K.DOT ? 0.9 : 0.6;
      break;
    case "xmltype":
      strength = 0.7;
      break;
    default:
      strength = first < t.match(open) ? 0.9 : 0;
  }
  if (strength > 0) report("error-function", strength, t.start(i), t.end(end - 1));
}

/**
 * `encode(lo_get(16400),'base64')::int`, `overlay(password placing '' from 1 for 0)::int`: a call's text
 * cast to a number (PostgreSQL) fails with an error that shows the text: error-based extraction.
 */
function castError(t: SqlTokens, i: number, report: Report): void {
  const close = previous(t, i);
  const type = sig(t, i + 1);
  if (t.kind(close) !== K.CLOSE || !(flagsAt(t, type) & W.TYPE) || t.kind(type) !== K.WORD) return;
  // The group closed before `::` must be a call's arguments.
  const call = previous(t, t.aux(close));
  if (t.aux(close) >= 0 && t.kind(call) === K.FUNC) report("error-function", 0.8, t.start(call), t.end(type));
}

/** xp_cmdshell, xp_dirtree, sp_oacreate, ...: strongest after EXEC (`exec master..xp_dirtree`). */
function procedure(t: SqlTokens, i: number, report: Report): void {
  let p = previous(t, i);
  // Skip a qualifier: master..xp_cmdshell, master.dbo.xp_cmdshell.
  while (p >= 1 && t.kind(p) === K.DOT) {
    p = previous(t, p);
    if (p >= 0 && t.kind(p) === K.DOT) p = previous(t, p);
    if (p >= 0 && (t.kind(p) === K.WORD || t.kind(p) === K.IDENT)) p = previous(t, p);
  }
  const afterExec = p >= 0 && EXEC.has(t.aux(p)) && (t.kind(p) === K.WORD || t.kind(p) === K.FUNC);
  const extended = t.text.charCodeAt(t.start(i)) === 120 || t.text.charCodeAt(t.start(i)) === 88; // xp_
  const strength = afterExec ? 0.95 : extended ? 0.85 : 0.7;
  report("procedure", strength, afterExec ? t.start(p) : t.start(i), t.end(i));
}

/** EXEC(@sql), EXEC('sel'+'ect ...'), EXEC @sql: dynamic SQL. */
function exec(t: SqlTokens, i: number, report: Report): void {
  let j = sig(t, i + 1);
  // Oracle's EXECUTE IMMEDIATE 'sql' / :var
  if (isWord(t, j, IMMEDIATE)) {
    const sql = sig(t, j + 1);
    if (t.kind(sql) === K.STR || t.kind(sql) === K.VAR || (t.kind(sql) === K.OP && t.aux(sql) === 58 /* : */)) report("procedure", 0.85, t.start(i), t.end(sql));
    return;
  }
  if (j < t.count && t.kind(j) === K.OPEN) j = sig(t, j + 1);
  if (j < t.count && (t.kind(j) === K.VAR || (t.kind(j) === K.STR && isOp(t, sig(t, j + 1), JOINING)))) {
    report("procedure", 0.9, t.start(i), t.end(j));
  }
}

/** DECLARE @x VARCHAR(99), DECLARE @t TABLE (...). */
function declare(t: SqlTokens, i: number, report: Report): void {
  const v = sig(t, i + 1);
  if (v >= t.count || t.kind(v) !== K.VAR) return;
  const type = sig(t, v + 1);
  if (flagsAt(t, type) & (W.TYPE | W.RESERVED) || (type < t.count && t.kind(type) === K.FUNC)) {
    report("declare", 0.9, t.start(i), t.end(type));
  }
}

/**
 * information_schema.tables, sysobjects, pg_catalog, ... read by a query: in a SELECT's FROM, or right
 * after FROM or JOIN (the value carries the query's tail). `sys` and `mysql` count only qualified and
 * after a SELECT, since prose and code use them.
 */
function catalog(t: SqlTokens, i: number, fromSeen: boolean, report: Report): void {
  const qualified = t.kind(sig(t, i + 1)) === K.DOT;
  const before = previousSpace(t, i);
  const afterFrom = FROM_LIKE.has(t.aux(before)) && (t.kind(before) === K.WORD || t.kind(before) === K.FUNC);
  if (COMMON_CATALOGS.has(t.aux(i)) ? fromSeen && qualified : fromSeen || afterFrom) {
    report("schema-lookup", 0.9, t.start(i), t.end(i));
  }
}

/** CHAR(83)+CHAR(69), CHR(83)||CHR(69), CONCAT(0x71, ...), UNHEX(0x..): a literal spelled so no quote is needed. */
function stringBuilding(t: SqlTokens, i: number, report: Report): void {
  const open = sig(t, i + 1);
  const first = sig(t, open + 1);
  if (CONCAT.has(t.aux(i))) {
    const hex = t.kind(first) === K.NUM && t.aux(first) === 1;
    const code = CHAR_CODES.has(t.aux(first)) && t.kind(first) === K.FUNC;
    if (hex || code) report("string-building", 0.8, t.start(i), t.end(groupEnd(t, open) - 1));
    return;
  }
  // A chain of character codes, counted from its first link only.
  const before = previous(t, i);
  if (before >= 0 && isOp(t, before, JOINING)) return;
  let links = 0;
  let end = i;
  for (let j = i; j < t.count && t.kind(j) === K.FUNC && CHAR_CODES.has(t.aux(j)); ) {
    const argument = sig(t, sig(t, j + 1) + 1);
    const after = callEnd(t, j);
    if (after < 0 || t.kind(argument) !== K.NUM) break;
    links++;
    end = after - 1;
    const join = sig(t, after);
    if (!isOp(t, join, JOINING)) break;
    j = sig(t, join + 1);
  }
  if (links >= 2) report("string-building", 0.8, t.start(i), t.end(end));
}

/** What a blind extraction reads a character at a time: the database's own name, user and version. */
const IDENTITY_FUNCTIONS = new Set(["database", "user", "current_user", "system_user", "session_user", "version", "schema", "db_name", "user_name"].map(wordIndex));
/** Tokens of an IF's condition looked through for them. */
const PROBE_TOKENS = 32;

/** A number or a string: a constant a condition compares. */
function isLiteral(t: SqlTokens, i: number): boolean {
  return t.kind(i) === K.NUM || t.kind(i) === K.STR;
}

/** ELT(1=1, ...), MAKE_SET(5=5, ...), IIF(1=1, ...), IF(1=1, ...): a boolean-blind probe. */
function conditionFunction(t: SqlTokens, i: number, report: Report): void {
  const open = sig(t, i + 1);
  const first = sig(t, open + 1);
  const test = condition(t, first);
  if (!test?.compared || t.kind(sig(t, test.end)) !== K.COMMA) return;
  const close = groupEnd(t, open);
  delayInBranches(t, test.end, close, report);
  const literal = isLiteral(t, first);
  const name = wordText(t.aux(i));
  // `IF(1=1, name, price)` as a sort order, `IF(ASCII(SUBSTR(DATABASE(),1,1))>64, ...)`: two constants
  // compared decide nothing a query needs, and a condition on the database's own name, user or version
  // is blind extraction, wherever the call stands (a formula's `IF(LEFT({SKU},2)="AB",1,0)` reads its own data).
  const right = sig(t, sig(t, first + 1) + 1);
  const constant = literal && isLiteral(t, right) && sig(t, right + 1) === sig(t, test.end);
  // Bounded: extraction conditions are short, and nested IFs must not each read all the ones inside.
  const probe = () => {
    for (let k = first, end = Math.min(test.end, first + PROBE_TOKENS); k < end; k++) if (t.kind(k) === K.FUNC && IDENTITY_FUNCTIONS.has(t.aux(k))) return true;
    return false;
  };
  const ifLike = name === "if" || name === "iif";
  const strength = name === "elt" || name === "make_set" || (ifLike && (constant || probe())) ? 0.85 : !literal ? 0 : name === "iif" ? 0.85 : inExpressionPosition(t, i) ? 0.7 : 0;
  if (strength > 0) report("conditional-function", strength, t.start(i), t.end(close - 1));
}

/**
 * CASE WHEN 1=1 THEN ...: a boolean-blind probe (prose says "in case when", without a comparison and
 * THEN). Two constants compared (`WHEN 3923=3923`, `WHEN (3923=3923)`) decide nothing a query needs:
 * the probe's tell; so does a constant tested against one in parentheses (`(CASE 1766 WHEN 1766`).
 */
function caseWhen(t: SqlTokens, i: number, report: Report): void {
  const subject = sig(t, i + 1);
  if (isLiteral(t, subject) && t.kind(previous(t, i)) === K.OPEN) {
    // `(CASE 1766 WHEN 1766 THEN`: the simple form on a constant, in the parentheses a probe puts
    // around it; a lesson writes `SELECT CASE grade WHEN ...` in a select list.
    const when = sig(t, subject + 1);
    const value = sig(t, when + 1);
    const then = sig(t, value + 1);
    if (isWord(t, when, WHEN) && isLiteral(t, value) && isWord(t, then, THEN)) {
      report("conditional-function", 0.8, t.start(i), t.end(then));
      delayInBranches(t, then + 1, Math.min(t.count, then + CASE_BRANCH_TOKENS), report);
    }
    return;
  }
  const when = subject;
  if (!isWord(t, when, WHEN)) return;
  const test = condition(t, when + 1);
  const then = test?.compared ? sig(t, test.end) : -1;
  if (!isWord(t, then, THEN)) return;
  // `CASE WHEN 5=5`: a literal compared is a probe; `case when x == y then` may be Ruby.
  const open = sig(t, when + 1);
  const grouped = t.kind(open) === K.OPEN && t.match(open) === previous(t, then);
  const left = grouped ? sig(t, open + 1) : open;
  const op = sig(t, left + 1);
  const right = sig(t, op + 1);
  const literal = isLiteral(t, left);
  const constant = literal && t.kind(op) === K.OP && isLiteral(t, right) && previous(t, then) === (grouped ? t.match(open) : right);
  report("conditional-function", constant ? 0.9 : literal ? 0.8 : 0.6, t.start(i), t.end(then));
  delayInBranches(t, then + 1, Math.min(t.count, then + CASE_BRANCH_TOKENS), report);
}

/** How far after THEN a CASE's branches are looked into (a bound, so long CASE chains stay linear). */
const CASE_BRANCH_TOKENS = 64;

/**
 * `IF(now()=sysdate(),sleep(12),0)`, `CASE WHEN 1=1 THEN pg_sleep(5) ...`: a delay that runs only when
 * a condition holds is a time-based blind probe, whatever stands before it. Groups are skipped whole.
 */
function delayInBranches(t: SqlTokens, from: number, end: number, report: Report): void {
  for (let i = from; i < end; i = t.kind(i) === K.OPEN ? groupEnd(t, i) : i + 1) {
    if (t.kind(i) === K.FUNC && flagsAt(t, i) & W.DELAY_FUNCTION && callEnd(t, i) > 0) {
      report("time", 0.9, t.start(i), t.end(callEnd(t, i) - 1));
      return;
    }
  }
}
