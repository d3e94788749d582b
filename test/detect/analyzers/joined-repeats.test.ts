import { describe, expect, test } from "bun:test";
import { LeafAnalysis } from "../../../src/detect/analyzers/index.ts";
import { joinedRepeats } from "../../../src/detect/analyzers/joined-repeats.ts";
import { decompose } from "../../../src/decompose/index.ts";
import { request } from "../../decompose/fixtures.ts";

const judged = (target: string, body = "") => {
  const req = request([`${body ? "POST" : "GET"} ${target} HTTP/1.1`, "Host: a", ...(body ? ["Content-Type: application/x-www-form-urlencoded", `Content-Length: ${body.length}`] : [])], body);
  const { leaves } = decompose(req);
  const findings = new LeafAnalysis().analyzeRequest(req, leaves);
  return leaves.flatMap((l, i) => findings[i]!.filter((f) => f.rule === "params.joined-repeats").map((f) => [l.path, f.class, f.strength]));
};

describe("joined repeats: a payload split across a parameter's repeats, which ASP.NET joins with commas", () => {
  test("the joined value's injection, where no repeat alone holds one, in a query or a form", () => {
    expect(judged("/p?id=1/*&id=*/UNION/*&id=*/SELECT%201,2,3")).toEqual([["query.id", "sqli", 0.95]]);
    expect(judged("/p", "id=1'/*&id=*/or/*&id=*/'1'='1")).toEqual([["body.id", "sqli", 0.9]]);
  });

  test("ordinary repeats (checkboxes, lists, sorts) join to nothing; a repeat that is an attack alone needs no joining", () => {
    for (const t of ["/p?id=1&id=2&id=3", "/p?tag=select&tag=from&tag=where", "/p?sort=name&sort=-date", "/p?q=1'%20or%20'1'='1&q=2"]) expect([t, judged(t)]).toEqual([t, []]);
  });

  test("only a query's or a form's own parameters, a bounded number of names and repeats", () => {
    const req = request(["GET /p?a=1&a=2&" + Array.from({ length: 20 }, (_, i) => `n${i}=x&n${i}=y`).join("&") + " HTTP/1.1", "Host: a"]);
    const joined = joinedRepeats(decompose(req).leaves);
    expect(joined.length).toBe(8);
    expect(joined[0]!.leaf.path).toBe("query.a~joined");
    expect(joined[0]!.leaf.text).toBe("1,2");
  });
});
