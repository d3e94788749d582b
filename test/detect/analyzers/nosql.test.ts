import { describe, expect, test } from "bun:test";
import { nosqlAnalyzer } from "../../../src/detect/analyzers/nosql.ts";
import { HUGE, leaf, maxStrength, rules, spansValid, wideJunk } from "./helpers.ts";

const key = (text: string, path: string) => ({ ...leaf(text, { name: text, path }), kind: "key" as const });

describe("nosql analyzer", () => {
  test("operators as keys: strong on a credential field or when they run code, moderate otherwise", () => {
    expect(maxStrength(nosqlAnalyzer, key("password[$ne]", "body.password[$ne]"))).toBeGreaterThanOrEqual(0.8);
    expect(maxStrength(nosqlAnalyzer, key("$ne", "body.json.password.$ne"))).toBeGreaterThanOrEqual(0.8);
    expect(maxStrength(nosqlAnalyzer, key("$where", "body.json.$where"))).toBeGreaterThanOrEqual(0.9);
    const filter = maxStrength(nosqlAnalyzer, key("filters[title][$eq]", "query.filters[title][$eq]"));
    expect(filter).toBeGreaterThanOrEqual(0.5);
    expect(filter).toBeLessThan(0.8);
    expect(nosqlAnalyzer.analyze(key("$price", "body.json.$price"))).toEqual([]);
  });

  test("aggregation stages that read or write other collections, as keys or inside a value", () => {
    for (const stage of ["$lookup", "$graphLookup", "$unionWith", "$out", "$merge"]) {
      expect(rules(nosqlAnalyzer, key(stage, `body.json.pipeline[0].${stage}`))).toEqual(["nosql.pipeline-stage"]);
    }
    // Inside a text, a pipeline is quoted (a docs search, a note): only keys build one.
    for (const v of ['[{"$lookup":{"from":"users","localField":"x","foreignField":"x","as":"u"}}]', "price: $out of stock, $merge later"]) expect(nosqlAnalyzer.analyze(leaf(v))).toEqual([]);
  });

  test("operator syntax and JavaScript inside a value", () => {
    expect(rules(nosqlAnalyzer, leaf("{\"$gt\": \"\"}"))).toEqual(["nosql.query-operator"]);
    expect(maxStrength(nosqlAnalyzer, leaf("x', $where: 'sleep(100)"))).toBeGreaterThanOrEqual(0.9);
    expect(rules(nosqlAnalyzer, leaf("'; return true; var y='"))).toContain("nosql.js-breakout");
    expect(rules(nosqlAnalyzer, leaf("' && this.secret.match(/^a/)//"))).toContain("nosql.js-breakout");
    // A busy-wait declared as JavaScript declares it.
    expect(rules(nosqlAnalyzer, leaf(" \n 1;var d=new Date();do{var c=new Date();}while(c-d<5000);"))).toContain("nosql.js-breakout");
    expect(rules(nosqlAnalyzer, leaf("x' || 'b'=='b"))).toContain("nosql.js-tautology");
    const text = "1; db.accounts.find({})";
    const shell = nosqlAnalyzer.analyze(leaf(text)).find((f) => f.rule === "nosql.shell-call")!;
    expect(text.slice(shell.start, shell.end)).toBe("db.accounts.find(");
  });

  test("operators inside a value: strong on a credential field, moderate on a field an API filters by", () => {
    expect(maxStrength(nosqlAnalyzer, leaf('{"password": {"$ne": null}}'))).toBe(0.85);
    expect(maxStrength(nosqlAnalyzer, leaf('{"$gt": ""}', { name: "user" }))).toBe(0.85);
    expect(maxStrength(nosqlAnalyzer, leaf('{"apiKey": {"$gte": ""}}'))).toBe(0.85);
    expect(maxStrength(nosqlAnalyzer, leaf('{"score":{"$gte":1000,"$lte":3000}}', { name: "where" }))).toBe(0.6);
    expect(maxStrength(nosqlAnalyzer, leaf('{"age": {"$where": "sleep(100)"}}'))).toBe(0.9);
    // A filter's operator first hides no credential's after it.
    expect(maxStrength(nosqlAnalyzer, leaf('{"age":{"$gt":0},"password":{"$ne":1}}'))).toBe(0.85);
  });

  test("an operator built from a parameter's name with an operand that matches every document", () => {
    const named = (name: string, text: string) => maxStrength(nosqlAnalyzer, leaf(text, { name, path: `body.${name}`, location: "body" }));
    for (const [name, text] of <[string, string][]>[["q[$regex]", ".*"], ["user[$regex]", "^"], ["a[b][$regex]", ".+"], ["category[$ne]", "null"], ["title[$gt]", "''"]]) {
      expect([name, text, named(name, text)]).toEqual([name, text, 0.85]);
    }
    // A filter that names what it compares with: an API's own syntax.
    for (const [name, text] of <[string, string][]>[["filters[title][$regex]", "^The"], ["filters[status][$ne]", "draft"], ["price[$gt]", "100"], ["q", ".*"]]) {
      expect([name, text, named(name, text)]).toEqual([name, text, 0]);
    }
  });

  test("a trace's statement field reports a query the database ran", () => {
    const text = 'db.orders.find({"status":"open","$where":"this.a > 1"})';
    expect(nosqlAnalyzer.analyze(leaf(text, { name: "db.statement", path: "body.json.attributes[0].value.stringValue" }))).toEqual([]);
    expect(maxStrength(nosqlAnalyzer, leaf(text, { name: "q", path: "body.json.q" }))).toBeGreaterThan(0);
  });

  test("prices, SQL tautologies and code prose are no finding", () => {
    for (const text of ["$100 off", "a=1&b=2", "' or 1=1 --", "if (a || b) { run(); }", "Tom & Jerry; again", "{\"price\": \"$5\"}"]) {
      expect([text, nosqlAnalyzer.analyze(leaf(text))]).toEqual([text, []]);
    }
  });

  test("a long run of leading whitespace is read once: none alone, a breakout after it found (the regex's two spaces once shared it, in quadratic time)", () => {
    expect(nosqlAnalyzer.analyze(leaf(" ".repeat(400_000)))).toEqual([]);
    expect(nosqlAnalyzer.analyze(leaf(`${"\n".repeat(400_000)}';return true;//`)).map((f) => f.rule)).toEqual(["nosql.js-breakout"]);
  });

  test("a megabyte value and binary junk: a correct answer, no throw", () => {
    expect(nosqlAnalyzer.analyze(leaf(HUGE))).toEqual([]);
    expect(nosqlAnalyzer.analyze(leaf(`|| ${"a".repeat(1 << 20)}`))).toEqual([]);
    expect(nosqlAnalyzer.analyze(leaf("$".repeat(1 << 20)))).toEqual([]);
    const j = wideJunk();
    expect(spansValid(nosqlAnalyzer.analyze(leaf(j)), j)).toBe(true);
    expect(spansValid(nosqlAnalyzer.analyze(key(j, "query.x")), j)).toBe(true);
  });
});

describe("nosql analyzer: an ORM's filter on a secret's column", () => {
  const at = (path: string, text = "p") => nosqlAnalyzer.analyze({ text, path, name: path.split(".").pop()!, kind: "value", location: path.startsWith("query") ? "query" : "body" });
  test("Django's lookups and Prisma's nested filters on a password or token guess it a piece at a time", () => {
    for (const p of ["query.password__startswith", "body.json.created_by__departments__employees__user__password__startswith", "query.password_hash__regex", "body.json.where.password.startsWith", "body.where[resetToken][startsWith]"]) {
      expect([p, at(p).map((f) => [f.rule, f.strength])]).toEqual([p, [["nosql.orm-lookup", 0.85]]]);
    }
    expect(at("body.json.password__isnull", "true").map((f) => f.strength)).toEqual([0.6]);
  });
  test("filters on other columns, a secret sent as itself and counts named for tokens are none", () => {
    for (const p of ["query.username__istartswith", "query.price__gte", "query.password", "query.token", "body.json.usage.tokens.in", "query.prompt_tokens__gte", "body.json.where.email.contains", "body.json.user.password_confirmation", "query.commit_hash__startswith", "body.json.where.commitHash.startsWith", "query.token__istartswith"]) {
      expect([p, at(p)]).toEqual([p, []]);
    }
  });
  test("it adds to the operator rules: an operator in a secret's lookup keeps its own strength", () => {
    expect(at("query.password__in", '{"$ne": null}').map((f) => [f.rule, f.strength])).toEqual([["nosql.orm-lookup", 0.6], ["nosql.query-operator", 0.85]]);
  });
});

describe("nosql analyzer: operators in dot notation", () => {
  test("qs's allowDots builds an operator from `field.$op` in a query or a form, as from `field[$op]`", () => {
    expect(rules(nosqlAnalyzer, key("pass.$ne", "query.pass.$ne"))).toEqual(["nosql.query-operator"]);
    expect(maxStrength(nosqlAnalyzer, key("pass.$ne", "query.pass.$ne"))).toBe(0.85);
    expect(maxStrength(nosqlAnalyzer, key("price.$gt", "query.price.$gt"))).toBe(0.6);
    expect(rules(nosqlAnalyzer, key("a.$where", "body.a.$where"))).toEqual(["nosql.code-operator"]);
    // A currency after a dot is no operator, nor a JSON key's dotted field path.
    expect(nosqlAnalyzer.analyze(key("cost.$USD", "query.cost.$USD"))).toEqual([]);
    expect(nosqlAnalyzer.analyze(key("pass.$ne", "body.json.pass.$ne"))).toEqual([]);
  });
});
