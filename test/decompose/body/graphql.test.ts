import { describe, expect, test } from "bun:test";
import { addGraphqlLeaves, looksLikeGraphql, parseGraphql } from "../../../src/decompose/body/graphql.ts";
import { leafAt, paths, sink } from "../fixtures.ts";

const base = { location: "body" as const, path: "body.graphql", name: "", encodings: [], layer: 0 };

describe("GraphQL", () => {
  test("the cheap check passes documents, not JSON or text", () => {
    expect(looksLikeGraphql("query Q { a }")).toBe(true);
    expect(looksLikeGraphql("{ user(id: 1) { name } }")).toBe(true);
    expect(looksLikeGraphql('{"query": "x"}')).toBe(false);
    expect(looksLikeGraphql("query the database")).toBe(false);
  });

  test("the document is a graphql leaf; argument, nested input and directive strings are value leaves", () => {
    const doc = `query Find($limit: Int = 5, $q: String = "default'--") {
      user(name: "admin' OR 1=1--", filter: { tags: ["<script>x</script>"], n: 3 }) {
        posts(first: 2) @include(if: true) { title @deprecated(reason: "{{7*7}}") }
      }
    }`;
    const s = sink();
    expect(addGraphqlLeaves(s, doc, base)).toBe(true);
    expect(leafAt(s.leaves, "body.graphql", "graphql").text).toBe(doc);
    expect(leafAt(s.leaves, "body.graphql.Find.user.name").text).toBe("admin' OR 1=1--");
    expect(leafAt(s.leaves, "body.graphql.Find.user.filter.tags[0]").text).toBe("<script>x</script>");
    expect(leafAt(s.leaves, "body.graphql.Find.user.posts.title@deprecated.reason").text).toBe("{{7*7}}");
    expect(leafAt(s.leaves, "body.graphql.Find.$q").text).toBe("default'--");
    expect(paths(s.leaves)).toHaveLength(5);
  });

  test("a document parsed again right after (the analyzer after the decompose stage) is the first parse's; a large one is not kept", () => {
    const text = "query { me { ...F } } fragment F on User { id }";
    expect(parseGraphql(text)).toBe(parseGraphql(text));
    expect(parseGraphql(`${text}${" ".repeat(70_000)}`)).not.toBe(parseGraphql(`${text}${" ".repeat(70_000)}`));
  });

  test("text that does not parse adds nothing", () => {
    const s = sink();
    expect(addGraphqlLeaves(s, "{ user(id: ) }", base)).toBe(false);
    expect(s.leaves).toEqual([]);
  });

  test("selections nested past the depth limit are flagged, not walked", () => {
    const s = sink({ limits: { maxDepth: 3 } });
    expect(addGraphqlLeaves(s, `${"{ a ".repeat(5)}{ b(x: "deep") }${" }".repeat(5)}`, base)).toBe(true);
    expect(s.flags).toEqual(["too-deep"]);
    expect(paths(s.leaves)).toEqual(["body.graphql"]);
  });
});
