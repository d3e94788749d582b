/** blazehttp's benign traffic: parsed by the raw-HTTP parser, split by site, false positives counted and shown for dev only. */
import { describe, expect, test } from "bun:test";
import { loadBlazeHttp } from "../../../src/training/corpus/blazehttp.ts";
import { evaluateBlazeHttp, renderBlazeHttp, renderFalsePositives } from "../../../src/training/eval/blazehttp.ts";
import { blazeFixture, sitesOnBothSides } from "./fixtures.ts";
import { fakeDetector } from "./fake-detector.ts";

const corpus = loadBlazeHttp(blazeFixture());
const sites = sitesOnBothSides();
const detector = fakeDetector((r) => (r.path.startsWith("/flag") ? (r.query ? "header.referer" : "body.items[3].id") : null));

describe("loadBlazeHttp", () => {
  test("every request of a site is on that site's side; lines that are no request are counted", () => {
    expect(corpus.requests).toHaveLength(5);
    expect(corpus.requests.filter((r) => r.site === sites.dev).every((r) => r.split === "dev")).toBe(true);
    expect(corpus.requests.filter((r) => r.site === sites.test).every((r) => r.split === "test")).toBe(true);
    expect(corpus.malformed.map((m) => [m.site, m.split, m.reason.startsWith("not") ? "rejected" : m.reason])).toEqual([
      [sites.test, "test", "rejected"],
      ["", null, "rejected"],
    ]);
    const post = corpus.requests.find((r) => r.request.method === "POST")!;
    expect(post.request.body).toBe('{"statusCode":"ok","n":1}');
  });
});

describe("evaluateBlazeHttp", () => {
  test("FPR per request of one side's sites, with the fields and classes the false alarms name", async () => {
    const dev = await evaluateBlazeHttp(detector, corpus, "dev");
    expect(dev).toMatchObject({ split: "dev", n: 3, flagged: 1, sites: 1, sitesFlagged: 1, malformed: 1 });
    expect(dev.top).toEqual([{ field: "header.referer", cls: "sqli", count: 1 }]);
    const md = renderBlazeHttp(dev);
    expect(md).toContain("split: dev");
    expect(md).toContain("| 3 | 1 | 1 | 33.333% | 1 | 1 |");
    expect(md).toContain("| header.referer | sqli | 1 | 100.0% |");
    expect(renderFalsePositives(dev.falsePositives, 5)).toContain(`| ${sites.dev} | GET /flag/me | 0.9000 | sqli | header.referer |`);
  });

  test("array indices are folded in the breakdown, which the test side does not show", async () => {
    const testSide = await evaluateBlazeHttp(detector, corpus, "test");
    expect(testSide).toMatchObject({ n: 2, flagged: 1, sites: 1, malformed: 2 });
    expect(testSide.top).toEqual([{ field: "body.items[].id", cls: "sqli", count: 1 }]);
    const md = renderBlazeHttp(testSide);
    expect(md).not.toContain("items");
    expect(md).toContain("--split dev only");
    const all = await evaluateBlazeHttp(detector, corpus, "all");
    expect(all).toMatchObject({ n: 5, flagged: 2, sites: 2, malformed: 2 });
  });
});
