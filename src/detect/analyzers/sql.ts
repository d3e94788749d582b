/**
 * The SQL-injection analyzer. A value can land in a query bare (as a number), inside '...' or inside
 * "...". It is tokenized as SQL in each context it could close (a quote context only when the value
 * holds that quote), and a finding needs the value to leave its context and go on as SQL: a
 * condition, UNION SELECT, a stacked statement, a delay, a comment that cuts the query, and so on.
 * Text that is SQL-free stays finding-free however it is quoted. The text is already decoded by the
 * decompose stage; comments, executable comments and case are handled by the tokenizer.
 */
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { closureRules, findClosure } from "./sql/closure.ts";
import { constructRules } from "./sql/constructs.ts";
import { escapedFirstQuote, PLAIN_LITERAL, SqlTokens, tokenize } from "./sql/tokens.ts";

/** Characters SQL injection cannot do without, but for a few keyword-only constructs (`1 UNION SELECT 1`). */
const SQL_CHARS = new Uint8Array(128);
for (const c of "'\"`;()#-/*=<>|&@,") SQL_CHARS[c.charCodeAt(0)] = 1;
const KEYWORD_ONLY = /union|order|group|xp_|sp_|information_schema|except|intersect/i;

const QUOTES = [0, 39 /* ' */, 34 /* " */];
const NONE: Finding[] = [];

/** Reused across calls: analysis is synchronous, and a megabyte of text needs no fresh token arrays. */
const bare = new SqlTokens();
const quoted = new SqlTokens();

function mightBeSql(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128 && SQL_CHARS[c]) return true;
  }
  return KEYWORD_ONLY.test(text);
}

export function analyzeSql(text: string): Finding[] {
  if (!mightBeSql(text)) return NONE;
  const best = new Map<string, Finding>();
  const report = (construct: string, strength: number, start: number, end: number) => {
    const known = best.get(construct);
    if (!known || strength > known.strength) best.set(construct, { class: "sqli", rule: `sql.${construct}`, strength, start, end });
  };
  tokenize(text, 0, bare);
  for (const quote of QUOTES) {
    if (quote !== 0 && text.indexOf(String.fromCharCode(quote)) < 0) continue;
    // `\'`: closes the literal for most databases, not for MySQL; both readings are tried.
    const readings = quote !== 0 && escapedFirstQuote(text, quote) ? 2 : 1;
    for (let r = 0; r < readings; r++) {
      // The quoted readings differ from the bare one only until they fall in step with it.
      const tokens = quote === 0 ? bare : quoted;
      if (quote !== 0) tokenize(text, r === 0 ? quote : quote | PLAIN_LITERAL, quoted, bare);
      const closure = findClosure(tokens, quote);
      if (closure) closureRules(tokens, closure, report);
      else if (quote !== 0) continue;
      constructRules(tokens, quote !== 0, report);
    }
  }
  bare.text = quoted.text = "";
  return best.size ? [...best.values()] : NONE;
}

/** Characters a plain path segment does not have but injected SQL does. */
const SEGMENT_BREAK = new Uint8Array(128);
for (const c of "'\"`;()=<>|, \t#") SEGMENT_BREAK[c.charCodeAt(0)] = 1;

/**
 * The whole path is one leaf, so a value injected into a segment (`/post/1 OR 1=1`) does not stand at
 * the text's start, where the closure rules look. The segment that holds the first such character is
 * judged again from its start (with the rest of the path: the payload may hold `/` itself).
 */
function analyzePath(path: string): Finding[] {
  const whole = analyzeSql(path);
  let from = -1;
  for (let i = 0; i < path.length && from < 0; i++) {
    const c = path.charCodeAt(i);
    if (c < 128 && SEGMENT_BREAK[c]) from = path.lastIndexOf("/", i) + 1;
  }
  if (from <= 0) return whole;
  const best = new Map(whole.map((f) => [f.rule, f]));
  for (const f of analyzeSql(path.slice(from))) {
    const known = best.get(f.rule);
    if (!known || f.strength > known.strength) best.set(f.rule, { ...f, start: f.start + from, end: f.end + from });
  }
  return best.size ? [...best.values()] : NONE;
}

export const sqlAnalyzer: Analyzer = {
  name: "sql",
  analyze: (input: AnalyzerInput) => (input.kind === "path" ? analyzePath(input.text) : analyzeSql(input.text)),
};
