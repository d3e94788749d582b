import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { readRequests } from "../../src/ingest/read.ts";
import { resolveInputs, InputError } from "../../src/ingest/batch.ts";
import { Rejections } from "../../src/parse/rejections.ts";
import { tempDir } from "../helpers/tmp.ts";

const line = (i: number, path = "/p") => `10.0.0.${i % 250} - - [24/Nov/2026:11:54:54 +0000] "GET ${path}?i=${i} HTTP/1.1" 200 3 "-" "ua"`;

async function readAll(paths: string[], format: "auto" | "combined" = "auto") {
  const rejections = new Rejections(3);
  const out = [];
  for await (const batch of readRequests(paths, { format }, rejections)) out.push(...batch);
  return { requests: out, rejections };
}

describe("batch inputs", () => {
  const dir = tempDir();
  writeFileSync(join(dir, "a.log"), [line(1), line(2)].join("\n") + "\n");
  writeFileSync(join(dir, "b.log.gz"), gzipSync([line(3), "garbage", line(4)].join("\n")));
  writeFileSync(join(dir, "zipped-without-extension"), gzipSync(line(5) + "\n"));
  mkdirSync(join(dir, "sub"));
  writeFileSync(join(dir, "sub", "c.json"), '{"uri":"/j","method":"GET"}\n');

  test("files, gzip (by magic bytes), in order, with origins", async () => {
    const { requests, rejections } = await readAll([join(dir, "a.log"), join(dir, "b.log.gz"), join(dir, "zipped-without-extension")]);
    expect(requests.map((r) => r.query)).toEqual(["i=1", "i=2", "i=3", "i=4", "i=5"]);
    expect(requests[3]!.origin).toEqual({ source: join(dir, "b.log.gz"), line: 3, offset: line(3).length + 1 + "garbage".length + 1 });
    expect(rejections.total).toBe(1);
    expect(rejections.bySource.get(join(dir, "b.log.gz"))!.samples[0]).toMatchObject({ line: 2, text: "garbage" });
  });

  test("directories recursively and globs; each input gets its own format", async () => {
    const all = await readAll([dir]);
    expect(all.requests.map((r) => r.path)).toContain("/j");
    expect(all.requests).toHaveLength(6);
    const globbed = await readAll([join(dir, "*.log")]);
    expect(globbed.requests).toHaveLength(2);
  });

  test("a missing path or an empty glob is an InputError naming the path", () => {
    expect(() => resolveInputs([join(dir, "nope.log")])).toThrow(InputError);
    expect(() => resolveInputs([join(dir, "*.nothing")])).toThrow(/no file matches/);
  });

  test("rejection samples are bounded, counts are not", async () => {
    writeFileSync(join(dir, "bad.log"), [line(1), ...Array.from({ length: 50 }, (_, i) => `junk ${i}`)].join("\n"));
    const { rejections } = await readAll([join(dir, "bad.log")], "combined");
    expect(rejections.total).toBe(50);
    expect(rejections.bySource.get(join(dir, "bad.log"))!.samples).toHaveLength(3);
  });
});
