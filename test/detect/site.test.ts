/** Site model: learned from a small shop's traffic (our own fixture), it flags what breaks the profile. */
import { beforeAll, describe, expect, test } from "bun:test";
import { compileLogFormat, COMBINED_FORMAT } from "../../src/parse/log-format.ts";
import { isParseError, type HttpRequest } from "../../src/core/http-request.ts";
import { GenericModel } from "../../src/detect/generic/model.ts";
import { BUNDLED_GENERIC_MODEL, Detector } from "../../src/detect/detector.ts";
import { trainSiteModel, type SiteTrainResult } from "../../src/training/site/train.ts";
import { SiteModel } from "../../src/detect/site/model.ts";
import { ProfileBuilder, shapeGrams, valueShape } from "../../src/detect/site/profile.ts";
import { shopLogLines } from "../helpers/site-traffic.ts";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/tmp.ts";

const parser = compileLogFormat({ name: "combined", format: COMBINED_FORMAT });
function parse(lines: string[]): HttpRequest[] {
  return lines.map((l, i) => {
    const r = parser.parse(l, { source: "shop", line: i + 1 });
    if (isParseError(r)) throw new Error(r.reason);
    return r;
  });
}
const at = (target: string) => parse([`198.51.100.1 - - [24/Nov/2026:12:00:00 +0000] "GET ${target} HTTP/1.1" 200 10 "-" "Mozilla/5.0"`])[0]!;

let trained: SiteTrainResult;
let detector: Detector;

beforeAll(async () => {
  const traffic = parse(shopLogLines(4000, 3));
  // A few attacks mixed into the training traffic must not become "normal".
  traffic.push(...Array.from({ length: 40 }, () => at("/products?id=1%27%20or%20%271%27%3D%271&color=red")));
  trained = await trainSiteModel(traffic, await GenericModel.fromFile(BUNDLED_GENERIC_MODEL), { targetFpr: 0.01, seed: 1 });
  const dir = tempDir();
  writeFileSync(join(dir, "site.onnx"), trained.bytes);
  detector = await Detector.load({ site: dir });
});

describe("site model", () => {
  test("training screens out attacks, splits, and calibrates to the target FPR on held-out traffic", () => {
    const c = trained.meta.calibration;
    expect(c.trainingRequests).toBe(4040);
    expect(c.droppedAsAttacks).toBeGreaterThanOrEqual(40);
    expect(c.profileRequests + c.scorerNegatives + c.calibrationRequests + c.duplicates!).toBe(c.trainingRequests - c.droppedAsAttacks);
    expect(c.calibrationFpr).toBeLessThanOrEqual(0.01);
    expect(c.syntheticTpr).toBeGreaterThan(0.8);
    expect(c.endpoints).toBeGreaterThanOrEqual(9);
  });

  test("normal requests of the site pass", async () => {
    const fresh = parse(shopLogLines(300, 99));
    const verdicts = await detector.judge(fresh);
    expect(verdicts.filter((v) => v.isAnomaly).length).toBeLessThanOrEqual(6);
  });

  test("flags departures no payload list contains, and says which", async () => {
    const cases: [string, string, string][] = [
      ["/products?id=12&color=red&debug=1", "unknown parameter", "query.debug"],
      ["/cart/add?item=abc&qty=1", "wrong value type", "query.item"],
      [`/search?q=${"A".repeat(900)}&page=1`, "value too long", "query.q"],
    ];
    const verdicts = await detector.judge(cases.map(([t]) => at(t)));
    cases.forEach(([target, name, field], i) => {
      const v = verdicts[i]!;
      expect({ target, flagged: v.isAnomaly }).toEqual({ target, flagged: true });
      expect(v.reasons.some((r) => r.detector === "site" && r.name === name && r.field === field)).toBe(true);
    });
  });

  test("a value outside a small vocabulary is a finding, weighed rather than flagged on its own", async () => {
    const site = await SiteModel.fromBytes(trained.bytes);
    const [s] = await site.score([at("/products?id=12&color=purple")], [0]);
    expect(s!.findings.map((f) => [f.feature, f.field, f.evidence])).toContainEqual(["enumViolation", "query.color", "purple"]);
  });

  test("flags an injected attack with both detectors' reasons", async () => {
    const [v] = await detector.judge([at("/products?id=12%20UNION%20SELECT%20password%20FROM%20users--&color=red")]);
    expect(v!.isAnomaly).toBe(true);
    expect(v!.attackType).toBe("sqli");
    expect(v!.reasons.map((r) => r.detector)).toContain("generic");
    expect(v!.modelVersion).toContain("+site-");
  });

  test("round-trips through the ONNX file with its profile", async () => {
    const site = await SiteModel.fromBytes(trained.bytes);
    expect(site.meta.threshold).toBe(trained.meta.threshold);
    expect(Object.keys(site.profile.endpoints)).toContain("/products");
  });

  test("a value's shape: kinds with runs collapsed, by code point beyond ASCII", () => {
    expect(valueShape("Jam 42-b")).toEqual(["A", "a", "_", "9", "-", "a"]);
    expect(valueShape("Ünïcode 𝟘 😀\u0000")).toEqual(["L", "a", "L", "a", "_", "N", "_", "😀", "ctl"]);
    expect(shapeGrams(["9"])).toEqual(["^\u00019\u0001$"]);
    expect(shapeGrams([])).toEqual([]);
  });

  test("client-chosen names such as __proto__ and constructor are plain keys", () => {
    const b = new ProfileBuilder();
    for (const t of ["/x?__proto__=1&constructor=2", "/x?__proto__=3&constructor=4"]) b.add(at(t));
    const profile = b.build();
    const ep = profile.endpoints["/x"]!;
    expect(Object.keys(ep.params).sort()).toEqual(["__proto__", "constructor"]);
    expect(Object.getPrototypeOf(ep.params)).toBe(Object.prototype);
  });
});
