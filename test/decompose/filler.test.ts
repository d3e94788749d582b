import { describe, expect, test } from "bun:test";
import { FILLER_RUN, fillerPieces } from "../../src/decompose/filler.ts";
import { expandedQueryValue as expand, leafAt, paths } from "./fixtures.ts";

const pad = (n = 4100, c = "a") => c.repeat(n);

describe("padding", () => {
  test("the pieces between runs of one character, trimmed, before and after", () => {
    expect(fillerPieces(`${pad()} 0 or 1=1`)).toEqual(["0 or 1=1"]);
    expect(fillerPieces(`1' or '1'='1'-- ${pad(300, " ")}x${pad(300, "0")}<svg onload=alert(1)>`)).toEqual(["1' or '1'='1'--", "<svg onload=alert(1)>"]);
    // Pieces too short to hold a payload are no leaves.
    expect(fillerPieces(`ab${pad()}`)).toEqual([]);
  });

  test("a value without a long run of one character has no pieces", () => {
    expect(fillerPieces(`${pad(FILLER_RUN - 1)} 0 or 1=1`)).toEqual([]);
    expect(fillerPieces("abc".repeat(2000))).toEqual([]);
    expect(fillerPieces("0 or 1=1")).toEqual([]);
  });

  test("at most four pieces a value", () => {
    const many = Array.from({ length: 10 }, (_, i) => `piece${i}`).join(pad(FILLER_RUN, "-"));
    expect(fillerPieces(many)).toEqual(["piece0", "piece1", "piece2", "piece3"]);
  });

  test("once the value is decoded, each piece is a leaf beside the whole, in the same place", () => {
    const { leaves } = expand(`${pad()} %3Cscript%3E`);
    expect(paths(leaves)).toEqual(["query.q", "query.q~url", "query.q~url~unpadded"]);
    expect(leafAt(leaves, "query.q~url~unpadded")).toMatchObject({ text: "<script>", location: "query", name: "q", kind: "value", encodings: ["url"] });
    expect(paths(expand(`abc ${pad()} y=1 ${pad(FILLER_RUN, "b")} 0 or 1=1`).leaves)).toContain("query.q~unpadded#3");
  });

  test("pieces count as a layer: past the limit the value is flagged too deep", () => {
    const s = expand(`${pad()} 0 or 1=1`, { maxEncodingLayers: 0 });
    expect(paths(s.leaves)).toEqual(["query.q"]);
    expect(s.flags).toContain("too-deep");
  });
});
