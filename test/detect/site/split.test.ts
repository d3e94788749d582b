/** Site training splits by request content: copies of a request never sit on two sides, and count once where they are measured. */
import { describe, expect, test } from "bun:test";
import { compileLogFormat, COMBINED_FORMAT } from "../../../src/parse/log-format.ts";
import { isParseError, type HttpRequest } from "../../../src/core/http-request.ts";
import type { GenericModel } from "../../../src/detect/generic/model.ts";
import { distinctRequests, requestKey, sideOf, trainSiteModel } from "../../../src/training/site/train.ts";
import { SiteModel } from "../../../src/detect/site/model.ts";

const parser = compileLogFormat({ name: "combined", format: COMBINED_FORMAT });
const DISTINCT = 15 * 6 + 15;
const WORDS = ["about", "contact", "pricing", "team", "careers", "press", "legal", "privacy", "terms", "faq", "help", "status", "partners", "shop", "news", "events", "docs", "support", "login", "signup", "gallery", "stores", "returns", "shipping", "gifts", "brands", "sale", "outlet", "journal", "story"];

/** Every page fetched again and again, by other clients at other times: identical requests on many log lines. */
function trafficWithCopies(): HttpRequest[] {
  const lines: string[] = [];
  WORDS.forEach((word, w) => {
    for (let copy = 0; copy < 10; copy++) {
      const ip = `198.51.100.${copy + 1}`;
      const time = `24/Nov/2026:12:${String(copy).padStart(2, "0")}:${String(w).padStart(2, "0")} +0000`;
      lines.push(`${ip} - - [${time}] "GET /${word} HTTP/1.1" 200 10 "-" "Mozilla/5.0 (copy ${copy})"`);
      // Half the pages take a page number; the others are always the same request.
      lines.push(`${ip} - - [${time}] "GET /${word}${w % 2 ? "" : `?page=${(copy % 5) + 1}`} HTTP/1.1" 200 10 "-" "Mozilla/5.0"`);
    }
  });
  return lines.map((l, i) => {
    const r = parser.parse(l, { source: "site", line: i + 1 });
    if (isParseError(r)) throw new Error(r.reason);
    return r;
  });
}

/** The generic model's part in training is screening; here it passes everything. */
const passEverything = {
  meta: { version: "generic-test", inputVersion: "d0.f0.c0", threshold: 0.9 },
  classes: ["benign"],
  scoreRequests: async (requests: unknown[]) => requests.map(() => ({ score: 0, cls: 0, top: -1, leaves: [], flags: [] })),
} as unknown as GenericModel;

describe("site split by content", () => {
  const traffic = trafficWithCopies();

  test("copies of a request on other lines, from other clients, with other agents are one request and go to one side", () => {
    const sides = new Map<string, Set<string>>();
    for (const r of traffic) sides.set(requestKey(r), (sides.get(requestKey(r)) ?? new Set()).add(sideOf(r)));
    expect(sides.size).toBe(DISTINCT);
    expect([...sides.values()].every((s) => s.size === 1)).toBe(true);
    expect(new Set([...sides.values()].map((s) => [...s][0])).size).toBe(3);
  });

  test("distinctRequests says whether a request's content was seen", () => {
    const isNew = distinctRequests();
    expect(traffic.filter(isNew).length).toBe(DISTINCT);
  });

  test("training: the scorer and calibration shares hold each distinct request once; the model written knows every page", async () => {
    const trained = await trainSiteModel(traffic, passEverything, { targetFpr: 0.05, seed: 1 });
    const c = trained.meta.calibration;
    const outside = [...new Map(traffic.filter((r) => sideOf(r) !== "profile").map((r) => [requestKey(r), r])).values()];
    expect(c.scorerNegatives + c.calibrationRequests).toBe(outside.length);
    expect(c.profileRequests).toBe(traffic.filter((r) => sideOf(r) === "profile").length);
    expect(c.duplicates).toBe(traffic.length - c.profileRequests - outside.length);
    // A page none of whose copies built the profile share is still known to the model written.
    const onlyOutside = WORDS.filter((w) => traffic.every((r) => !r.path.endsWith(`/${w}`) || sideOf(r) !== "profile"));
    expect(onlyOutside.length).toBeGreaterThan(0);
    const site = await SiteModel.fromBytes(trained.bytes);
    for (const w of WORDS) expect(Object.keys(site.profile.endpoints)).toContain(`/${w}`);
    expect([trained.meta.genericVersion, trained.meta.featurizerVersion]).toEqual(["generic-test", "d0.f0.c0"]);
  });
});
