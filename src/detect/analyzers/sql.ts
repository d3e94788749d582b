/**
 * The SQL-injection analyzer. A value can land in a query bare (as a number), inside '...' or inside
 * "...". It is tokenized as SQL in each context it could close (a quote context only when the value
 * holds that quote), and a finding needs the value to leave its context and go on as SQL: a
 * condition, UNION SELECT, a stacked statement, a delay, a comment that cuts the query, and so on.
 * Text that is SQL-free stays finding-free however it is quoted. The text is already decoded by the
 * decompose stage; comments, executable comments and case are handled by the tokenizer.
 */
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { appendedProbeRule, closureRules, comparedConstantsRule, findClosure, numericTruthRule, predicateTautologyRule } from "./sql/closure.ts";
import { constructRules } from "./sql/constructs.ts";
import { collapseNestedKeywords } from "./sql/nested.ts";
import type { Report } from "./sql/report.ts";
import { COMMENT_HASH, escapedFirstQuote, HASH_NO_COMMENT, K, PLAIN_LITERAL, SqlTokens, tokenize } from "./sql/tokens.ts";
import { asciiSet, finding, isSpaceCode, judgePath, partitionPoint, reportsStatement, strongestPerRule } from "./text.ts";

/**
 * Characters SQL injection cannot do without, but for a few keyword-only constructs (`1 UNION SELECT
 * 1`, `1 AND 69 BETWEEN 69 AND 69`, `1 AND 8755 LIKE 8755`, `1 OR true`).
 */
const SQL_CHARS = asciiSet("'\"`;()#-/*=<>|&@,");
const KEYWORD_ONLY = /union|order|group|xp_|sp_|information_schema|except|intersect|between|\d\s+(?:not\s+)?(?:r?like|regexp|glob)\b|^\s*\d+\s+(?:x?or|and)\s/i;

/**
 * Where the value may sit: in code (a number), in a literal quoted with `'` or `"`, or in a MySQL
 * identifier quoted with a backtick (`ORDER BY \`<value>\``, where `` 1`,sleep(7)# `` escapes).
 */
const QUOTES = [0, 39 /* ' */, 34 /* " */, 96 /* ` */];
const BACKTICK = 96;
/** A parameter of the query of a Referer or Origin URL. */
const SOURCE_QUERY = /^header\.(?:referer|origin)\.query\./;
const OPENS_AFTER_IDENTIFIER = /^`\s*[,;)]/;
const IDENTIFIER = /^[\w.$-]{1,64}$/;
/**
 * An identifier closed and compared with one opened again, `` X`=`X ``: what a scanner writes to break
 * out of a backtick-quoted name whatever the name holds (a whole User-Agent), so the backtick reading
 * is tried then too.
 */
const IDENTIFIER_COMPARED = /`[ \t]*(?:=|<>|!=|<=>)[ \t]*`/;
const NONE: Finding[] = [];

function hasHashComment(t: SqlTokens): boolean {
  for (let i = 0; i < t.count; i++) if (t.kind(i) === K.COMMENT && t.aux(i) === COMMENT_HASH) return true;
  return false;
}

function countOf(text: string, code: number): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === code) n++;
  return n;
}

/** Reused across calls: analysis is synchronous, and a megabyte of text needs no fresh token arrays. */
const bare = new SqlTokens();
const quoted = new SqlTokens();

/** ASCII characters of a name without `_` (letters, digits, `$`): see mightBeSql. */
const NAME_CHARS = new Uint8Array(128);
for (let c = 0; c < 128; c++) NAME_CHARS[c] = /[A-Za-z0-9$]/.test(String.fromCharCode(c)) ? 1 : 0;

function mightBeSql(text: string): boolean {
  // A text that is one name (at most a number before it: `1union`) is one or two tokens: a lone SQL word
  // proves nothing unless it is a procedure or a catalogue, and those have `_`. The common plain word
  // then skips the keyword search.
  let oneName = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128) {
      if (c === 0xa0) oneName = false; // a space to the tokenizer
    } else if (SQL_CHARS[c]) return true;
    else if (NAME_CHARS[c] === 0) oneName = false;
  }
  return !oneName && KEYWORD_ONLY.test(text);
}

/**
 * Typographic quotes and dashes: a word processor or a blog turns `'` into `’` or `′` and `--` into `–`,
 * and payloads copied from one carry them; a conversion to a narrower character set on the way to the
 * database turns the quotes back. The value is judged again with them read as the ASCII they stand for.
 */
const TYPOGRAPHIC = /[\u2018\u2019\u2032\u02bc\uff07\u201c\u201d\u2033\uff02\u2013\u2014]/;
/** The ASCII each typographic character reads as: `'`, `"`, or 45 for a dash that reads as `--`. */
const TYPOGRAPHIC_ASCII = new Map<number, number>([
  ...[0x2018, 0x2019, 0x2032, 0x02bc, 0xff07].map((c) => [c, 39] as [number, number]),
  ...[0x201c, 0x201d, 0x2033, 0xff02].map((c) => [c, 34] as [number, number]),
  [0x2013, 45], [0x2014, 45],
]);
const utf16 = new TextDecoder("utf-16le");

/** The value with typographic characters read as ASCII, and where each dash (now two characters) stood. */
function readTypographic(text: string): { read: string; dashes: number[] } {
  const dashes: number[] = [];
  for (let i = text.indexOf("\u2013"); i !== -1; i = text.indexOf("\u2013", i + 1)) dashes.push(i);
  for (let i = text.indexOf("\u2014"); i !== -1; i = text.indexOf("\u2014", i + 1)) dashes.push(i);
  dashes.sort((x, y) => x - y);
  // A code-unit copy decoded once: a megabyte of curly quotes is not a million string replacements.
  const units = new Uint16Array(text.length + dashes.length);
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ascii = c < 0x2bc ? undefined : TYPOGRAPHIC_ASCII.get(c);
    units[o++] = ascii ?? c;
    if (ascii === 45) units[o++] = 45;
  }
  return { read: utf16.decode(units), dashes };
}

/**
 * An e-mail address and nothing else: `exec@example.com` is no `EXEC @example`, `select@…` no statement.
 * It has no blank, quote or separator to go on as SQL with.
 */
const EMAIL = /^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+$/;
const MAX_EMAIL = 254;

/**
 * `inHeader`: the value is a header's, where a probe appended to it is no sentence's end
 * (appendedProbeRule) and `#` opens no prose (the second reading, with `#` as no comment).
 */
export function analyzeSql(text: string, inHeader = false): Finding[] {
  if (text.length <= MAX_EMAIL && text.indexOf("@") > 0 && EMAIL.test(text)) return NONE;
  // One check for the value read as sent and as a filter of nested keywords leaves it.
  const sqlLike = mightBeSql(text);
  let found = sqlLike ? judgeReadings(text, inHeader) : NONE;
  const nested = sqlLike ? collapseNestedKeywords(text) : null;
  if (nested) found = withReading(found, analyzeAscii(nested.text, inHeader), nested.toValue);
  if (!TYPOGRAPHIC.test(text)) return found;
  const { read, dashes } = readTypographic(text);
  // Spans in the read text are moved back onto the value: dash j stands at dashes[j] + j and the next index.
  const toValue = (r: number) => {
    const lo = partitionPoint(dashes.length, (mid) => dashes[mid]! + mid < r);
    return lo > 0 && dashes[lo - 1]! + lo === r ? dashes[lo - 1]! : r - lo;
  };
  return withReading(found, analyzeAscii(read, inHeader), toValue);
}

/** The value's findings with those of another reading of it, whose spans `toValue` moves back onto the value. */
function withReading(found: Finding[], more: Finding[], toValue: (r: number) => number): Finding[] {
  if (!more.length) return found;
  return strongestPerRule([...found, ...more.map((f) => ({ ...f, start: toValue(f.start), end: f.end > 0 ? toValue(f.end - 1) + 1 : 0 }))]);
}

/** One reading of the value: where it leaves its context, and what follows; a quoted reading that never leaves it says nothing. */
function judgeReading(tokens: SqlTokens, quote: number, report: Report): void {
  const closure = findClosure(tokens, quote);
  if (closure) closureRules(tokens, closure, report);
  else if (quote !== 0) return;
  constructRules(tokens, quote !== 0, report);
}

/** A text's findings in every context it can close, none when it cannot be SQL (mightBeSql). */
function analyzeAscii(text: string, inHeader: boolean): Finding[] {
  return mightBeSql(text) ? judgeReadings(text, inHeader) : NONE;
}

/** analyzeAscii's readings, for a text that might be SQL. */
function judgeReadings(text: string, inHeader: boolean): Finding[] {
  const best = new Map<string, Finding>();
  const report = (construct: string, strength: number, start: number, end: number) => {
    const known = best.get(construct);
    if (!known || strength > known.strength) best.set(construct, { class: "sqli", rule: `sql.${construct}`, strength, start, end });
  };
  tokenize(text, 0, bare);
  for (const quote of QUOTES) {
    const first = quote === 0 ? 0 : text.indexOf(String.fromCharCode(quote));
    if (first < 0) continue;
    // A name in backticks is one word (`price`, `terms.txt`). After other text, or at the start before
    // a word, a first backtick opens prose's or Markdown's quoted code (`code` spans, in pairs), not
    // an identifier escaped; unless a backtick is left over (`<user agent>` WHERE 1=1--`), what
    // follows a first backtick goes on as a list or a statement (`` `,sleep(7)#1 ``, appended to a name),
    // or a closed name is compared with one opened again (`` X`=`X` AND 1=2 AND `X`=`X ``).
    if (quote === BACKTICK && !(first === 0 ? OPENS_AFTER_IDENTIFIER.test(text) : IDENTIFIER.test(text.slice(0, first)) || countOf(text, BACKTICK) % 2 === 1 || IDENTIFIER_COMPARED.test(text))) continue;
    // `\'`: closes the literal for most databases, not for MySQL; both readings are tried.
    const readings = quote !== 0 && escapedFirstQuote(text, quote) ? 2 : 1;
    for (let r = 0; r < readings; r++) {
      // The quoted readings differ from the bare one only until they fall in step with it.
      // An identifier knows no backslash escape: it ends at its first lone backtick.
      if (quote !== 0) tokenize(text, r === 0 && quote !== BACKTICK ? quote : quote | PLAIN_LITERAL, quoted, bare);
      judgeReading(quote === 0 ? bare : quoted, quote, report);
    }
  }
  comparedConstantsRule(bare, report);
  numericTruthRule(bare, report);
  predicateTautologyRule(bare, report);
  if (inHeader) {
    appendedProbeRule(bare, report);
    if (hasHashComment(bare)) {
      // Read again with `#` as other databases read it (HASH_NO_COMMENT): what MySQL would skip, they
      // run. Only in headers: elsewhere `#` opens an issue number, C#, a preprocessor line, a heading.
      tokenize(text, HASH_NO_COMMENT, quoted);
      judgeReading(quoted, 0, report);
      appendedProbeRule(quoted, report);
    }
  }
  bare.text = quoted.text = "";
  if (!best.size) breakerProbe(text, report);
  return best.size ? [...best.values()] : NONE;
}

/** Characters a scanner strings together to break whatever context a value lands in. */
const BREAKERS = asciiSet("'\"`(),.;");
/** A run of breakers this long holds both quotes apart only when it was drawn to break things (sqlmap draws ten). */
const MIN_SCATTERED_RUN = 5;

/**
 * An error probe: a run of breaking characters that ends the value, with both quotes side by side (or
 * anywhere in a run of five or more), in a value whose brackets do not balance (`1'"(`, `1.)('",`,
 * `1.,))',..,"`: sqlmap draws ten of `.,()'"` at random). It is a scanner's first request to a parameter
 * (sqlmap's heuristic check, wapiti, active scans), sent to see whether the database's syntax error
 * comes back. Prose and code close what they open (`"see (the 'notes')"`, `s.strip('"')`) or go on
 * after it (`replace("'", "''")`). Strong (0.85): no ordinary value ends in such a run (none of the
 * benign corpora's values does), and a scanner that gets its error back goes on to the real injection.
 */
function breakerProbe(text: string, report: (construct: string, strength: number, start: number, end: number) => void): void {
  let end = text.length;
  // Blanks and control characters after the run end nothing: sqlmap appends a NUL (`1)"((')(.))\0`).
  while (end > 0 && (isSpaceCode(text.charCodeAt(end - 1)) || text.charCodeAt(end - 1) < 32)) end--;
  let start = end;
  while (start > 0 && text.charCodeAt(start - 1) < 128 && BREAKERS[text.charCodeAt(start - 1)]) start--;
  if (end - start < 3) return;
  const run = text.slice(start, end);
  // Side by side in any run, or apart in a long one: prose ends a quote and a sentence in two or three (`'notes'."`).
  const sideBySide = run.includes(`'"`) || run.includes(`"'`);
  if (!sideBySide && !(run.length >= MIN_SCATTERED_RUN && run.includes("'") && run.includes('"'))) return;
  // Brackets counted over the whole value: code opens its call before the quotes.
  let depth = 0;
  let unbalanced = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40) depth++;
    else if (c === 41 && --depth < 0) unbalanced = true;
  }
  if (unbalanced || depth !== 0) report("error-probe", 0.85, start, end);
}

/** Characters a plain path segment does not have but injected SQL does. */
const SEGMENT_BREAK = asciiSet("'\"`;()=<>|, \t#");
/** A comment opened right after a slash (`2/**\/OR`): the value began in the segment before. */
const COMMENT_AFTER_SLASH = asciiSet("*");

/**
 * `{"role='admin',name": "bob"}`: a key that assigns a column a constant, then names the next column.
 * Code that builds an UPDATE's SET list from a body's keys (`SET ${key} = ?`) sets the sender's column
 * too. A field's name holds no assignment.
 */
const KEY_NAME = String.raw`[A-Za-z_][\w.]{0,63}`;
const KEY_LITERAL = String.raw`(?:'[^'\n]{0,256}'|"[^"\n]{0,256}"|-?\d{1,20}(?:\.\d{1,20})?|true|false|null)`;
const KEY_ASSIGNMENT = new RegExp(String.raw`^\s*(?:${KEY_NAME}\s*=\s*${KEY_LITERAL}\s*,\s*){1,8}${KEY_NAME}(?:\s*=\s*${KEY_LITERAL})?\s*$`, "i");
/** Longest key read so: eight assignments of the longest names and literals. */
const MAX_ASSIGNING_KEY = 8 * (64 + 260) + 64;

export const sqlAnalyzer: Analyzer = {
  name: "sql",
  analyze(input: AnalyzerInput): Finding[] {
    // A Referer's path is a header's too: a probe appended to it is no sentence's end. Its query's
    // parameters are the site's own (a search's words), read as any query's.
    const inHeader = input.location === "header" && !SOURCE_QUERY.test(input.path);
    if (reportsStatement(input)) return NONE;
    if (input.kind === "path") return judgePath(input.text, SEGMENT_BREAK, (segment) => analyzeSql(segment, inHeader), COMMENT_AFTER_SLASH);
    const found = analyzeSql(input.text, inHeader);
    if (input.kind !== "key" || input.text.length > MAX_ASSIGNING_KEY || !KEY_ASSIGNMENT.test(input.text)) return found;
    return strongestPerRule([...found, finding("sqli", "sql.assignment", 0.85, 0, input.text.length)]);
  },
};
