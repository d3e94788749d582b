import { describe, expect, test } from "bun:test";
import { graphqlAnalyzer, operationBatch } from "../../../src/detect/analyzers/graphql.ts";
import { decompose } from "../../../src/decompose/index.ts";
import { isParseError } from "../../../src/core/http-request.ts";
import { rawHttpParser } from "../../../src/parse/raw-http.ts";
import { evidence, strength, strongest } from "./helpers.ts";

const doc = (text: string) => strength(graphqlAnalyzer, text, { kind: "graphql", location: "body", path: "body.json.query", name: "query" });
const batch = (field: string, n: number) => `mutation { ${Array.from({ length: n }, (_, i) => `a${i}: ${field}(user: "admin", code: "${1000 + i}") { ok }`).join(" ")} }`;

describe("GraphQL analyzer", () => {
  test("introspection: the schema or a type asked for, at any depth, in a fragment too", () => {
    expect(doc("query IntrospectionQuery { __schema { queryType { name } types { name kind } } }")).toBe(0.85);
    expect(doc('{ __type(name: "User") { fields { name } } }')).toBe(0.85);
    expect(doc("query { viewer { ...F } } fragment F on Viewer { __schema { types { name } } }")).toBe(0.85);
    expect(strongest(graphqlAnalyzer, "{__schema{types{name}}}", { kind: "graphql" })!).toMatchObject({ class: "scanner", rule: "graphql.introspection" });
    expect(evidence(graphqlAnalyzer, "{__schema{types{name}}}", { kind: "graphql" })).toBe("__schema");
  });

  test("what clients send on their own is no introspection: __typename, a field or a string that names the schema", () => {
    expect(doc("query Product($id: ID!) { product(id: $id) { __typename name price } }")).toBe(0);
    expect(doc('{ search(text: "__schema") { id } }')).toBe(0);
    expect(doc("{ __schemaVersion }")).toBe(0);
  });

  test("one mutation field under ten aliases or more is a batch; fewer, or a query, is not", () => {
    expect(doc(batch("updateRow", 10))).toBe(0.85);
    expect(strongest(graphqlAnalyzer, batch("login", 50), { kind: "graphql" })!.rule).toBe("graphql.alias-batch");
    expect(doc(batch("updateRow", 9))).toBe(0);
    expect(doc(`{ ${Array.from({ length: 20 }, (_, i) => `p${i}: product(id: ${i}) { name }`).join(" ")} }`)).toBe(0);
    expect(doc("mutation { saveName(v: \"a\") { ok } saveCity(v: \"b\") { ok } saveZip(v: \"c\") { ok } }")).toBe(0);
  });

  test("a field whose name checks a secret is a batch from three aliases: nobody signs in or checks a code twice in one operation", () => {
    for (const field of ["login", "signIn", "verifyOtp", "checkPin", "resetPassword"]) expect([field, doc(batch(field, 3))]).toEqual([field, 0.85]);
    expect(doc(batch("verifyOtp", 2))).toBe(0);
    const aliased = (call: (i: number) => string, n: number) => `query { ${Array.from({ length: n }, (_, i) => `a${i}: ${call(i)} { ok }`).join(" ")} }`;
    expect(doc(aliased((i) => `checkPin(pin: "${i}")`, 3))).toBe(0.85);
    // A field that only takes a secret-named argument names an account: a page asks for a few.
    expect(doc(aliased((i) => `user(login: "dev${i}")`, 9))).toBe(0);
    // A query field named so without such an argument reads settings: a page's components may batch three.
    expect(doc(aliased(() => "passwordPolicy", 3))).toBe(0);
    expect(doc(aliased(() => "loginHistory(first: 10)", 3))).toBe(0);
    // A comment that names a mutation after the aliases does not move where they are counted from.
    expect(doc(`${aliased((i) => `login(user: "admin", password: "p${i}")`, 3)} # mutation`)).toBe(0.85);
  });

  test("a query field that checks a secret (by its name or an argument's) under ten aliases is a batch too; other queries batch in ordinary use", () => {
    const aliased = (call: (i: number) => string, n = 12) => `query { ${Array.from({ length: n }, (_, i) => `a${i}: ${call(i)} { ok }`).join(" ")} }`;
    const calls = [(i: number) => `login(user: "admin", password: "p${i}")`, (i: number) => `checkPin(pin: "${String(i).padStart(4, "0")}")`, (i: number) => `validateTotp(token: "${100000 + i}")`, (i: number) => `account(email: "a@b.c", passcode: "${i}")`];
    for (const call of calls) expect([call(0), strongest(graphqlAnalyzer, aliased(call), { kind: "graphql" })?.rule]).toEqual([call(0), "graphql.alias-batch"]);
    expect(doc(aliased((i) => `account(email: "a@b.c", passcode: "${i}")`, 9))).toBe(0);
    // A page's products, countries or prices by alias, and one login among other fields.
    expect(doc(aliased((i) => `product(id: ${i})`, 30))).toBe(0);
    expect(doc(aliased((i) => `country(code: "C${i}")`, 30))).toBe(0);
    // Whole words of a name: `hotProducts` holds no `otp`, `formFactor` no `mfa`, `boardingPass` no password.
    for (const call of [(i: number) => `hotProducts(category: "${i}")`, (i: number) => `spotPrice(sku: "${i}")`, (i: number) => `product(formFactor: "${i}")`, (i: number) => `boardingPass(id: ${i})`]) {
      expect([call(0), doc(aliased(call))]).toEqual([call(0), 0]);
    }
    expect(doc(`query { me { id } settings { passwordPolicy { minLength } } ${Array.from({ length: 12 }, (_, i) => `p${i}: price(sku: "${i}") { amount }`).join(" ")} }`)).toBe(0);
  });

  test("queries written to exhaust the server: a field nested in itself eight times, one directive five times on a field", () => {
    const nested = (field: string, n: number) => `query { user(id: 1) { ${`${field} { `.repeat(n)}id${" }".repeat(n)} } }`;
    expect(strongest(graphqlAnalyzer, nested("friends", 8), { kind: "graphql" })!).toMatchObject({ class: "scanner", rule: "graphql.cyclic-query", strength: 0.85 });
    expect(doc(nested("friends", 7))).toBe(0);
    // Two fields taking turns, each seven times: twelve repeats on one path.
    const alternating = `query { ${"posts { author { ".repeat(7)}id${" } }".repeat(7)} }`;
    expect(strongest(graphqlAnalyzer, alternating, { kind: "graphql" })?.rule).toBe("graphql.cyclic-query");
    expect(doc(`query { ${"posts { author { ".repeat(3)}id${" } }".repeat(3)} }`)).toBe(0);
    expect(strongest(graphqlAnalyzer, `{ me { name${" @include(if: true)".repeat(5)} } }`, { kind: "graphql" })!.rule).toBe("graphql.directive-overload");
    expect(doc("{ me { name @include(if: $a) @skip(if: $b) avatar @include(if: $a) } }")).toBe(0);
    // Relay's connections and the trees a page walks nest by design; one field under many parents is no cycle.
    expect(doc(`{ viewer { ${"edges { node { items { ".repeat(4)}id${" } } }".repeat(4)} } }`)).toBe(0);
    for (const field of ["children", "replies", "parent", "childItems"]) expect([field, doc(nested(field, 9))]).toEqual([field, 0]);
    expect(doc(`{ ${["a", "b", "c", "d", "e", "f", "g", "h", "i"].map((p) => `${p} { price { amount } }`).join(" ")} }`)).toBe(0);
  });

  test("one field fifty times in one selection set, as itself or under aliases, multiplies one answer for its cost", () => {
    expect(doc(`query { me { ${Array(60).fill("id").join(" ")} } }`)).toBe(0.85);
    expect(doc(`query { ${Array.from({ length: 55 }, (_, i) => `q${i}: search(term: "a", first: 100) { id title }`).join(" ")} }`)).toBe(0.85);
    expect(strongest(graphqlAnalyzer, `{ me { ${Array(60).fill("id").join(" ")} } }`, { kind: "graphql" })!.rule).toBe("graphql.field-overload");
    // A page's products by alias, and a big app query whose fields repeat across its selection sets.
    expect(doc(`query { ${Array.from({ length: 30 }, (_, i) => `p${i}: product(id: ${i}) { id name }`).join(" ")} }`)).toBe(0);
    expect(doc(`query { ${Array.from({ length: 60 }, (_, i) => `f${i} { id name }`).join(" ")} }`)).toBe(0);
  });

  test("a mutation in a URL's query string, which no client sends and no server runs from a GET; a query there is ordinary", () => {
    const inUrl = (text: string) => strength(graphqlAnalyzer, text, { kind: "graphql", location: "query", path: "query.query", name: "query" });
    expect(inUrl("mutation { deleteAccount(confirm: true) { ok } }")).toBe(0.85);
    expect(inUrl('mutation ChangeEmail { changeEmail(email: "a@b.example") { ok } }')).toBe(0.85);
    expect(inUrl("query { me { id } }")).toBe(0);
    expect(inUrl("{ search(term: \"mutation testing\") { id } }")).toBe(0);
    expect(doc("mutation { deleteAccount(confirm: true) { ok } }")).toBe(0);
  });

  test("fragments that spread themselves, directly or through others, or multiply one another, are written to exhaust a server", () => {
    const rule = (text: string) => strongest(graphqlAnalyzer, text, { kind: "graphql" })?.rule ?? null;
    expect(rule("query { me { ...A } } fragment A on User { friends { ...B } } fragment B on User { name ...A }")).toBe("graphql.fragment-cycle");
    expect(rule("{ ...F } fragment F on Query { ...F }")).toBe("graphql.fragment-cycle");
    const laughs = ["fragment L0 on Q { a b c d e f g h i j }", ...Array.from({ length: 12 }, (_, i) => `fragment L${i + 1} on Q { ...L${i} ...L${i} ...L${i} }`), "{ ...L12 }"].join(" ");
    expect(rule(laughs)).toBe("graphql.fragment-expansion");
    // A chain deeper than the walk goes, defined from its top, and one fragment spread under many aliases of an operation.
    expect(rule(["{ ...F0 }", ...Array.from({ length: 70 }, (_, i) => `fragment F${i} on Q { ...F${i + 1} }`), "fragment F70 on Q { a }"].join(" "))).toBe("graphql.fragment-expansion");
    const wide = `fragment B on Q { ${Array.from({ length: 700 }, (_, i) => `f${i}`).join(" ")} } query { ${Array.from({ length: 200 }, (_, i) => `a${i}: x { ...B }`).join(" ")} }`;
    // (Two hundred aliases of one field are an overload of their own too.)
    expect(graphqlAnalyzer.analyze({ text: wide, kind: "graphql", location: "body", path: "body.json.query", name: "query" }).map((f) => f.rule)).toEqual(expect.arrayContaining(["graphql.fragment-expansion", "graphql.field-overload"]));
    // What clients send: fragments reused across a query, nested, spread more than once, and inline ones.
    const apollo = "query Feed { feed { ...Post author { ...User } comments { ...Comment } } } fragment User on User { id name avatar } fragment Post on Post { id title author { ...User } } fragment Comment on Comment { id body author { ...User } }";
    expect(doc(apollo)).toBe(0);
    expect(doc("{ node(id: 1) { ... on User { name } ... on Page { title } } }")).toBe(0);
    expect(doc("{ ...Missing } fragment F on Q { ...Missing2 }")).toBe(0);
  });

  test("one mutation field ten times or more across a JSON array batch is a batch, on the first document", () => {
    const batched = (operations: string[]) => {
      const body = JSON.stringify(operations.map((query) => ({ query })));
      const req = rawHttpParser.parse(`POST /graphql HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`, { source: "t" });
      if (isParseError(req)) throw new Error(req.reason);
      const { leaves } = decompose(req);
      return operationBatch(leaves).map(({ at, finding }) => [leaves[at]!.path, finding.rule, finding.strength]);
    };
    const login = (i: number) => `mutation { login(user: "admin", pass: "p${i}") { token } }`;
    expect(batched(Array.from({ length: 10 }, (_, i) => login(i)))).toEqual([["body.json[0].query", "graphql.operation-batch", 0.85]]);
    // Aliases and operations add up: five operations of two aliases each.
    expect(batched(Array.from({ length: 5 }, (_, i) => `mutation { a: login(pass: "a${i}") { token } b: login(pass: "b${i}") { token } }`))).toHaveLength(1);
    expect(batched(Array.from({ length: 9 }, (_, i) => `mutation { updateItem(id: ${i}) { ok } }`))).toEqual([]);
    expect(batched(Array.from({ length: 10 }, (_, i) => `mutation { updateItem(id: ${i}) { ok } }`))).toHaveLength(1);
    // A field whose name checks a secret, from three operations.
    expect(batched(Array.from({ length: 3 }, (_, i) => login(i)))).toHaveLength(1);
    expect(batched(Array.from({ length: 2 }, (_, i) => login(i)))).toEqual([]);
    // A query that checks a secret, batched alike.
    expect(batched(Array.from({ length: 10 }, (_, i) => `query { checkPin(pin: "${i}") { ok } }`))).toEqual([["body.json[0].query", "graphql.operation-batch", 0.85]]);
    // A page's queries batched together, or different mutations, are what clients send.
    expect(batched(Array.from({ length: 20 }, (_, i) => `query Q${i} { product(id: ${i}) { name } }`))).toEqual([]);
    expect(batched(Array.from({ length: 12 }, (_, i) => `mutation { save${i}(v: "x") { ok } }`))).toEqual([]);
    // One document with escapes is read decoded too: that reading is the same document, not a second one.
    expect(batched([`mutation { ${Array.from({ length: 5 }, (_, i) => `r${i}: updateRow(id: ${i}, note: "caf\\u00e9") { ok }`).join(" ")} }`])).toEqual([]);
  });

  test("named operations of one document are counted each alone: a request runs one of them", () => {
    const named = Array.from({ length: 10 }, (_, i) => `mutation Op${i} { updateItem(id: ${i}) { ok } }`).join(" ");
    expect(doc(named)).toBe(0);
  });

  test("only a GraphQL document is read: a value that mentions the words, or text that does not parse, is not", () => {
    expect(strength(graphqlAnalyzer, "{__schema{types{name}}}", { kind: "value" })).toBe(0);
    expect(doc("__schema { not graphql")).toBe(0);
  });
});
