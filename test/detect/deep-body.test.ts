/**
 * A judged request whose body is JSON nested too deep (issue 12, item 10): decomposition is
 * depth-limited, so the body is judged as one text leaf and flagged, and judging never throws.
 */
import { expect, test } from "bun:test";
import { Detector } from "../../src/detect/detector.ts";
import { decompose } from "../../src/decompose/index.ts";
import { assembleRequest } from "../../src/parse/assemble.ts";

const origin = { source: "test" };
const request = (body: string) => assembleRequest({ vars: { request_method: "POST", request_uri: "/api/orders", request_body: body, content_type: "application/json" }, origin });

test("a body nested too deep is one flagged text leaf, its brackets filler around the value; a shallow one is walked", async () => {
  const deep = `{"q":${"[".repeat(200_000)}"1' OR '1'='1"${"]".repeat(200_000)}}`;
  const { leaves, flags } = decompose(request(deep));
  const body = leaves.filter((l) => l.location === "body");
  expect(body.map((l) => [l.path, l.kind, l.text.length])).toEqual([["body", "text", deep.length], ["body~unpadded", "text", 5], ["body~unpadded#2", "text", 14]]);
  expect(body[2]!.text).toBe(`"1' OR '1'='1"`);
  expect(flags).toContain("too-deep");
  expect(decompose(request('{"a":[{"b":"x"}]}')).leaves.filter((l) => l.location === "body").map((l) => l.path)).toEqual(["body.json.a[0].b"]);
  const [verdict] = await (await Detector.load()).judge([request(deep)]);
  expect(typeof verdict!.score).toBe("number");
});
