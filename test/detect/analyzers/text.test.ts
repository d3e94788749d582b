import { describe, expect, test } from "bun:test";
import { routeTailSlashes } from "../../../src/detect/analyzers/text.ts";

describe("route tails of a path", () => {
  test("the last three slashes, not the leading one; none past 8 KB (longer than nginx takes a request line)", () => {
    expect(routeTailSlashes("/a/b/c/d")).toEqual([6, 4, 2]);
    expect(routeTailSlashes("/a/b")).toEqual([2]);
    expect(routeTailSlashes("/a")).toEqual([]);
    expect(routeTailSlashes(`/${"x".repeat(9000)}/b/c/d`)).toEqual([]);
  });
});
