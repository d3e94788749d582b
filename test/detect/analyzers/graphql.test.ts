import { describe, expect, test } from "bun:test";
import { graphqlAnalyzer } from "../../../src/detect/analyzers/graphql.ts";
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
    expect(doc(batch("verifyOtp", 10))).toBe(0.85);
    expect(strongest(graphqlAnalyzer, batch("login", 50), { kind: "graphql" })!.rule).toBe("graphql.alias-batch");
    expect(doc(batch("verifyOtp", 9))).toBe(0);
    expect(doc(`{ ${Array.from({ length: 20 }, (_, i) => `p${i}: product(id: ${i}) { name }`).join(" ")} }`)).toBe(0);
    expect(doc("mutation { saveName(v: \"a\") { ok } saveCity(v: \"b\") { ok } saveZip(v: \"c\") { ok } }")).toBe(0);
  });

  test("only a GraphQL document is read: a value that mentions the words, or text that does not parse, is not", () => {
    expect(strength(graphqlAnalyzer, "{__schema{types{name}}}", { kind: "value" })).toBe(0);
    expect(doc("__schema { not graphql")).toBe(0);
  });
});
