import { describe, expect, test } from "bun:test";
import { splitLines } from "../../src/ingest/lines.ts";
import type { SourceLine } from "../../src/core/source-line.ts";

async function split(chunks: string[], maxLineBytes = 1 << 20): Promise<SourceLine[]> {
  async function* gen() {
    for (const c of chunks) yield new TextEncoder().encode(c);
  }
  const out: SourceLine[] = [];
  for await (const batch of splitLines(gen(), "s", { maxLineBytes })) out.push(...batch);
  return out;
}

describe("splitLines", () => {
  test("lines across chunk boundaries, CRLF, byte offsets with UTF-8", async () => {
    const lines = await split(["ab\r\nc", "é\nd", "ef\n\nlast"]);
    expect(lines.map((l) => [l.text, l.line, l.offset])).toEqual([["ab", 1, 0], ["cé", 2, 4], ["def", 3, 8], ["", 4, 12], ["last", 5, 13]]);
  });
  test("over-long lines are cut, marked with their real length, and do not swallow the next line", async () => {
    const lines = await split(["short\n", "x".repeat(30), "y".repeat(30), "\nnext\n"], 16);
    expect(lines.map((l) => [l.text, l.tooLong, l.line, l.offset])).toEqual([
      ["short", undefined, 1, 0],
      ["x".repeat(16), 60, 2, 6],
      ["next", undefined, 3, 67],
    ]);
  });
  test("an over-long last line without newline", async () => {
    const lines = await split(["a\n", "z".repeat(40)], 16);
    expect(lines[1]).toMatchObject({ tooLong: 40, line: 2, offset: 2 });
  });
  test("empty input yields nothing", async () => {
    expect(await split([])).toEqual([]);
  });
});
