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

  test("names in any case, as ASP.NET matches them; a name's first sixteen repeats; a multipart form's fields", () => {
    expect(judged("/p?id=1/*&ID=*/UNION/*&Id=*/SELECT%201,2,3")).toEqual([["query.id", "sqli", 0.95]]);
    expect(judged("/p?id=1/*&id=*/UNION/*&id=*/SELECT%201,2,3" + "&id=x".repeat(20))).toEqual([["query.id", "sqli", 0.95]]);
    expect(judged("/p?" + Array.from({ length: 10 }, (_, i) => `n${i}=a&n${i}=b`).join("&") + "&id=1/*&id=*/UNION/*&id=*/SELECT%201,2")).toEqual([["query.id", "sqli", 0.95]]);
    // The finding stands on the first repeat with text, its span that whole value.
    expect(judged("/p?id=&id=1/*&id=*/UNION/*&id=*/SELECT%201,2,3")).toEqual([["query.id", "sqli", 0.95]]);
    const body = ["--b", 'Content-Disposition: form-data; name="id"', "", "1/*", "--b", 'Content-Disposition: form-data; name="id"', "", "*/UNION/*", "--b", 'Content-Disposition: form-data; name="id"', "", "*/SELECT 1,2", "--b--", ""].join("\r\n");
    const req = request(["POST /p HTTP/1.1", "Host: a", "Content-Type: multipart/form-data; boundary=b", `Content-Length: ${body.length}`], body);
    const { leaves } = decompose(req);
    expect(joinedRepeats(leaves).map((j) => [j.leaf.path, j.leaf.text])).toEqual([["body.multipart.id~joined", "1/*,*/UNION/*,*/SELECT 1,2"]]);
  });

  test("the joined value is a leaf of the first repeat's place, its values in order", () => {
    const joined = joinedRepeats(decompose(request(["GET /p?a=1&b=x&A=2 HTTP/1.1", "Host: a"])).leaves);
    expect(joined.map((j) => [j.repeats.length, j.leaf.path, j.leaf.text])).toEqual([[2, "query.a~joined", "1,2"]]);
  });
});
