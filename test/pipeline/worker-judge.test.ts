/** The mirror's judging thread follows the service's site model, and loads models only when it changed. */
import { describe, expect, test } from "bun:test";
import { siteChange } from "../../src/pipeline/worker-judge.ts";

describe("siteChange", () => {
  test("no site model on either side: the worker keeps its models (it used to reload the generic model before every batch)", () => {
    expect(siteChange(null, null)).toBe("keep");
  });
  test("the same site model: kept; another one: loaded; none any more: the generic model alone", () => {
    expect(siteChange("site-2", { dir: "/m", version: "site-2" })).toBe("keep");
    expect(siteChange("site-1", { dir: "/m", version: "site-2" })).toBe("replace-site");
    expect(siteChange(null, { dir: "/m", version: "site-2" })).toBe("replace-site");
    expect(siteChange("site-2", null)).toBe("generic-only");
  });
});
