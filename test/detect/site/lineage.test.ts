/** A site model is only used on top of the generic model and featurizer it was trained with. */
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { IncompatibleSiteModel, runningLineage, SiteModel } from "../../../src/detect/site/model.ts";
import { runCli } from "../../helpers/cli.ts";
import { siteModelBytes } from "../../helpers/site-model.ts";
import { tempDir } from "../../helpers/tmp.ts";

const running = runningLineage({ meta: { version: "generic-B", inputVersion: "4" } });

describe("site model lineage", () => {
  test("the running lineage is the generic model's version and the inputs version it was built for", () => {
    expect(running).toEqual({ genericVersion: "generic-B", featurizerVersion: "4" });
  });

  test("a model of the same lineage loads", async () => {
    const site = await SiteModel.fromBytes(siteModelBytes({ genericVersion: "generic-B", featurizerVersion: "4" }), running);
    expect(site.meta.version).toBe("site-test");
  });

  test("another generic model or featurizer is refused, naming both versions and the command to retrain", async () => {
    const refusal = async (lineage: Parameters<typeof siteModelBytes>[0]) => {
      const e = await SiteModel.fromBytes(siteModelBytes(lineage), running).then(() => null, (x: unknown) => x);
      expect(e).toBeInstanceOf(IncompatibleSiteModel);
      return (e as Error).message;
    };
    expect(await refusal({ genericVersion: "generic-A", featurizerVersion: "4" })).toBe(
      "site model site-test was trained with generic model generic-A and featurizer 4; this Moat runs generic model generic-B and featurizer 4: " +
        "retrain it on the site's traffic: moat train --from <access logs> --out <model dir>",
    );
    expect(await refusal({ genericVersion: "generic-B", featurizerVersion: "3" })).toContain("featurizer 3; this Moat runs generic model generic-B and featurizer 4");
    // Models from before the featurizer was recorded are refused too: what they were trained on is unknown.
    expect(await refusal({ genericVersion: "generic-B" })).toContain("featurizer unrecorded");
  });

  test("without a lineage to check, any model's file is read (moat model info shows what a refused model holds)", async () => {
    const site = await SiteModel.fromBytes(siteModelBytes({ genericVersion: "generic-A" }));
    expect(site.meta.genericVersion).toBe("generic-A");
  });

  test("moat check --model with a model of another lineage says so, with no stack trace", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "site.onnx"), siteModelBytes({ genericVersion: "generic-from-another-release", featurizerVersion: "1" }));
    const r = runCli(["check", "GET /", "--model", dir]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("was trained with generic model generic-from-another-release and featurizer 1");
    expect(r.stderr).toContain("moat train --from");
    expect(r.stderr).not.toContain("    at ");
  });
});
