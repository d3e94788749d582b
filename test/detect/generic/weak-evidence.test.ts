/** Weak evidence never convicts a value alone (src/detect/generic/model.ts, boundByWeakEvidence). */
import { expect, test } from "bun:test";
import { GenericModel } from "../../../src/detect/generic/model.ts";
import { BUNDLED_GENERIC_MODEL } from "../../../src/detect/detector.ts";
import { rawHttpParser } from "../../../src/parse/raw-http.ts";
import { isParseError, type HttpRequest } from "../../../src/core/http-request.ts";

const get = (query: string): HttpRequest => {
  const r = rawHttpParser.parse(`GET /search?q=${encodeURIComponent(query)} HTTP/1.1\r\nHost: a\r\n\r\n`, { source: "test" });
  if (isParseError(r)) throw new Error(r.reason);
  return r;
};

test("a value whose findings are all weak scores at most its strongest finding, whatever its likeness to attack text; a real injection is untouched", async () => {
  const model = await GenericModel.fromFile(BUNDLED_GENERIC_MODEL);
  const [prose, prose2, injection] = await model.scoreRequests([get("how to use union select in mysql"), get("union select 关键字怎么用"), get("1 union select password from users--")]);
  for (const scored of [prose!, prose2!]) {
    const q = scored.leaves.find((l) => l.leaf.path === "query.q")!;
    const strongest = Math.max(...q.findings.map((f) => f.strength));
    expect(q.findings.length).toBeGreaterThan(0);
    expect(strongest).toBeLessThan(0.5);
    expect(q.attack).toBeLessThanOrEqual(strongest);
  }
  expect(injection!.score).toBeGreaterThanOrEqual(model.meta.threshold);
});
