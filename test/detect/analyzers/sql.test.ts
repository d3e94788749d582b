import { describe, expect, test } from "bun:test";
import { analyzeSql, sqlAnalyzer } from "../../../src/detect/analyzers/sql.ts";
import { collapseNestedKeywords } from "../../../src/detect/analyzers/sql/nested.ts";

/** The strongest finding's rule and strength, or null. */
function strongest(text: string): { rule: string; strength: number; evidence: string } | null {
  let best: { rule: string; strength: number; evidence: string } | null = null;
  for (const f of analyzeSql(text)) {
    if (!best || f.strength > best.strength) best = { rule: f.rule, strength: f.strength, evidence: text.slice(f.start, f.end) };
  }
  return best;
}

function ruleStrength(text: string, rule: string): number {
  return analyzeSql(text).find((f) => f.rule === rule)?.strength ?? 0;
}

describe("sql analyzer: a value that closes its context and goes on as SQL", () => {
  const attacks: [string, string, number][] = [
    // tautologies and contradictions after a closed string or number
    ["' OR 'a'='a", "sql.tautology", 0.8],
    ["1 OR 1=1", "sql.tautology", 0.8],
    ["' OR 1 --", "sql.tautology", 0.8],
    ['") OR ("x"="x', "sql.tautology", 0.8],
    ["' || '1'='1'", "sql.tautology", 0.8],
    // A quoted keyword that runs on is no quoted word of prose, nor is one before a quote of the value's own.
    ["'or'1'='1", "sql.tautology", 0.8],
    ["x 'or' ' or 1=1 -- ", "sql.tautology", 0.8],
    ["1') AND (8459=8459)*4906 AND ('x'='x", "sql.tautology", 0.8],
    // ordered with <= or >=, or against a literal worth more than 0: true for the other rows, or all
    ["a'>='", "sql.tautology", 0.6],
    ["a'<='", "sql.tautology", 0.6],
    ["x'<'1", "sql.tautology", 0.6],
    // the literal is not the whole right side: `(pass = 'x') > -1` holds for every row
    ["x'>-1+'", "sql.tautology", 0.6],
    ["x'<1+'", "sql.tautology", 0.6],
    ["x'<(1)+'", "sql.tautology", 0.6],
    ["7 AND ASCII(SUBSTRING((SELECT pass FROM users LIMIT 1),1,1))>64", "sql.tautology", 0.8],
    ["x') AS t WHERE 1=1 AND (SELECT 1)=1--", "sql.tautology", 0.8],
    ["' or ''&'", "sql.tautology", 0.8],
    // UNION, with comments, executable comments and `+` for spaces
    ["1 UNION ALL SELECT NULL,NULL,@@version--", "sql.union", 0.9],
    ["-1'/**/union/**/select/**/1,2#", "sql.union", 0.9],
    ["1/*!50000UnIoN*/ /*!50000SeLeCt*/ 1,2", "sql.union", 0.9],
    ["1+union+select+password+from+users", "sql.union", 0.9],
    // stacked statements and MSSQL procedures
    ["'; DROP TABLE users--", "sql.stacked", 0.8],
    ["1; DECLARE @c varchar(99); SET @c='dir'; EXEC(@c)", "sql.declare", 0.8],
    ["1;exec master..xp_dirtree '//x.example/a'--", "sql.procedure", 0.9],
    ["'; exec xp_cmdshell 'ping 10.0.0.1'--", "sql.procedure", 0.9],
    ["1');IF(7423=7423) SELECT 7423 ELSE DROP FUNCTION f--", "sql.stacked", 0.8],
    ["';shutdown --", "sql.stacked", 0.8],
    // time and error based
    ["1' AND SLEEP(5)#", "sql.time", 0.8],
    ["1) AND BENCHMARK(5000000,MD5(1))", "sql.time", 0.9],
    ["';SELECT PG_SLEEP(5)--", "sql.time", 0.9],
    ["1;WAITFOR DELAY '0:0:5'--", "sql.time", 0.9],
    ["1' AND 1=DBMS_PIPE.RECEIVE_MESSAGE('a',5)--", "sql.time", 0.9],
    ["' AND EXTRACTVALUE(1,CONCAT(0x5c,(SELECT user())))--", "sql.error-function", 0.8],
    ["1 AND UPDATEXML(1,CONCAT(0x7e,version()),1)", "sql.error-function", 0.8],
    ["1 AND 1=CONVERT(int,@@version)", "sql.error-function", 0.8],
    // column counting, files, subqueries, catalogues, string building
    ["1' ORDER BY 3--", "sql.order-by", 0.8],
    ["1 GROUP BY id HAVING 1=1--", "sql.order-by", 0.8],
    // a `#` with markup after it is still a comment when no tag's attribute opened the quote
    ["admin'#\">x</a>", "sql.comment-truncation", 0.6],
    // an error probe's HAVING compares nothing: the comment that cuts the query says it is one
    ["1' group by concat(version(),floor(rand(0)*2)) having min(0) or 1--", "sql.order-by", 0.85],
    ["' UNION SELECT '<?php system($_GET[c]); ?>' INTO OUTFILE '/var/www/x.php'--", "sql.file-access", 0.9],
    ["1 AND LOAD_FILE('/etc/passwd')", "sql.file-access", 0.8],
    ["1'||(SELECT name FROM sqlite_master)||'", "sql.subquery", 0.8],
    ["' UNION SELECT table_name,2 FROM information_schema.tables--", "sql.schema-lookup", 0.8],
    ["1 AND 5=CHAR(53)+CHAR(53)", "sql.string-building", 0.8],
    ["1' AND ELT(5953=5953,1)--", "sql.conditional-function", 0.8],
    ["1'||UTL_HTTP.REQUEST('http://x.example/')||'", "sql.concatenation", 0.8],
    ["1' AND (CASE WHEN 1=1 THEN 1 ELSE 0 END)=1--", "sql.conditional-function", 0.8],
    // a value replaced by a CASE on two constants (sqlmap's boolean probe of a header), whatever its branches hold
    ["(CASE WHEN 3923=3923 THEN 'Mozilla/5.0 (X11; Linux)' ELSE NULL END)", "sql.conditional-function", 0.9],
    // a control character ends what the database reads (a C string's NUL): the condition before it is whole
    ["1 AND 7137=7137\x16", "sql.tautology", 0.85],
    // a condition of constants with no character SQL needs: BETWEEN, LIKE (sqlmap's tamper scripts)
    ["1 AND 69 BETWEEN 69 AND 69", "sql.tautology", 0.85],
    ["1 AND 8755 LIKE 8755", "sql.tautology", 0.85],
    // line comments a line break ends are spaces: the condition after them counts
    ["1'#oGwZ\nAND#YrbD\n#NaAX\n2505=9528-- tVWQ", "sql.tautology", 0.9],
    // a word closed by parentheses in a numeric context
    ["shoes) AND 3664=1714-- rwlj", "sql.tautology", 0.85],
    // CASE on constants: compared in parentheses, or the simple CASE form
    ["(SELECT CONCAT('q',(CASE WHEN (5371=5371) THEN '1' ELSE '0' END)))", "sql.conditional-function", 0.9],
    // a comparison of constants computed with as a number (a boolean probe in a numeric context)
    ["(5131=5055)*5055", "sql.tautology", 0.85],
    ["1-(7=7)", "sql.tautology", 0.85],
    // a backtick left over after prose's pairs closes an identifier (a header with SQL appended)
    ["Mozilla/5.0 (X11; Linux) Firefox/3.6.20` WHERE 5406=5406 AND 8133=1140-- IyOR", "sql.tautology", 0.9],
    // a MySQL identifier in backticks escaped (`ORDER BY \`<value>\``)
    ["1`,sleep(7)#1", "sql.time", 0.9],
    ["terms.txt`,sleep(7)#1", "sql.time", 0.9],
    // appended to a name in backticks: the value opens with the backtick that closes it
    ["`,sleep(7)#1", "sql.time", 0.9],
    // a constant tested against one, in a probe's parentheses; a name closed before WHERE
    ["1'||(CASE 1766 WHEN 1766 THEN 1 ELSE 0 END)||'", "sql.conditional-function", 0.8],
    ["shoes) WHERE 7359=7359 AND 1901=7816-- x", "sql.tautology", 0.85],
    ["1') AND 7137=7137\x00", "sql.tautology", 0.85],
    // out of a backtick-quoted name that holds anything (a whole User-Agent): the name closed and compared with one opened again
    ["Mozilla/5.0 (X11; Linux) Firefox/5.0`=`Mozilla/5.0 (X11; Linux) Firefox/5.0` AND SLEEP(5) AND `Mozilla/5.0 (X11; Linux) Firefox/5.0`=`Mozilla/5.0", "sql.time", 0.9],
    ["a b`=`a b` AND 2030=3904 AND `a b`=`a b", "sql.tautology", 0.85],
    // CREATE with its modifiers (PostgreSQL's C function is a command's way in), and CREATE EXTENSION
    ["1;CREATE OR REPLACE FUNCTION sys(cstring) RETURNS int AS '/lib/libc.so.6', 'system' LANGUAGE 'c' STRICT--", "sql.stacked", 0.9],
    ["1;CREATE TEMPORARY TABLE t(a text)--", "sql.stacked", 0.9],
    // an address with SQL after it is no address
    ["exec@x.example;drop table users--", "sql.stacked", 0.8],
    ["1;CREATE EXTENSION dblink--", "sql.stacked", 0.8],
    // T-SQL's own shutdown
    ["1; SHUTDOWN WITH NOWAIT--", "sql.stacked", 0.9],
    // IF on two constants (a sort order's boolean probe), or on the database's name read a character at a time
    ["IF(1=1,name,price)", "sql.conditional-function", 0.85],
    ["if(ascii(substr(database(),1,1))>64,name,price)", "sql.conditional-function", 0.85],
    // a comparison that ends in a literal of the other quote, which the next field's value closes (a login form's two fields)
    ["'=\"or'", "sql.tautology", 0.6],
  ];
  for (const [text, rule, min] of attacks) {
    test(`${rule}: ${text}`, () => {
      expect(ruleStrength(text, rule)).toBeGreaterThanOrEqual(min);
    });
  }

  const constructs: [string, string, number][] = [
    // a closed block comment is a space, not a cut
    ["x'/**/OR/**/2/**/>/**/1", "sql.tautology", 0.8],
    // a truth value stated after the closure
    ["' or true; x", "sql.tautology", 0.8],
    ["5 || false", "sql.tautology", 0.8],
    // a call tested as a condition up to where the query ends (the app's quote or `;`)
    ["x' AND instr(password,'a') AND 'y", "sql.tautology", 0.8],
    // `\'` closes the literal for databases without backslash escapes
    ["admin\\' or json_valid(id);", "sql.tautology", 0.8],
    // postfix tests, LIKE .. ESCAPE, COLLATE after the closure
    ["z' or phone notnull--", "sql.tautology", 0.8],
    ["x' or name like foo escape '!';", "sql.tautology", 0.8],
    ["user'collate nocase--", "sql.comment-truncation", 0.5],
    // PostgreSQL JSON and array operators, chained comparisons
    ["1 OR '{\"a\":1}'::jsonb @> '{}'::jsonb", "sql.tautology", 0.8],
    ["2 AND doc -> 'k' = 7", "sql.tautology", 0.8],
    // array constructors and subscripts as operands
    ["1' OR '{\"name\":\"a\"}' ?| array['a','name']--", "sql.tautology", 0.9],
    ["1' OR x[1] = 1--", "sql.tautology", 0.9],
    ["' or ids[1:2] = '{1}'--", "sql.tautology", 0.9],
    // a delay that runs under a condition
    ["IF(length(user())>1,SLEEP(3),0)", "sql.time", 0.9],
    ["ORDER BY IF(2>1,1,SLEEP(1))", "sql.time", 0.9],
    ["3-sleep(4)", "sql.time", 0.8],
    ["'+waitfor+delay+'0:0:5'", "sql.time", 0.9],
    // the other set operators, a number right after SELECT, a backticked alias
    ["1 INTERSECT SELECT.1", "sql.union", 0.9],
    ["0 union select col`c`", "sql.union", 0.9],
    // INSERT/REPLACE without INTO, GRANT, file writes and catalogues with `+` for spaces
    [";REPLACE users (id, name) VALUES (1, 'x');", "sql.stacked", 0.8],
    ["1; GRANT ALL ON db TO evil--", "sql.stacked", 0.8],
    ["1 into+outfile+'/tmp/x'", "sql.file-access", 0.9],
    ["from+information_schema.columns", "sql.schema-lookup", 0.8],
    // a call's text cast to a number (PostgreSQL error-based), PROCEDURE ANALYSE
    ["substr(version(),1,9)::int", "sql.error-function", 0.8],
    ["1 procedure analyse()", "sql.procedure", 0.8],
    ["x'; EXECUTE IMMEDIATE 'DROP TABLE t'", "sql.procedure", 0.8],
    // a whole statement that cuts the rest; a keyword cut by a comment (for comment-stripping filters)
    ["DELETE FROM sessions;--", "sql.statement", 0.8],
    ["-1 UN/**/ION SEL/**/ECT 1,2--", "sql.union", 0.9],
    // weaker: arithmetic on the closed literal then a cut; a comment then `;`
    ["x'/email--", "sql.concatenation", 0.5],
    ["bob@example.com'/* c */;", "sql.comment-truncation", 0.5],
  ];
  for (const [text, rule, min] of constructs) {
    test(`${rule}: ${text}`, () => {
      expect(ruleStrength(text, rule)).toBeGreaterThanOrEqual(min);
    });
  }

  test("a path is judged from the segment the injection starts in", () => {
    const path = "/post/7 OR 1=1";
    const found = sqlAnalyzer.analyze({ text: path, location: "path", path: "path", name: "", kind: "path" });
    const f = found.find((x) => x.rule === "sql.tautology")!;
    expect(f.strength).toBeGreaterThanOrEqual(0.8);
    expect(path.slice(f.start, f.end)).toBe("7 OR 1=1");
    // the same text as a query value has no closure at its start
    expect(ruleStrength(path, "sql.tautology")).toBeLessThan(0.8);
  });

  test("comment truncation: strong when a value's closed quote is followed by a bare marker that ends it (a login's password check cut), weak otherwise", () => {
    expect(ruleStrength("admin'--", "sql.comment-truncation")).toBeGreaterThanOrEqual(0.8);
    expect(ruleStrength("admin'#", "sql.comment-truncation")).toBeGreaterThanOrEqual(0.8);
    expect(ruleStrength("admin'-- and then some words", "sql.comment-truncation")).toBeLessThan(0.8);
    expect(ruleStrength("'--", "sql.comment-truncation")).toBeLessThan(ruleStrength("admin'--", "sql.comment-truncation"));
  });

  test("a quote, `#` and a name closed by the same quote is code's selector or colour, not a comment that cuts the query", () => {
    for (const v of ["$(document).ready(function () { $('#cart').show(); });", "document.querySelector('#' + id)", "{primary:'#1a73e8'}", "color: \"#ff0000\""]) {
      expect([v, ruleStrength(v, "sql.comment-truncation")]).toEqual([v, 0]);
    }
    expect(ruleStrength("admin'#", "sql.comment-truncation")).toBe(0.85);
    expect(ruleStrength("admin'#\">x</a>", "sql.comment-truncation")).toBe(0.6);
    // A quote after the comment does not make an injected one code's: a value, not code, stands before it.
    for (const v of ["admin'#'", "admin' #'", "admin'#x'"]) expect([v, ruleStrength(v, "sql.comment-truncation")]).toEqual([v, 0.85]);
  });

  test("a numeric value made a condition that is always true (or never): a number, OR/AND/XOR and a truth value", () => {
    for (const v of ["1 or true", "0 OR TRUE", "1 OR NOT 0", "-1 or true--", "1 AND false", "1 xor true", "1 || !0"]) expect([v, ruleStrength(v, "sql.tautology")]).toEqual([v, 0.85]);
    // Prose compares numbers (`1 or 2 bedrooms`) and goes on after a truth value.
    for (const v of ["1 or 2", "1 or 2 bedrooms", "1 or true please", "yes or true"]) expect(ruleStrength(v, "sql.tautology")).toBeLessThan(0.5);
  });

  test("code that shares SQL's words stays below the strong range", () => {
    for (const code of ["const t = sleep(100);", "run();exec('ls -l')", "$(el).focus();select(x); if (a==1) set(b)", "bench();benchmark(1000, fn)", "x = (select 2 options)", "10 sleep(8)", "x = 5 * sleep(2)"]) {
      expect(strongest(code)?.strength ?? 0).toBeLessThan(0.8);
    }
    expect(ruleStrength("sleep(5)#", "sql.time")).toBeGreaterThanOrEqual(0.8);
    expect(ruleStrength("'+SLEEP(5)+'", "sql.time")).toBeGreaterThanOrEqual(0.8);
  });

  test("a value that starts with the quote closes an empty literal: compared with an empty one, `''=''` is true", () => {
    expect(ruleStrength("'=''or'", "sql.tautology")).toBe(0.85);
    for (const v of ["''=''", "x'=''or'", "O'Reilly", "Its '' = '' empty"]) expect([v, ruleStrength(v, "sql.tautology") >= 0.85]).toEqual([v, false]);
  });

  test("MySQL's executable comments may close between a name and its call; a call SQL knows is an operand as a number is", () => {
    // A comment closed after a word with no executable comment before it is no call; code's calls are no operand.
    const cases: [string, string, number][] = [
      ["1' /*!AND*/ /*!12345BENCHMARK*/(50000000,MD5(0x41))#", "sql.time", 0.95], ["1 and /*!50000sleep*/(5)", "sql.time", 0.9], ["COUNT(*) or 1=1", "sql.tautology", 0.85],
      ["x*/(5)", "sql.time", 0], ["len(x) or y == z", "sql.tautology", 0],
      // Dynamic SQL from a hex string, stacked after the quote.
      ["';EXEC(0x786F705F636D647368656C6C202777686F616D6927)--", "sql.stacked", 0.9],
    ];
    for (const [v, rule, want] of cases) expect([v, ruleStrength(v, rule)]).toEqual([v, want]);
  });

  test("a delay named in a sentence is a mention; after a condition's word, a clause's or what the value closed, it is the probe", () => {
    for (const v of ["Having issues with sleep(5) in my Arduino sketch", "how to use sleep(5) in python", "why does pg_sleep(2) block the table"]) expect([v, ruleStrength(v, "sql.time")]).toEqual([v, 0.5]);
    for (const v of ["1 and sleep(5)", "1 order by sleep(5) desc", "select sleep(5) from dual", "1) or sleep(5) limit 1", "admin' xor sleep(5) or 'z", "1 rlike sleep(5)"]) {
      expect([v, ruleStrength(v, "sql.time") >= 0.9]).toEqual([v, true]);
    }
  });

  test("a subquery in a sentence's parenthesis (an error message quoting its query) is weak; where a value stands it is not", () => {
    for (const v of ["Error: pq: canceling statement due to statement timeout (SELECT * FROM orders WHERE id = 5)", "the query (SELECT * FROM orders WHERE id = 5)"]) expect([v, ruleStrength(v, "sql.subquery")]).toEqual([v, 0.5]);
    for (const v of ["id = (SELECT * FROM orders WHERE id = 5)", "(SELECT password FROM users LIMIT 1)", "1 EXISTS (SELECT 1 FROM x)", "1 > ANY (SELECT 1 FROM x)", "foo(SELECT x FROM y)", "1 DIV (SELECT COUNT(*) FROM users)", "hex/**/(SELECT/**/password/**/FROM/**/users)", "x = ANY (ARRAY (SELECT id FROM t))", "concat (SELECT 1 FROM x)"]) {
      expect([v, ruleStrength(v, "sql.subquery")]).toEqual([v, 0.8]);
    }
    expect(ruleStrength("x' AND NOT EXISTS (SELECT 1 FROM x)-- ", "sql.subquery")).toBe(0.9);
  });

  test("a quote inside a call the value itself opens and closes is the call's argument: a spreadsheet's formula closes nothing", () => {
    for (const v of ['=COUNTIF(C:C,"<>")', '=COUNTIFS(A:A,"<>",B:B,"<>")', "f(x'<>'1')"]) expect([v, strongest(v)]).toEqual([v, null]);
    // No call of the value's own around it, or a comment that cuts the query: a breakout.
    for (const v of ["x'<>'", 'C:C,"<>")', "a(b'<>'c", "1 AND (x'<>'y')", "foo(a'<>'b') -- ", "1) AND (1'<>'2')-- "]) expect([v, ruleStrength(v, "sql.tautology")]).toEqual([v, 0.6]);
  });

  test("a name that lands bare, then ORDER BY, GROUP BY or HAVING, goes on as the query (a column, in a numeric context)", () => {
    expect(strongest("price ORDER BY 10-- ")).toMatchObject({ rule: "sql.order-by", strength: expect.closeTo(0.7) });
    expect(strongest("price HAVING 1=1")).toMatchObject({ rule: "sql.tautology", strength: expect.closeTo(0.7) });
    // Prose that orders by a word, with no column count or comment, stays weak.
    expect(strongest("pizza order by phone")!.strength).toBeLessThan(0.5);
  });

  test("a probe appended to a header that closes nothing: two numbers compared, or a column count, at the end", () => {
    const header = (text: string) => sqlAnalyzer.analyze({ text, location: "header", path: "header.user-agent", name: "user-agent", kind: "value" });
    const top = (text: string) => header(text).reduce((m, f) => Math.max(m, f.strength), 0);
    const ua = "Mozilla/5.0 (X11; Linux i686; rv:1.8.1.2) Gecko/20070220 Firefox/2.0.0.2";
    for (const tail of [") AND 4687=4636-- Yjeq", ")) AND 4261=6438 AND ((1095=1095", " HAVING 6447=6447# yISG", " OR NOT 5837=6179", ") WHERE 7835=7835 OR NOT 1230=6566-- x", ") AND 8260=4754%16", " AND 4392=4392%16"]) {
      expect([tail, top(ua + tail)]).toEqual([tail, 0.85]);
    }
    expect(header(`${ua} ORDER BY 1#`).map((f) => [f.rule, f.strength])).toEqual([["sql.order-by", 0.85]]);
    // `#` is a comment to MySQL alone: in a header, the SQL after it runs on other databases (sqlmap's own User-Agent).
    expect(header("sqlmap/1.7.2#stable (https://sqlmap.org) AND SLEEP(5)").some((f) => f.rule === "sql.time" && f.strength >= 0.9)).toBe(true);
    // A Referer's query is the site's own parameters: a search's words, not a header's end.
    const refererQuery = sqlAnalyzer.analyze({ text: "please deliver by friday order by 5", location: "header", path: "header.referer.query.q", name: "q", kind: "value" });
    expect(refererQuery.reduce((m, f) => Math.max(m, f.strength), 0)).toBeLessThan(0.5);
    // A Referer's path is a header's, judged segment by segment.
    const refererPath = sqlAnalyzer.analyze({ text: "/products) WHERE 7359=7359 AND 1901=7816-- x", location: "header", path: "header.referer.path", name: "referer", kind: "path" });
    expect(refererPath.some((f) => f.rule === "sql.tautology" && f.strength >= 0.85)).toBe(true);
    // Not in a header, where a sentence may end so; and no two numbers compared, no column count, is none.
    for (const v of ["Please deliver by Friday, order by 5", "Is it true that 1 < 2 and 3 > 2", "Prove that x=2 and 2=2"]) expect(strongest(v)?.strength ?? 0).toBeLessThan(0.5);
    for (const v of ["ages 3 and 4 years", "sort by price, order by 2 and more", "Buy 2 and get 1 free", ua, `${ua} and 2=2%16 more`]) expect(top(v)).toBeLessThan(0.5);
  });

  test("MySQL's empty exponent before a bracket or comma (`1.e(`) is read as nothing, as MySQL reads it", () => {
    expect(strongest("1' or 1.e(1) or '1'='1")).toMatchObject({ rule: "sql.tautology", strength: 0.9 });
    expect(strongest("1.e(select password from users limit 1 1.e,1 1.e)")?.strength).toBeGreaterThanOrEqual(0.8);
    expect(strongest("price 1.e(3)")).toBeNull();
  });

  test("an error probe: a run of breaking characters that ends the value, both quotes side by side, brackets that do not balance", () => {
    expect(strongest(`1\u00bf'"(`)).toEqual({ rule: "sql.error-probe", strength: 0.85, evidence: `'"(` });
    expect(strongest(`1.)('",`)?.rule).toBe("sql.error-probe");
    // A NUL or control character after the run (sqlmap's appended null byte) ends nothing.
    expect(strongest(`1)"((')(.))\x00`)).toEqual({ rule: "sql.error-probe", strength: 0.85, evidence: `)"((')(.))` });
    // Quotes inside quotes, a quoted comma, an apostrophe and a bracket apart: prose and data.
    for (const v of [`say "'hi'"`, `a,"'",b`, `it's ("fine")`, `He said "see (the 'notes')"`, `s.strip('"')`, `str.replace("'", "''")`, `confirm('Sure?')"`]) expect(strongest(v)).toBeNull();
  });

  test("an error probe with its quotes apart needs a run of five or more breaking characters (sqlmap's heuristic check)", () => {
    expect(strongest(`1.,))',..,"`)).toEqual({ rule: "sql.error-probe", strength: 0.85, evidence: `.,))',..,"` });
    // A sentence that ends a quote and a bracket-less aside: three characters.
    expect(strongest(`see (the 'notes'."`)).toBeNull();
  });

  test("evidence spans point into the original text", () => {
    const text = "id=5' OR 'a'='a";
    const f = analyzeSql(text).find((x) => x.rule === "sql.tautology")!;
    expect(text.slice(f.start, f.end)).toBe("' OR 'a'='a");
    const union = "x' /**/UNION/**/ALL/**/SELECT 1,2--";
    const u = analyzeSql(union).find((x) => x.rule === "sql.union")!;
    expect(union.slice(u.start, u.end)).toBe("UNION/**/ALL/**/SELECT");
    const time = strongest("1 AND SLEEP(5)")!;
    expect(time.evidence).toBe("SLEEP(5)");
  });

  test("findings carry the sqli class and one finding per rule", () => {
    const found = sqlAnalyzer.analyze({ text: "1 UNION SELECT 1,2 UNION SELECT 3,4", location: "query", path: "query.id", name: "id", kind: "value" });
    expect(found.map((f) => f.class)).toEqual(["sqli"]);
    expect(found.filter((f) => f.rule === "sql.union").length).toBe(1);
  });
});

describe("sql analyzer: markup after a comment sign is read once", () => {
  test("a `#` comment of many `>` and no tag after them is still a comment (each `>` once scanned to the end for a tag: quadratic)", () => {
    for (const text of [`<a b='#${">".repeat(200_000)}`, `admin'#${">".repeat(200_000)}`]) expect(analyzeSql(text).some((f) => f.rule === "sql.comment-truncation")).toBe(true);
  });
});

describe("sql analyzer: benign text stays benign", () => {
  const benign = [
    "select the best one; drop it in the box",
    "Tom's and Mary's",
    // Words quoted in prose, keywords among them.
    "Chapter 3 - 'Or' and 'And' operators",
    "use 'select' or 'insert' here",
    "O'Reilly or 1 other",
    "--help",
    "1-1",
    "2024-01-02T10:00:00Z",
    "+1 (555) 010-9999",
    "v1.2.3-beta+build.5",
    "5' or 6'",
    "5'6\" or 5'7\"",
    "rock 'n' roll -- live",
    "it's 1 or 2 apples",
    "we can't union select members of the board",
    "order by price",
    "delete from cart",
    "update your profile, set a password",
    "create a table for the kids",
    "sleep (8 hours) is good",
    "benchmark(s) for 2024",
    '{"user":"bob","order":{"id":12,"items":[1,2]},"note":"it\'s \\"fine\\""}',
    "a{color:red;margin:0 1px} .b > p:hover{content:\"--\"}",
    "if (a == 1 || b != 2) { return x && y; }",
    "SELECT your size (S, M, L)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "name@example.com",
    "1' (inch)",
    "\"quoted\" and \"more quoted\"",
    "50% off -- today only!",
    "mysql.com or postgres",
    "everything except select items",
    "grant access to the building; thanks",
    "ok; grant it to you",
    "Please replace (old) values",
    "it\\'s fine or not",
    "yes or true",
    "a->b && c<@d",
    "std::vector<int> v",
    "I'd say 'yes' or 'no",
    "case when you can then call",
    "see [1] and [2] for details",
    // Markdown's code spans in prose are no backtick-quoted identifier
    "Use `SELECT name FROM users` to list them",
    "Run `npm install`, then wait -- ok",
    "Set `x`=`y` in the config, and 1=1 there is true",
    "I like it between us",
    "Use SELECT CASE grade WHEN 1 THEN 'A' END in lesson 4",
    "filter where 5 > 3",
    "C# Thread.Sleep(5000) not working",
    "Refs #77; update users set locale on signup",
    "=SUMPRODUCT((1=1)*5)",
    "Why does (1 == 1) + 1 equal 2 in JavaScript?",
    "先跑`SELECT * FROM orders WHERE id = 1`看看",
    "it's `x` and `y` -- ok",
    "Issue #42 is fixed, see page#section and more",
    "(2+3)*4 = 20",
    // a spreadsheet's IF on its cells, and prose that creates
    '=IF(A1=1,"yes","no")',
    "=IF(B2>100, B2*0.9, B2)",
    "create or replace your profile photo",
    // an e-mail address whose local part is a statement's or a procedure's word
    "exec@example.com",
    "execute@select-realty.example",
    "select@example.com",
    // a formula's prime: the comparison ends in a name or a number, which leaves the application's quote open
    "p' = 1 - p",
    "a' = a * (1 - r)",
    "n' = n + 1",
    // a parser's error message: ordered by < or > against a literal worth 0, no row's match widens
    "Unexpected token '<'",
    "Unexpected token '>'",
    "Unexpected character '<' at line 1",
    "width=100 and height=100\x1b[m",
    "x (1=1) y",
    "sizes 10 like 12, and more",
    "items[0]=a&items[1]=b",
    "Top 5 group by team having most wins -- 2024",
    "we group by city having fun -- see you",
    'Mr. & Mrs. Smith - "Order by phone"',
    // an attribute's fragment or colour after its opening quote is no comment after a closing one
    '<p>See <a href="#">details</a>.</p>',
    '<a href="#section-2">Jump</a>',
    '<font color="#ff0000">red</font>',
    // a dropdown's label, a film's line, a year in brackets: no call SQL runs
    "Select size (US)",
    "select comfort (queen)",
    "Execute order 66 (Star Wars)",
    "Benchmark (2019)",
    // the quote opened after the break is the other one: the application's own quote never closes it
    "Use ' or \" for strings",
    "single (') and double (\") quotes",
    "fix: handle ' and \" in CSV export",
  ];
  for (const text of benign) {
    test(JSON.stringify(text), () => {
      expect(strongest(text)?.strength ?? 0).toBeLessThan(0.5);
    });
  }
});

describe("sql analyzer: where instrumentation reports a statement", () => {
  test("a trace's or log's statement field holds SQL by design: by its name, a pair's name or a nested path", () => {
    const at = (name: string, path: string) => sqlAnalyzer.analyze({ text: "SELECT * FROM users WHERE id = 1 UNION SELECT password FROM admins", location: "body", path, name, kind: "value" });
    expect(at("db.statement", "body.json.attributes[1].value.stringValue")).toEqual([]);
    expect(at("statement", "body.json[0].db.statement")).toEqual([]);
    expect(at("db.query.text", "body.json.db.query.text")).toEqual([]);
    expect(at("statement", "body.json.statement").length).toBeGreaterThan(0);
    expect(at("comment", "body.json.comment").length).toBeGreaterThan(0);
  });
});

describe("sql analyzer: typographic quotes and dashes, `+` for spaces in paths", () => {
  const pathStrength = (path: string) => Math.max(0, ...sqlAnalyzer.analyze({ text: path, location: "path", path: "path", name: "", kind: "path" }).map((f) => f.strength));

  test("quotes and dashes a word processor typed are read as the ASCII they stand for", () => {
    expect(strongest("x\u2019 or 1=1\u2013")!.strength).toBeGreaterThanOrEqual(0.8);
    expect(strongest("1\u2032) and \u20181\u2032=\u20181\u2013")!.strength).toBeGreaterThanOrEqual(0.8);
    // The evidence points into the value as sent, the en dash included.
    expect(strongest("\u201d or 0=0 \u2013")!.evidence).toBe("\u201d or 0=0");
    // Prose with typographic quotes and dashes stays prose.
    for (const v of ["Tom\u2019s \u2013 the best", "it\u2019s 5\u201310 o\u2019clock", "\u201cquoted\u201d \u2014 said she", "rock \u2018n\u2019 roll"]) expect(analyzeSql(v)).toEqual([]);
  });

  test("a path with `+` for spaces is judged as a server that decodes them reads it", () => {
    expect(pathStrength("/files/+ORDER+BY+7#+")).toBeGreaterThanOrEqual(0.8);
    expect(pathStrength("/static/anything'+OR+'x'='x")).toBeGreaterThanOrEqual(0.8);
    for (const path of ["/search/c++/or+more", "/tags/a+b=c", "/wiki/Rock+or+Roll", "/p/1+1=2"]) expect(pathStrength(path)).toBeLessThan(0.5);
  });

  test("an injection in a route parameter, with more of the path after it, is judged where the route's tail starts", () => {
    // Read with the rest of the path, `1=1/view` is a division and `-- /view` no longer ends the query.
    expect(pathStrength("/files/' or 1=1/view")).toBeGreaterThanOrEqual(0.85);
    expect(pathStrength("/api/users/admin' --/profile")).toBeGreaterThanOrEqual(0.85);
    for (const path of ["/blog/rock 'n' roll/comments", "/docs/or 1 more/page/2"]) expect(pathStrength(path)).toBeLessThan(0.5);
  });
});

describe("sql analyzer: adjacent literals, fragments after the closure", () => {
  test("adjacent string literals are one literal, as MySQL and standard SQL join them", () => {
    expect(ruleStrength("' or '' '", "sql.tautology")).toBe(0.6);
    expect(analyzeSql("it's 'a' 'b' c")).toEqual([]);
  });

  test("MySQL's DIV and MOD are arithmetic: on the closed literal before a cut, and inside a condition", () => {
    expect(strongest("x' mod id--")).toMatchObject({ rule: "sql.concatenation", evidence: "' mod id--" });
    expect(ruleStrength("x' DIV 2--", "sql.concatenation")).toBeGreaterThan(0);
    expect(ruleStrength("1 or 5 mod 2=1", "sql.tautology")).toBeGreaterThanOrEqual(0.8);
    // A name elsewhere: markup and prose with the words stay quiet.
    for (const v of ["<div class=x>", "the div mod", "1 div 0", "a mod for the game; v2"]) expect(analyzeSql(v)).toEqual([]);
  });

  test("the shapes prose shares stay found where they are SQL", () => {
    // a spaced call of an unknown name, in a list that goes on as SQL
    expect(ruleStrength("1' union select foo (1)--", "sql.union")).toBeGreaterThanOrEqual(0.85);
    expect(ruleStrength("select myfn (password) from users", "sql.statement")).toBeGreaterThan(0);
    expect(ruleStrength("x'; select version()--", "sql.stacked")).toBeGreaterThanOrEqual(0.8);
    expect(ruleStrength("1 and benchmark(5000000,md5(1))", "sql.time")).toBeGreaterThanOrEqual(0.9);
    expect(ruleStrength("1;exec master..xp_dirtree '//x/a'--", "sql.procedure")).toBeGreaterThanOrEqual(0.9);
    // A user-defined function spaced from its parenthesis, after UNION, `;` or in a subquery; or behind a comment.
    for (const v of ["1; select sys_eval ('id')", "1 union select sys_eval ('id')", "1 and (select sys_eval ('id'))", "-1 UNION SELECT sys_exec/**/('id')", "select sys_exec/**/('id')", "/**/select sys_eval ('id')"]) {
      expect([v, (strongest(v)?.strength ?? 0) >= 0.5]).toEqual([v, true]);
    }
    expect(strongest("'; EXECUTE AS LOGIN = 'sa'; --")!.strength).toBeGreaterThanOrEqual(0.8);
    // the literal left open with the quote broken out of is completed by the application's own
    expect(ruleStrength("admin' or 'x", "sql.tautology")).toBe(0.6);
    expect(ruleStrength("x' or f(1) and 'y", "sql.tautology")).toBe(0.8);
    expect(ruleStrength('x" or "a', "sql.tautology")).toBe(0.6);
  });

  test("UNION SELECT right after the closed literal is a probe even cut short", () => {
    expect(ruleStrength("' UNION ALL SELECT", "sql.union")).toBe(0.85);
    expect(ruleStrength("Tom's union select", "sql.union")).toBeLessThan(0.8);
  });

  test("a lone word of prose in another script after UNION SELECT is a search about SQL, not a column read", () => {
    expect(ruleStrength("site:example.com union select 关键字怎么用", "sql.union")).toBeLessThan(0.5);
    expect(ruleStrength("union select クエリ", "sql.union")).toBeLessThan(0.5);
    // The same words as a real select list still read as SQL.
    expect(ruleStrength("1 union select 名前, 年齢 from users", "sql.union")).toBe(0.95);
    expect(ruleStrength("-1 union select password", "sql.union")).toBe(0.8);
  });

  test("a value that is a whole statement and closes no context is weak; one that cuts the rest of the query is not", () => {
    expect(ruleStrength("SELECT name FROM users WHERE id = ?", "sql.statement")).toBe(0.5);
    expect(ruleStrength("select * from users;", "sql.statement")).toBe(0.6);
    expect(ruleStrength("DELETE FROM sessions;--", "sql.statement")).toBe(0.8);
    expect(ruleStrength("1; SELECT * FROM users", "sql.stacked")).toBe(0.9);
  });

  test("a literal condition before a statement (MSSQL IF ... ELSE) is a probe", () => {
    expect(ruleStrength("IF(7423=7424) SELECT 7423 ELSE DROP FUNCTION x--", "sql.statement")).toBe(0.8);
    expect(analyzeSql("if (a=b) select it")).toEqual([]);
  });
});

describe("sql analyzer: a comment for a blank across a path's slashes", () => {
  test("`2/**/OR/**/1=1` in a route segment began in the segment before the comment; globs in a path are no comment", () => {
    const path = (text: string) => sqlAnalyzer.analyze({ text, location: "path", path: "path", name: "", kind: "path" });
    expect(path("/api/items/2/**/OR/**/1=1").map((f) => [f.rule, f.strength])).toEqual([["sql.tautology", 0.85]]);
    for (const v of ["/static/*/app.js", "/docs/**/index.html", "/a/b/*.js", "/files/2/**/readme.md"]) expect([v, path(v)]).toEqual([v, []]);
  });
});

describe("sql analyzer: paths", () => {
  for (const path of ["/products/p41", "/blog/winter-sale-2026", "/search/Tom's guide (2024)", "/wiki/C++ (language)", "/a/b;jsessionid=1F2E", "/img/logo.png?v=1,2"]) {
    test(JSON.stringify(path), () => {
      const found = sqlAnalyzer.analyze({ text: path, location: "path", path: "path", name: "", kind: "path" });
      expect(Math.max(0, ...found.map((f) => f.strength))).toBeLessThan(0.5);
    });
  }
});

describe("sql analyzer: bad and large input", () => {
  test("a megabyte is judged whole: an attack at its end is found", () => {
    const padding = "a=b&c=d ".repeat(131_072);
    expect(ruleStrength(`${padding}' UNION SELECT password FROM users--`, "sql.union")).toBeGreaterThanOrEqual(0.9);
  });

  test("a megabyte of benign JSON, parentheses or quotes gives no finding", () => {
    const json = JSON.stringify(Array.from({ length: 30_000 }, (_, i) => ({ id: i, name: `it's "x" ${i}`, tags: ["a", "b"] })));
    expect(json.length).toBeGreaterThan(1_000_000);
    expect(strongest(json)?.strength ?? 0).toBeLessThan(0.5);
    expect(analyzeSql("(".repeat(1 << 20))).toEqual([]);
    expect(analyzeSql("'".repeat(1 << 20))).toEqual([]);
  });

  test("deeply nested and binary input neither throws nor hangs", () => {
    expect(ruleStrength(`1 OR ${"(".repeat(100_000)}1=1`, "sql.tautology")).toBeGreaterThan(0);
    const binary = String.fromCharCode(...Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    expect(() => analyzeSql(binary)).not.toThrow();
    expect(() => analyzeSql("/*!".repeat(10_000) + "'" + "@@".repeat(1000))).not.toThrow();
  });

  test("plain words and numbers are not tokenized at all", () => {
    expect(analyzeSql("hello world 42")).toEqual([]);
  });

  test("a value that is one name is SQL only as a procedure or a catalogue, which have `_`", () => {
    expect(strongest("xp_cmdshell")?.rule).toBe("sql.procedure");
    for (const v of ["union", "1union", "0x1Funion", "border", "Groups", "intersección"]) expect(analyzeSql(v)).toEqual([]);
    // With a space, the keyword-only constructs are looked for as before.
    expect(strongest("1 union select 1")?.rule).toBe("sql.union");
  });
});

describe("sql analyzer: round s22's fixes", () => {
  test("a value of an UPDATE's SET list that assigns more columns is an injection; code's keyword arguments are not", () => {
    for (const v of ["x', role='admin'-- -", "x', is_admin=1#", "x', role='admin', plan='pro'-- ", "x',/**/role='admin'#"]) expect([v, ruleStrength(v, "sql.assignment")]).toEqual([v, 0.85]);
    // Its own WHERE then a cut, the statement ended, a number's field.
    for (const v of ["x', is_admin=1 where username='bob'-- -", "x', role='admin';--", "1, role='admin'#"]) expect([v, ruleStrength(v, "sql.assignment")]).toEqual([v, 0.85]);
    // Ending in the literal the application's quote closes, without a cut: weaker.
    expect(ruleStrength("x', role='admin", "sql.assignment")).toBe(0.5);
    // Without a cut or an open literal, a sentence's `-- words`, a closed block comment before the application's quote: none.
    for (const v of ["x', b='c'", 'yes", count=3 -- done', "x', a=1/**/"]) expect([v, ruleStrength(v, "sql.assignment")]).toEqual([v, 0]);
    for (const v of ["print('a', sep='')", "foo('a', b='c')", "Tom', she said='hi", "O'Neil, Bob=great"]) expect([v, analyzeSql(v)]).toEqual([v, []]);
  });
  test("SQL Server's control characters 0x01-0x0F are blanks (sqlmap's space2mssqlblank); ESC still is not", () => {
    expect(ruleStrength("1\x01OR\x011=1", "sql.tautology")).toBe(0.85);
    expect(ruleStrength("1;\x01WAITFOR\x02DELAY\x03'0:0:5'--", "sql.time")).toBeGreaterThanOrEqual(0.9);
    expect(analyzeSql("width=100 and height=100\x1b[m")).toEqual([]);
  });
  test("a quoted formula is no comparison: a number or a name before the closing literal is no SQL", () => {
    for (const v of ['"=1"', "'=1'", "'=B2'", '"=INDEX(A:A,MATCH(MAX(B:B),B:B,0))"']) expect([v, ruleStrength(v, "sql.tautology")]).toEqual([v, 0]);
    // A string there is (adjacent literals concatenate), and so is the bare probe.
    for (const v of ["x'='x", "' = 'a' '"]) expect([v, ruleStrength(v, "sql.tautology")]).toEqual([v, 0.6]);
  });
});

describe("sql analyzer: arithmetic on constants between the two quotes", () => {
  test("MySQL's login bypass without a keyword: the closed literal, constants spliced, the application's quote reopened", () => {
    for (const v of ["'-0-'", "'+0+'", "'-''-'", "'*0*'", "admin'-0-'"]) expect([v, ruleStrength(v, "sql.concatenation")]).toEqual([v, 0.85]);
    // The bare probe among other words stays weak; a quoted signed number, a name in it and prose are none.
    expect(ruleStrength("a '-' b", "sql.concatenation")).toBe(0.5);
    for (const v of ["'-1'", "'+1'", "O'Neil-3-'x", '"-",1920,1040,1920,1080,0,0,"-","-"]']) expect([v, ruleStrength(v, "sql.concatenation")]).toEqual([v, 0]);
    // Kaomoji in a message: text around the quotes.
    for (const v of ["love you (*'-3-')", "omg '-0-' really?", "(ﾉ'-0-')ﾉ"]) expect(ruleStrength(v, "sql.concatenation")).toBeLessThan(0.85);
  });
});

describe("sql analyzer: OData's comparison words", () => {
  test("two constants compared with eq, ne, gt, ... after a breakout are a tautology, as with = in SQL", () => {
    for (const v of ["x' or 1 eq 1", "x' or 'a' eq 'a", "x' and 1 eq 2--"]) expect([v, ruleStrength(v, "sql.tautology") >= 0.85]).toEqual([v, true]);
    // A filter's own comparison of a column, and French prose's `le`, are none.
    for (const v of ["Name eq 'Jean-Luc'", "l'homme le plus grand", "it's 'a' ne 'b' here"]) expect([v, analyzeSql(v)]).toEqual([v, []]);
  });
});

describe("sql analyzer: one operator between two quotes as the whole value", () => {
  test("MySQL's login bypass: '=' is true, '-' and its kin 0, which every string that is no number equals", () => {
    for (const v of ["'='", '"="', "' = '", "'-'", "'*'", "'|'", "'&'", "'^'", "'+'", "'/'"]) expect([v, strongest(v)?.strength]).toEqual([v, 0.85]);
    // An empty literal, a quoted word, and the operator among other words are not the payload.
    for (const v of ["''", "'a'", "use '=' to assign"]) expect(strongest(v)?.strength ?? 0).toBeLessThan(0.85);
  });
});

describe("sql analyzer: Cypher's clauses after a tautology", () => {
  test("Neo4j reads the injected condition whole before WITH, RETURN, MATCH, DELETE", () => {
    for (const v of ["' OR 1=1 RETURN n//", "x' OR 1=1 WITH 1 as a MATCH (n) RETURN n //", "x' or '1'='1' DETACH DELETE n //", "' OR 1=1 MATCH (n) RETURN n", "' OR 1=1 MATCH(n) DETACH DELETE n", "' OR 1=1 CREATE (n:Pwn) RETURN n//"]) expect([v, ruleStrength(v, "sql.tautology") >= 0.85]).toEqual([v, true]);
    // Prose with the same words compares nothing constant.
    for (const v of ["it's 1 or 2 = 3 with love", "return it by friday or match the price"]) expect([v, analyzeSql(v)]).toEqual([v, []]);
  });
});

describe("sql analyzer: a whole WHERE predicate that ends in a tautology", () => {
  test("a filter or JSON key that a query builder reads as a predicate, made true for every row", () => {
    for (const v of ["id = 5 OR 1=1", "name = 'x' OR 1=1 --", "status = 'x' OR 'a'='a' --", "a = b or 2=2 order by 1"]) expect([v, ruleStrength(v, "sql.tautology")]).toEqual([v, 0.85]);
    // A quiz's answer compares a name; a price says more; a column compared with itself is no constant.
    for (const v of ["x = 1 or x=-4", "price = 5 or more", "owner_id = 5 OR owner_id > 0"]) expect([v, ruleStrength(v, "sql.tautology")]).toEqual([v, 0]);
  });
});

describe("sql analyzer: a key that is an UPDATE's SET list", () => {
  test("a body key that assigns a column a constant and names the next one", () => {
    const key = (text: string) => sqlAnalyzer.analyze({ text, location: "body", path: `body.json.${text}`, name: text, kind: "key" }).find((f) => f.rule === "sql.assignment")?.strength ?? 0;
    for (const v of ["role='admin',name", "is_admin=1, email", "plan = \"pro\" , user_id", "role='admin', name='bob', email", "role='admin', name='bob'"]) expect([v, key(v)]).toEqual([v, 0.85]);
    // A key without a constant assigned, one assignment alone, and the same text as a value, are not.
    for (const v of ["a=b, c", "x=1", "role='admin'"]) expect([v, key(v)]).toEqual([v, 0]);
    expect(sqlAnalyzer.analyze({ text: "x=1, y", location: "body", path: "body.json.name", name: "name", kind: "value" })).toEqual([]);
  });
});

describe("sql analyzer: SELECT and one name as the whole value", () => {
  test("reads no table: a trace's span name, a menu's label", () => {
    for (const v of ["SELECT orders", "SELECT groups"]) expect([v, analyzeSql(v)]).toEqual([v, []]);
    expect(ruleStrength("' UNION SELECT password", "sql.union")).toBeGreaterThanOrEqual(0.8);
    expect(ruleStrength("SELECT orders;", "sql.statement")).toBe(0.6);
  });
});

describe("sql analyzer: keywords written around keywords", () => {
  test("a filter that deletes each keyword once joins the letters around it into one: read as such a filter leaves the value", () => {
    for (const [v, rule] of [
      ["1 UNIunionON SELselectECT password FROM users", "sql.union"],
      ["-1 uniunionon selselectect 1,2,3--", "sql.union"],
      ["1 UNIselectON SELunionECT 1,2--", "sql.union"],
      ["-1 /*!50000UNIunionON*/ /*!50000SELselectECT*/ 1,2--", "sql.union"],
      ["1 UNUNIunionONION SELSELselectECTECT 1--", "sql.union"],
      ["1' OorR '1'='1", "sql.tautology"],
      ["1 AANDND 1=1", "sql.tautology"],
      ["1 ORorDER BY 10--", "sql.order-by"],
      ["1 and pg_slsleepeep(5)", "sql.time"],
    ] as const) {
      expect([v, ruleStrength(v, rule) >= 0.8]).toEqual([v, true]);
    }
    // The evidence is the value's own text, the nested keywords included.
    expect(strongest("x' UNunionION SEselectLECT user FRfromOM users#")?.evidence).toStartWith("UNunionION SEselectLECT");
    // Words that double a keyword's letters or repeat it are no nesting; `bandy` is no `by` around `and`;
    // a lone keyword is no SQL, nested or not.
    for (const v of ["oorr", "the Bbyy band", "unionunion select", "a bandy-legged Bally shoe, order 1", "selselectect"]) expect([v, strongest(v)]).toEqual([v, null]);
  });

  test("a value over 64 KB (a large body's leaves past the limit, judged together) is not read so", () => {
    expect(collapseNestedKeywords("1 UNIunionON SELselectECT 1".padStart(60_000))?.text.trimStart()).toBe("1 UNION SELECT 1");
    expect(collapseNestedKeywords("1 UNIunionON SELselectECT 1".padStart(70_000))).toBeNull();
  });
});
