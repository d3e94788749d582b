/** Scanners judged in the site's context: a probe path the site serves is its page, not a scan. */
import { describe, expect, test } from "bun:test";
import { withoutServedProbes } from "../../../src/detect/site/served-probes.ts";
import { ProfileBuilder } from "../../../src/detect/site/profile.ts";
import { GenericModel } from "../../../src/detect/generic/model.ts";
import { BUNDLED_GENERIC_MODEL } from "../../../src/detect/detector.ts";
import { requestForTarget } from "../../../src/training/corpus/placement.ts";

const get = (target: string) => requestForTarget(target, "test")!;

describe("probe paths in the site's context", async () => {
  const generic = await GenericModel.fromFile(BUNDLED_GENERIC_MODEL);
  const scanner = generic.classes.indexOf("scanner");
  const builder = new ProfileBuilder();
  for (let i = 0; i < 50; i++) for (const t of ["/.git/config", "/", "/products?id=1"]) builder.add(get(t));
  const profile = builder.build();

  test("a probe path the site serves loses its scanner verdict; one it does not serve keeps it", async () => {
    const [served, unknown] = await generic.scoreRequests([get("/.git/config"), get("/.git/HEAD")]);
    expect(generic.classes[served!.cls]).toBe("scanner");
    expect(withoutServedProbes(served!, get("/.git/config"), profile, scanner).score).toBeLessThan(generic.meta.threshold);
    expect(withoutServedProbes(unknown!, get("/.git/HEAD"), profile, scanner)).toBe(unknown!);
  });

  test("an attack elsewhere in a request to a served probe path still counts", async () => {
    const req = get("/.git/config?q=1%27%20UNION%20SELECT%20password%20FROM%20users--");
    const [g] = await generic.scoreRequests([req]);
    const judged = withoutServedProbes(g!, req, profile, scanner);
    expect(generic.classes[judged.cls]).toBe("sqli");
    expect(judged.score).toBeGreaterThanOrEqual(generic.meta.threshold);
  });
});
