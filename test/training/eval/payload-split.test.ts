/** The payload lists split by normalized content across every list, fuzzdb's included, with generator output kept off the test side. */
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { payloadKey, splitPayloads } from "../../../src/training/corpus/attacks.ts";
import { grammarPayloads } from "../../../src/training/corpus/grammar.ts";
import { tempDir } from "../../helpers/tmp.ts";

function datasets(): string {
  const d = tempDir("moat-payloads-");
  mkdirSync(join(d, "payloads"));
  mkdirSync(join(d, "fuzzdb", "attack", "path-traversal"), { recursive: true });
  mkdirSync(join(d, "fuzzdb", "attack", "xss"), { recursive: true });
  // One payload in many spellings and lists, and many distinct ones so both sides get some.
  const traversal = Array.from({ length: 60 }, (_, i) => `${"../".repeat(1 + (i % 9))}${["etc/passwd", "{FILE}", "boot.ini", "var/www/a.php"][i % 4]}${"%00".repeat(Math.floor(i / 36))}`);
  writeFileSync(join(d, "payloads", "traversal.txt"), [...traversal, "../../{FILE}", "../../var/www/config.php"].join("\n") + "\n");
  writeFileSync(join(d, "payloads", "lfi.txt"), ["..%2F..%2Fvar%2Fwww%2Fconfig.php", "  ../../VAR/www/config.PHP ", "../../var/www/config.php"].join("\n") + "\n");
  writeFileSync(join(d, "fuzzdb", "attack", "path-traversal", "deep.txt"), ["../../var/www/config.php", "..\\..\\{FILE}"].join("\r\n") + "\r\n");
  // Names of event handlers are not attacks: the list is not mapped.
  writeFileSync(join(d, "fuzzdb", "attack", "xss", "html-event-attributes.txt"), "onload\nonerror\n");
  writeFileSync(join(d, "fuzzdb", "attack", "xss", "JHADDIX_XSS_WITH_CONTEXT.doc.txt"), "Short vector\nExploit Name: Short vector\nExploit String: <svg/onload=alert(7)>\nAuthor Name: x\n");
  // Values the project's grammar makes: they may train the model, so they never measure it.
  writeFileSync(join(d, "payloads", "xss.txt"), [...grammarPayloads(300, 11).filter((g) => g.cls === "xss").map((g) => g.payload), "'"].join("\n") + "\n");
  return d;
}

const d = datasets();
const split = splitPayloads(d);

describe("splitPayloads", () => {
  test("no normalized payload is on both sides, whichever lists hold it", () => {
    const train = new Set(split.train.map((p) => payloadKey(p.payload)));
    expect(split.test.filter((p) => train.has(payloadKey(p.payload)))).toEqual([]);
    expect(split.stats.onBothSides).toBe(0);
    expect(split.train.length).toBeGreaterThan(0);
    expect(split.test.length).toBeGreaterThan(0);
  });

  test("one payload in several spellings and lists is kept once", () => {
    const passwd = [...split.train, ...split.test].filter((p) => payloadKey(p.payload) === "../../var/www/config.php");
    expect(passwd).toHaveLength(1);
    expect(passwd[0]!.list).toBe("traversal"); // the first list that holds it
    expect(split.stats.duplicates).toBeGreaterThanOrEqual(3);
  });

  test("fuzzdb lists are mapped to classes, placeholders filled, documentation and name lists left out", () => {
    const all = [...split.train, ...split.test];
    expect(all.find((p) => p.list.startsWith("fuzzdb/path-traversal"))).toMatchObject({ cls: "traversal", list: "fuzzdb/path-traversal/deep.txt" });
    expect(all.filter((p) => p.list.includes("JHADDIX")).map((p) => p.payload)).toEqual(["<svg/onload=alert(7)>"]);
    expect(all.some((p) => p.payload === "onload")).toBe(false);
    expect(all.some((p) => p.payload.includes("{FILE}"))).toBe(false);
    expect(split.stats.tooShort).toBe(1); // "'"
  });

  test("the test side holds no value the project's grammar produces", () => {
    const generated = new Set(grammarPayloads(300, 11).map((g) => payloadKey(g.payload)));
    expect(split.test.filter((p) => generated.has(payloadKey(p.payload)))).toEqual([]);
    expect(split.stats.generated).toBeGreaterThan(0);
    expect(split.train.some((p) => generated.has(payloadKey(p.payload)))).toBe(true);
  });

  test("the normalized form decodes URL escapes once, lower-cases and collapses whitespace", () => {
    expect(payloadKey("  ..%2F..%2F{FILE}\t%3Cb%3E  X ")).toBe("../../etc/passwd <b> x");
    expect(payloadKey("%252e%252e")).toBe("%2e%2e");
  });
});
