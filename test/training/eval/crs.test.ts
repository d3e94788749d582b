/** The CRS regression tests as labelled requests, and the per-family, no-expect and placement tables. */
import { describe, expect, test } from "bun:test";
import { headerValue } from "../../../src/core/http-request.ts";
import { ftwRawRequest, loadCrsTests } from "../../../src/training/corpus/crs.ts";
import { devOrTest } from "../../../src/training/corpus/split.ts";
import { evaluateCrs, renderCrs } from "../../../src/training/eval/crs.ts";
import { crsFixture } from "./fixtures.ts";
import { fakeDetector, wholeText } from "./fake-detector.ts";

const dir = crsFixture();
const corpus = loadCrsTests(dir);
const byId = (id: string) => corpus.cases.find((c) => c.id === id)!;

describe("loadCrsTests", () => {
  test("labels each stage by its family: an own expect id is an attack, only no-expect ids a false-positive test", () => {
    expect(corpus.cases.map((c) => [c.id, c.family, c.positive]).sort()).toEqual([
      ["920280-1", "920", true],
      ["942100-1", "942", true],
      ["942100-2", "942", true],
      ["942100-3", "942", false],
    ]);
    expect(corpus.unlabelled).toBe(1); // the status-only test
    expect(corpus.skippedFiles).toEqual([{ file: "REQUEST-920-PROTOCOL-ENFORCEMENT/920539.yaml", reason: "no tests" }]);
  });

  test("a request the parser rejects is counted under its family, not dropped", () => {
    expect(corpus.malformed).toHaveLength(1);
    expect(corpus.malformed[0]).toMatchObject({ id: "942100-4", family: "942", positive: true });
    expect(corpus.malformed[0]!.reason).toMatch(/request line/);
  });

  test("requests go through Moat's raw-HTTP parser with the Content-Length go-ftw adds", () => {
    const json = byId("942100-1").request;
    expect(json.method).toBe("POST");
    expect(json.body).toBe('{"user": {"id": "1 OR 1=1"}}');
    expect(headerValue(json, "content-length")).toBe(String(Buffer.byteLength(json.body!)));
    expect(byId("942100-3").request.params.map((p) => [p.name, p.value])).toEqual([["name", "Mary O'Brien"], ["city", "Dublin"]]);
    expect(ftwRawRequest({ method: "GET", uri: "/x", headers: { Host: "h" } })).toBe("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
  });

  test("placement is where the test departs from the CRS template", () => {
    expect(byId("942100-1").placement).toBe("json");
    expect(byId("942100-2").placement).toBe("multipart");
    expect(byId("942100-3").placement).toBe("urlencoded");
    // A header beyond Host/User-Agent/Accept wins over an ordinary query.
    expect(byId("920280-1").placement).toBe("header");
  });

  test("the split is by the test's content", () => {
    for (const c of corpus.cases) expect(["dev", "test"]).toContain(c.split);
    const json = byId("942100-1");
    const key = JSON.stringify(["POST", "/post", { Host: "localhost", "User-Agent": "OWASP CRS test agent", Accept: "text/html", "Content-Type": "application/json" }, '{"user": {"id": "1 OR 1=1"}}']);
    expect(json.split).toBe(devOrTest(key));
  });
});

describe("evaluateCrs", () => {
  // Flags "1=1" anywhere: catches the JSON and header attacks, misses the multipart UNION.
  const detector = fakeDetector((r) => (wholeText(r).includes("1=1") ? "body" : null));

  test("counts detection per family and placement, false positives on the no-expect tests, malformed per family", async () => {
    const r = await evaluateCrs(detector, corpus, "all");
    expect(r.families).toEqual([
      { group: "920", n: 1, flagged: 1, malformed: 0 },
      { group: "942", n: 2, flagged: 1, malformed: 1 },
    ]);
    expect(r.negatives).toEqual({ group: "no-expect tests", n: 1, flagged: 0, malformed: 0 });
    // Placements count the application-attack families only (920 is protocol).
    expect(r.placements).toEqual([
      { group: "multipart", n: 1, flagged: 0, malformed: 0 },
      { group: "json", n: 1, flagged: 1, malformed: 0 },
    ]);
    expect(r.negativePlacements).toEqual([{ group: "urlencoded", n: 1, flagged: 0, malformed: 0 }]);
    const md = renderCrs(r);
    expect(md).toContain("split: all");
    expect(md).toContain("| 942 SQLi | 2 | 1 | 50.00% | 1 |");
    expect(md).toMatch(/### Protocol\/other families\n\n.*\n.*\n\| 920 protocol enforcement \| 1 \| 1 \| 100.00% \| 0 \|/);
    expect(md).toContain("| no-expect tests | 1 | 0 | 0.00% | 0 |");
    expect(md).toContain("| multipart | 1 | 0 | 0.00% | 0 | 0 | n/a |");
  });

  test("a split judges only its own side; dev and test together are all", async () => {
    const dev = await evaluateCrs(detector, corpus, "dev");
    const testSide = await evaluateCrs(detector, corpus, "test");
    const n = (r: typeof dev) => r.families.reduce((a, f) => a + f.n + f.malformed, 0) + r.negatives.n + r.negatives.malformed;
    expect(n(dev) + n(testSide)).toBe(corpus.cases.length + corpus.malformed.length);
    expect(n(dev)).toBe(corpus.cases.filter((c) => c.split === "dev").length + corpus.malformed.filter((m) => m.split === "dev").length);
  });
});
