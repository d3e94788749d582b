/**
 * A judged request whose body is JSON nested too deep (issue 12, item 10): the field walk is
 * depth-limited, so the body is scored as text, and judging never throws.
 */
import { expect, test } from "bun:test";
import { Detector } from "../../src/detect/detector.ts";
import { extractFields } from "../../src/detect/fields.ts";
import { assembleRequest } from "../../src/parse/assemble.ts";

const origin = { source: "test" };
const request = (body: string) => assembleRequest({ vars: { request_method: "POST", request_uri: "/api/orders", request_body: body, content_type: "application/json" }, origin });

test("a body nested too deep is one text field; a shallow one is walked", async () => {
  const deep = `{"q":${"[".repeat(200_000)}"1' OR '1'='1"${"]".repeat(200_000)}}`;
  const fields = extractFields(request(deep)).filter((f) => f.location === "body");
  expect(fields.map((f) => [f.name, f.raw.length])).toEqual([["", deep.length]]);
  expect(extractFields(request('{"a":[{"b":"x"}]}')).filter((f) => f.location === "body").map((f) => f.name)).toEqual(["a[0].b"]);
  const [verdict] = await (await Detector.load()).judge([request(deep)]);
  expect(typeof verdict!.score).toBe("number");
});
