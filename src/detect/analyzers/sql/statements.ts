/**
 * Is the word at a token the start of a real statement, or prose that shares its verb ("drop it in the
 * box", "select the best one")? Each statement has a shape its next tokens must have.
 */
import { condition, flagsAt, groupEnd, isOp, isPlainWord, isReserved, JOINING, lowerTextAt, selectListFollows, sig } from "./grammar.ts";
import { K, type SqlTokens } from "./tokens.ts";
import { W, wordText } from "./words.ts";

/** Reserved words EXEC is followed by in a statement: T-SQL's `EXECUTE AS LOGIN = 'sa'`, `EXECUTE IMMEDIATE`, `EXEC PROCEDURE`. */
const EXECUTE_TAKES = new Set(["as", "immediate", "procedure", "proc"]);

/** What DROP, CREATE, ALTER and TRUNCATE act on. */
const OBJECTS = new Set(["table", "database", "schema", "user", "view", "index", "trigger", "procedure", "function", "login", "extension", "language"]);
/** Words between CREATE and what it creates: `CREATE OR REPLACE FUNCTION`, `CREATE TEMPORARY TABLE`, `CREATE UNIQUE INDEX`. */
const CREATE_MODIFIERS = new Set(["or", "replace", "temporary", "temp", "unique", "trusted"]);

function wordAt(t: SqlTokens, i: number): string {
  return flagsAt(t, i) ? wordText(t.aux(i)) : "";
}

/** The word at a token in lower case, known to the word table or not (`temporary`, `extension`); "" for no word. */
function plainWordAt(t: SqlTokens, i: number): string {
  if (i >= t.count || (t.kind(i) !== K.WORD && !flagsAt(t, i))) return "";
  return lowerTextAt(t, i, 16);
}

function isName(t: SqlTokens, i: number): boolean {
  return i < t.count && (t.kind(i) === K.WORD || t.kind(i) === K.IDENT);
}

/**
 * How surely the statement word at `s` starts a statement: 2 for a shape prose never has
 * (`INSERT INTO`, `DELETE FROM`, `DECLARE @x`, `EXEC(@x)`), 1 for a weaker one (`DROP TABLE`,
 * `SHUTDOWN`), 0 for none.
 */
export function statementShape(t: SqlTokens, s: number): 0 | 1 | 2 {
  if (!(flagsAt(t, s) & W.STATEMENT)) return 0;
  const next = sig(t, s + 1);
  const nextKind = next < t.count ? t.kind(next) : 0;
  const nextWord = wordAt(t, next);
  switch (wordText(t.aux(s))) {
    case "select":
      // `select(...)` is also a call in code (jQuery, Go); the delay or subquery inside is what SQL rules find.
      return t.kind(s) === K.FUNC ? 0 : selectListFollows(t, s + 1, s === 0);
    case "insert":
    case "replace":
      return nextWord === "into" || rowsFollow(t, next) ? 2 : 0;
    case "update":
      return isName(t, next) && wordAt(t, sig(t, next + 1)) === "set" ? 2 : 0;
    case "delete":
      return nextWord === "from" ? 2 : 0;
    case "create": {
      let object = next;
      for (let k = 0; k < 3 && CREATE_MODIFIERS.has(plainWordAt(t, object)); k++) object = sig(t, object + 1);
      return !OBJECTS.has(plainWordAt(t, object)) ? 0 : t.kind(sig(t, sig(t, object + 1) + 1)) === K.OPEN ? 2 : 1;
    }
    case "drop":
    case "alter":
    case "truncate":
      return OBJECTS.has(nextWord) ? 1 : 0;
    case "exec":
    case "execute":
      return execShape(t, next);
    case "declare":
    case "set":
      return nextKind === K.VAR ? 2 : 0;
    case "waitfor":
      return nextWord === "delay" || nextWord === "time" ? 2 : 0;
    case "shutdown":
      // T-SQL's `SHUTDOWN WITH NOWAIT` is no sentence's.
      if (nextWord === "with" && plainWordAt(t, sig(t, next + 1)) === "nowait") return 2;
      return next >= t.count || nextWord === "with" || nextKind === K.SEMI || t.kind(s + 1) === K.COMMENT ? 1 : 0;
    case "call":
      return nextKind === K.FUNC ? 1 : 0;
    case "copy":
      return isName(t, next) && (wordAt(t, sig(t, next + 1)) === "from" || wordAt(t, sig(t, next + 1)) === "to") ? 2 : 0;
    case "grant":
    case "revoke":
      return privilegeShape(t, next);
    case "if":
      return conditionalStatement(t, s);
    default:
      return 0;
  }
}

/** `t (a, b) VALUES (...)`, `t VALUES (...)`, `t SELECT ...`: INSERT and REPLACE without INTO (MySQL). */
function rowsFollow(t: SqlTokens, name: number): boolean {
  if (t.kind(name) === K.FUNC) name = groupEnd(t, sig(t, name + 1)) - 1;
  else if (!isName(t, name)) return false;
  const rows = wordAt(t, sig(t, name + 1));
  return rows === "values" || rows === "select";
}

/**
 * EXEC @sql, EXEC(@sql), EXEC('sel'+'ect ..'), EXEC xp_cmdshell: 2. EXEC name: 1. A plain `exec('ls')`
 * or `exec(cmd)` is a call in code (Node, Python): 0.
 */
function execShape(t: SqlTokens, next: number): 0 | 1 | 2 {
  if (next >= t.count) return 0;
  const kind = t.kind(next);
  if (kind === K.VAR || flagsAt(t, next) & W.DANGEROUS_PROCEDURE) return 2;
  if (kind === K.OPEN) {
    const inner = sig(t, next + 1);
    if (inner >= t.count) return 0;
    // `EXEC(@q)`, `EXEC(0x78705F...)`: dynamic SQL from a variable or a hex string, what hides the statement run.
    if (t.kind(inner) === K.VAR || (t.kind(inner) === K.NUM && t.aux(inner) === 1)) return 2;
    return t.kind(inner) === K.STR && isOp(t, sig(t, inner + 1), JOINING) ? 2 : 0;
  }
  if (kind === K.STR) return 1;
  // A procedure's name is no reserved word: `Execute order 66` is a film's line. EXECUTE AS (T-SQL's
  // impersonation) and EXECUTE IMMEDIATE (Oracle's and Db2's dynamic SQL) take one after them.
  if (isReserved(flagsAt(t, next)) && !EXECUTE_TAKES.has(wordAt(t, next))) return 0;
  return kind === K.FUNC || (isName(t, next) && !isPlainWord(t, sig(t, next + 1))) ? 1 : 0;
}

/** Privilege lists are short: `GRANT connect, resource TO x`. */
const PRIVILEGE_WORDS = 8;

/**
 * `GRANT connect TO name`, `REVOKE ALL ON db.* FROM name`: privileges then TO, ON or FROM, then a name
 * that ends the statement. "grant it to you" names no privilege; "grant access to the building" neither.
 */
function privilegeShape(t: SqlTokens, i: number): 0 | 1 {
  if (!(flagsAt(t, i) & W.PRIVILEGE)) return 0;
  for (let n = 0; n < PRIVILEGE_WORDS && i < t.count; n++, i = sig(t, i + 1)) {
    const word = wordAt(t, i);
    if (word === "to" || word === "from") {
      const name = sig(t, i + 1);
      const after = sig(t, name + 1);
      return isName(t, name) && (after >= t.count || t.kind(after) === K.SEMI || t.kind(after) === K.COMMENT) ? 1 : 0;
    }
    // privileges, `,`, and `ON db.*`
    const kind = t.kind(i);
    if (kind !== K.WORD && kind !== K.COMMA && kind !== K.DOT && !(kind === K.OP && t.aux(i) === 42)) return 0;
  }
  return 0;
}

/** MSSQL `IF (1=1) SELECT 1 ELSE DROP FUNCTION x`: a literal condition, then a real statement (not another IF). */
function conditionalStatement(t: SqlTokens, s: number): 0 | 2 {
  const open = sig(t, s + 1);
  if (open >= t.count || t.kind(open) !== K.OPEN) return 0;
  const first = sig(t, open + 1);
  const test = condition(t, first);
  const after = groupEnd(t, open);
  if (!test?.compared || sig(t, test.end) !== after - 1 || (t.kind(first) !== K.NUM && t.kind(first) !== K.STR)) return 0;
  const then = sig(t, after);
  return wordAt(t, then) !== "if" && statementShape(t, then) > 0 ? 2 : 0;
}
