import { describe, expect, test } from "bun:test";
import { CLOSED, COMMENT_BLOCK, COMMENT_DASH, COMMENT_HASH, K, PLAIN_LITERAL, SqlTokens, tokenize } from "../../../src/detect/analyzers/sql/tokens.ts";
import { wordText } from "../../../src/detect/analyzers/sql/words.ts";

const NAMES = Object.fromEntries(Object.entries(K).map(([name, kind]) => [kind, name]));

/** Each token as `KIND:text`, known words marked with their lower-case name. */
function tokens(text: string, quote = 0): string[] {
  const t = new SqlTokens();
  tokenize(text, quote, t);
  const out: string[] = [];
  for (let i = 0; i < t.count; i++) {
    const kind = t.kind(i);
    const known = (kind === K.WORD || kind === K.FUNC) && t.aux(i) >= 0 ? `=${wordText(t.aux(i))}` : "";
    out.push(`${NAMES[kind]}:${text.slice(t.start(i), t.end(i))}${known}`);
  }
  return out;
}

describe("sql tokenizer", () => {
  test("strings with doubled and escaped quotes, unterminated strings, prefixed strings", () => {
    expect(tokens(`'it''s' "a\\"b" N'x' 'open`)).toEqual(["STR:'it''s'", 'STR:"a\\"b"', "STR:N'x'", "STR:'open"]);
  });

  test("a quote context starts inside the literal: what follows its closing quote is code", () => {
    expect(tokens("abc' OR 1=1", 39)).toEqual(["STR:abc'", "WORD:OR=or", "NUM:1", "OP:=", "NUM:1"]);
    const t = new SqlTokens();
    tokenize("no quote here", 39, t);
    expect(t.count).toBe(1);
    expect(t.aux(0) & CLOSED).toBe(0);
  });

  test("comments are tokens; a MySQL executable comment's content is SQL", () => {
    const t = new SqlTokens();
    tokenize("a -- x\n# y\n/* z */", 0, t);
    expect([t.aux(1), t.aux(2), t.aux(3)]).toEqual([COMMENT_DASH, COMMENT_HASH, COMMENT_BLOCK]);
    expect(tokens("/*!50000UNION*/ /*!SELECT*/ 1")).toEqual(["WORD:UNION=union", "WORD:SELECT=select", "NUM:1"]);
  });

  test("numbers: hex, binary, decimals, exponents", () => {
    expect(tokens("0x4142 0b101 1.5e-3 .5 7")).toEqual(["NUM:0x4142", "NUM:0b101", "NUM:1.5e-3", "NUM:.5", "NUM:7"]);
  });

  test("identifiers, variables, calls, operators and punctuation", () => {
    expect(tokens("SeLeCt `t`.[c],@x,@@version FROM master..sysdatabases WHERE a<=>b||c!=sleep (5);")).toEqual([
      "WORD:SeLeCt=select", "IDENT:`t`", "DOT:.", "IDENT:[c]", "COMMA:,", "VAR:@x", "COMMA:,", "VAR:@@version",
      "WORD:FROM=from", "WORD:master", "DOT:.", "DOT:.", "WORD:sysdatabases=sysdatabases", "WORD:WHERE=where",
      "WORD:a", "OP:<=>", "WORD:b", "OP:||", "WORD:c", "OP:!=", "FUNC:sleep=sleep", "OPEN:(", "NUM:5", "CLOSE:)", "SEMI:;",
    ]);
  });

  test("a JSON array is not a bracketed identifier", () => {
    expect(tokens('[1, "a"]')).toEqual(["OP:[", "NUM:1", "COMMA:,", 'STR:"a"', "OP:]"]);
  });

  test("a quoted reading that falls in step with the bare one equals a full quoted reading", () => {
    const texts = [
      `{"a":"it's (x)","b":["c'd", 1]} OR (f(1)) AND ("q"=(g)) ((`,
      "x') OR (1=1) -- (a (b) c) ' d",
      "/*!50000 x*/ it's ((a)) 'b'",
      "a.5 'b' .5 t.5",
    ];
    for (const text of texts) {
      for (const quote of [39, 34]) {
        const bare = new SqlTokens();
        tokenize(text, 0, bare);
        const derived = new SqlTokens();
        tokenize(text, quote, derived, bare);
        const full = new SqlTokens();
        tokenize(text, quote, full);
        const fields = (t: SqlTokens) => Array.from({ length: t.count }, (_, i) => [t.kind(i), t.start(i), t.end(i), t.aux(i), t.kind(i) === K.OPEN ? t.match(i) : 0]);
        expect(fields(derived)).toEqual(fields(full));
      }
    }
  });

  test("PostgreSQL JSON and array operators are one token", () => {
    expect(tokens("a @> b <@ c ->> 'k' -> 0 ?| d @@ e")).toEqual(["WORD:a", "OP:@>", "WORD:b", "OP:<@", "WORD:c", "OP:->>", "STR:'k'", "OP:->", "NUM:0", "OP:?|", "WORD:d", "OP:@@", "WORD:e"]);
  });

  test("a backslash does not end the application's literal in the plain reading", () => {
    expect(tokens("a\\' or 1", 39)).toEqual(["STR:a\\' or 1"]);
    expect(tokens("a\\' or 1", 39 | PLAIN_LITERAL)).toEqual(["STR:a\\'", "WORD:or=or", "NUM:1"]);
  });

  test("a keyword cut by a comment is that keyword; other words stay apart", () => {
    expect(tokens("UN/**/ION a/**/b")).toEqual(["WORD:UN/**/ION=union", "WORD:a", "COMMENT:/**/", "WORD:b"]);
  });

  test("a dot after a keyword starts a number", () => {
    expect(tokens("select.1, t.5")).toEqual(["WORD:select=select", "NUM:.1", "COMMA:,", "WORD:t", "DOT:.", "NUM:5"]);
  });

  test("parentheses are matched; an unclosed one matches the end", () => {
    const t = new SqlTokens();
    tokenize("((a) (b", 0, t);
    expect(t.match(0)).toBe(t.count);
    expect(t.match(1)).toBe(3);
    expect(t.aux(3)).toBe(1); // a close knows its open
    expect(t.match(4)).toBe(t.count);
  });
});
