/** docs/architecture.md stays true: its folder table names every folder of src/, and every path it links exists. */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers/cli.ts";

const doc = readFileSync(join(ROOT, "docs", "architecture.md"), "utf8");
const readme = readFileSync(join(ROOT, "README.md"), "utf8");

describe("docs/architecture.md", () => {
  test("the folder table lists every top-level folder of src/", () => {
    const folders = readdirSync(join(ROOT, "src")).filter((f) => statSync(join(ROOT, "src", f)).isDirectory());
    const listed = [...doc.matchAll(/^\| `src\/([\w-]+)\/` \|/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(folders.sort());
  });

  test("every file or folder it links exists", () => {
    const links = [...doc.matchAll(/\]\(\.\.\/([^)#]+)\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(5);
    expect(links.filter((l) => !existsSync(join(ROOT, l)))).toEqual([]);
  });

  test("the README's picture names the pipeline's stages as the tree has them", () => {
    for (const path of ["src/pipeline/sources", "src/pipeline/pipeline.ts", "src/pipeline/join.ts", "src/store/writer.ts"]) {
      expect(existsSync(join(ROOT, path))).toBe(true);
      expect(readme).toContain(path);
    }
  });
});
