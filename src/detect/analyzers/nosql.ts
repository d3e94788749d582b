/**
 * NoSQL (MongoDB) injection: query operators where the application expects a plain value, and
 * JavaScript where a `$where` clause or a server-side function pastes the value.
 * - Operators arrive as JSON keys (`{"password": {"$ne": null}}`), as bracketed parameter names that
 *   body parsers turn into objects (`password[$ne]=x`), or as object text inside a value
 *   (`{$gt: ''}`, `', $where: '1 == 1'`). `$where`, `$function` and `$accumulator` run JavaScript:
 *   strong anywhere. Comparison operators are also the public filter syntax of some APIs (Strapi's
 *   `filters[title][$eq]`), so they are moderate, and strong only on a credential field, where an
 *   always-true comparison is the login bypass.
 * - JavaScript that breaks out of a quoted string in a `$where` (`'; return true; var x='`,
 *   `' && this.password.match(/.*\/)//`), an always-true `==` comparison after `||`/`&&` (SQL
 *   compares with a single `=`), and mongo shell calls (`db.users.find(`).
 */
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { finding, reportsStatement } from "./text.ts";

const find = (rule: string, strength: number, start: number, end: number): Finding => finding("nosqli", `nosql.${rule}`, strength, start, end);

/** Operators that run JavaScript on the server. */
const CODE_OPERATORS = new Set(["where", "function", "accumulator"]);
/** Query operators that make a comparison always true or widen a match. */
const QUERY_OPERATORS = new Set([
  "ne", "gt", "gte", "lt", "lte", "nin", "in", "eq", "regex", "exists", "not", "or", "nor", "and", "elemmatch", "expr", "type", "all", "size", "mod", "text", "options", "jsonschema",
]);
/**
 * Aggregation stages that reach past the query's own collection: `$lookup`, `$graphLookup` and
 * `$unionWith` read another one (`users`), `$out` and `$merge` write one. An application that passes a
 * client's pipeline to `aggregate` hands over every collection; but dashboards and database consoles
 * send pipelines by design, so a stage is moderate evidence (0.6), for the model to weigh.
 */
const STAGE_OPERATORS = new Set(["lookup", "graphlookup", "unionwith", "out", "merge"]);
/** Field names whose comparison decides a login or a token check. */
const CREDENTIAL_FIELD = /pass|pwd|user|login|email|token|secret|auth|session|pin$|otp|code$|api_?key/i;

function operatorAt(text: string, dollar: number): [string, number] | null {
  let j = dollar + 1;
  while (j < text.length && j - dollar <= 16 && /[A-Za-z]/.test(text[j]!)) j++;
  const op = text.slice(dollar + 1, j).toLowerCase();
  return CODE_OPERATORS.has(op) || QUERY_OPERATORS.has(op) || STAGE_OPERATORS.has(op) ? [op, j] : null;
}

/** The finding of an operator: code runs; a stage reaches other collections; a comparison widens a match, most on a credential. */
function operatorFinding(op: string, credential: () => boolean, start: number, end: number): Finding {
  if (CODE_OPERATORS.has(op)) return find("code-operator", 0.9, start, end);
  if (STAGE_OPERATORS.has(op)) return find("pipeline-stage", 0.6, start, end);
  return find("query-operator", credential() ? 0.85 : 0.6, start, end);
}

/** The field an operator key applies to: `password` in `password[$ne]` or `body.json.password.$ne`. */
function fieldOf(input: AnalyzerInput, dollar: number): string {
  const text = input.text;
  if (dollar > 0 && text[dollar - 1] === "[") {
    const open = text.lastIndexOf("[", dollar - 2);
    return text.slice(open + 1, dollar - 1).replace(/]$/, "") || text.slice(0, dollar - 1);
  }
  if (dollar > 0 && text[dollar - 1] === ".") return text.slice(Math.max(text.lastIndexOf(".", dollar - 2), text.lastIndexOf("[", dollar - 2)) + 1, dollar - 1).replace(/]$/, "");
  const segments = input.path.split(".");
  return segments.length >= 2 ? segments[segments.length - 2]! : "";
}

/**
 * A key that is an operator (`$ne`), or a parameter name that builds one (`user[$ne]`, `a[b][$regex]`,
 * and with `qs`'s `allowDots`, `user.$ne`, in a query or a form: a JSON key's dots are a field path).
 */
function keyFindings(input: AnalyzerInput, out: Finding[]): void {
  const text = input.text;
  const dots = !input.path.startsWith("body.json");
  for (let d = text.indexOf("$"); d >= 0; d = text.indexOf("$", d + 1)) {
    const dotted = dots && d > 0 && text[d - 1] === ".";
    if (d !== 0 && text[d - 1] !== "[" && !dotted) continue;
    const op = operatorAt(text, d);
    if (!op) continue;
    // The operator's name ends the key (`$ne`), its bracket (`[$ne]`), or its dotted segment (`.$ne`, `.$ne.x`).
    const after = text[op[1]];
    const ends = d === 0 ? op[1] === text.length : dotted ? after === undefined || after === "." || after === "[" : after === "]";
    if (!ends) continue;
    out.push(operatorFinding(op[0], () => CREDENTIAL_FIELD.test(fieldOf(input, d)), d, op[1]));
    return;
  }
}

/** Characters of a field's name, read back from its colon (at most 64). */
const isFieldChar = (c: string | undefined) => c !== undefined && /[\w.-]/.test(c);

/** `"score": {` before the operator's object at `open`: the field it tests, else the value's own name. */
function operatorField(text: string, open: number, name: string): string {
  let i = open - 1;
  while (text[i] === " ") i--;
  if (text[i] !== ":") return name;
  i--;
  while (text[i] === " ") i--;
  if (text[i] === '"' || text[i] === "'") i--;
  const end = i + 1;
  while (end - i <= 64 && isFieldChar(text[i])) i--;
  return end - i > 1 ? text.slice(i + 1, end) : name;
}

/**
 * Operator syntax inside a value: `{$ne: 1}`, `{"$gt": ""}`, `', $where: '1 == 1'`, `[$ne]=1`. A
 * comparison on a field that is no credential (`{"score": {"$gte": 1000}}`) is how APIs such as Parse
 * Server filter: weaker, as for a key (keyFindings).
 */
function valueOperatorFindings(input: AnalyzerInput, out: Finding[]): void {
  const text = input.text;
  let best: Finding | null = null;
  for (let d = text.indexOf("$"); d >= 0; d = text.indexOf("$", d + 1)) {
    const op = operatorAt(text, d);
    // A stage inside a text is a pipeline quoted (a docs search, a note): only a key builds one.
    if (!op || STAGE_OPERATORS.has(op[0])) continue;
    let before = d - 1;
    if (text[before] === '"' || text[before] === "'") before--;
    while (before >= 0 && text[before] === " ") before--;
    let after = op[1];
    if (text[after] === '"' || text[after] === "'") after++;
    while (text[after] === " ") after++;
    const opensObject = text[before] === "{" || text[before] === ",";
    const bracketed = text[d - 1] === "[" && text[op[1]] === "]";
    if (!(opensObject && text[after] === ":") && !bracketed) continue;
    const found = operatorFinding(op[0], () => CREDENTIAL_FIELD.test(text[before] === "{" ? operatorField(text, before, input.name) : input.name), Math.max(before, 0), op[1]);
    // Every operator is read: a filter's first one hides no credential's or code's after it.
    if (!best || found.strength > best.strength) best = found;
    if (found.strength >= 0.9) break;
  }
  if (best) out.push(best);
}

/**
 * A quoted string closed, then JavaScript: a statement (`;return`, `;sleep(`) or a condition on `this`.
 * Sticky, from the value's first character that is not a space: a leading `\s*` here would share a run
 * of spaces with the one before the separator, and a value of spaces alone would take quadratic time.
 */
const JS_BREAKOUT = /[\w.]{0,16}['"]?\s*(?:;|&&|\|\|)\s*(?:return\b|sleep\s*\(|while\s*\(|do\s*\{|this\.|emit\s*\(|(?:(?:var|let|const)\s+)?[A-Za-z_$][\w$]*\s*=\s*new\s+Date\b)/y;
/** `|| 1==1`, `&& 'a'=='a'`: an always-true comparison in JavaScript's `==`. */
const JS_TAUTOLOGY = /(?:\|\||&&)\s*(['"]?)(\w+)\1\s*===?\s*\1\2(?!\w)/;
/** The mongo shell's collection and database calls. */
const SHELL_CALL = /\bdb\.(?:[A-Za-z_$][\w$]*\.)?(?:find|findOne|insert|insertOne|insertMany|update|updateOne|updateMany|remove|deleteOne|deleteMany|drop|dropDatabase|mapReduce|aggregate|getCollection|getCollectionNames|runCommand|eval)\s*\(/;

function javascriptFindings(text: string, out: Finding[]): void {
  JS_BREAKOUT.lastIndex = text.length - text.trimStart().length;
  const breakout = JS_BREAKOUT.exec(text);
  if (breakout) out.push(find("js-breakout", 0.85, breakout.index, breakout.index + breakout[0].length));
  const tautology = text.indexOf("||") >= 0 || text.indexOf("&&") >= 0 ? JS_TAUTOLOGY.exec(text) : null;
  if (tautology) out.push(find("js-tautology", 0.75, tautology.index, tautology.index + tautology[0].length));
  const shell = text.indexOf("db.") >= 0 ? SHELL_CALL.exec(text) : null;
  if (shell) out.push(find("shell-call", 0.85, shell.index, shell.index + shell[0].length));
}

/** The operator a bracketed parameter's name ends with (`q[$regex]`, `a[b][$ne]`), as body parsers build it. */
const NAMED_OPERATOR = /\[\$(ne|regex|gt|gte)\]$/i;
/**
 * Operands that make the operator match every document: a pattern of anything (`.*`, `^`, `.+`),
 * "not equal to null", "greater than the empty string". An API's filter names a value to compare with;
 * these name none, which is how an injected operator turns a lookup into all of it (nosqlmap's first
 * probes). A note: `$ne` with an empty value, or `$gt` with none, sends no leaf.
 */
const EMPTY_STRING = /^(?:''|"")$/;
const MATCH_ALL: Record<string, RegExp> = { ne: /^(?:null|undefined)$/i, regex: /^\^?(?:\.[*+]?)?\$?$|^\[\\s\\S\][*+]$/, gt: EMPTY_STRING, gte: EMPTY_STRING };

function matchAllOperand(input: AnalyzerInput): Finding | null {
  const op = input.kind === "value" && input.name.indexOf("[$") !== -1 ? NAMED_OPERATOR.exec(input.name) : null;
  if (!op || !MATCH_ALL[op[1]!.toLowerCase()]!.test(input.text.trim())) return null;
  return find("match-all", 0.85, 0, input.text.length);
}

/**
 * An ORM's filter written into a parameter's name or a JSON body's path, on a secret's column: Django's
 * lookups (`password__startswith=p`, `created_by__user__password__regex=^a`) and Prisma's nested
 * filters (`{"where": {"password": {"startsWith": "a"}}}`, `where[resetToken][startsWith]=a`). An API
 * that hands its client's filter to the ORM lets it guess a hash or a reset token a piece at a time (an
 * "ORM leak"): 0.85 for a lookup by a piece, 0.6 for a comparison. The secret is a whole column's name
 * (a hash or a token only as a password's, a reset's, an access's: `commit_hash`, a word list's `token`
 * are data). Filtering other columns is what such APIs are for (`username__istartswith`, `price__gte`).
 */
const ORM_SECRET_LOOKUP = /(?:^|__|[._[\]])(?:password|passwd|pwd|secret|salt|otp|api_?key|(?:password|reset|access|refresh|auth|session|api)_?(?:hash|token|key))(?:__(?:(i?startswith|i?endswith|i?contains|i?regex)|i?exact|gte?|lte?|in|isnull|range)|(?:\.|\]\[)(startsWith|endsWith|contains))(?:$|[^\w])/i;

function ormSecretLookup(input: AnalyzerInput): Finding | null {
  const m = input.kind === "value" ? ORM_SECRET_LOOKUP.exec(input.path) : null;
  return m ? find("orm-lookup", m[1] || m[2] ? 0.85 : 0.6, 0, input.text.length) : null;
}

export const nosqlAnalyzer: Analyzer = {
  name: "nosql",
  analyze(input: AnalyzerInput): Finding[] {
    const text = input.text;
    if (typeof text !== "string" || reportsStatement(input)) return [];
    const matchAll = matchAllOperand(input);
    if (matchAll) return [matchAll];
    const orm = ormSecretLookup(input);
    if (text.length < 3) return orm ? [orm] : [];
    const out: Finding[] = orm ? [orm] : [];
    const dollar = text.indexOf("$") >= 0;
    if (input.kind === "key") {
      if (dollar) keyFindings(input, out);
      return out;
    }
    if (dollar) valueOperatorFindings(input, out);
    javascriptFindings(text, out);
    return out;
  },
};
