/** A detector stand-in that flags what a predicate says, so the reports' counting is tested apart from any model. */
import type { HttpRequest } from "../../../src/core/http-request.ts";
import type { Detector } from "../../../src/detect/detector.ts";
import type { Verdict } from "../../../src/detect/verdict.ts";

export function fakeDetector(flag: (r: HttpRequest) => string | null): Detector {
  const judge = async (requests: HttpRequest[]): Promise<Verdict[]> =>
    requests.map((r) => {
      const field = flag(r);
      return {
        score: field ? 0.9 : 0.1,
        isAnomaly: field !== null,
        threshold: 0.5,
        attackType: field ? "sqli" : null,
        severity: field ? "high" : "none",
        reasons: field ? [{ field, name: "sqli", evidence: "x", detector: "generic", weight: 0.9, detail: "" }] : [],
        modelVersion: "fake-1",
      } as Verdict;
    });
  return { judge, threshold: 0.5, modelVersion: "fake-1" } as unknown as Detector;
}

/** The request as one text (method, target, headers, body), for predicates. */
export function wholeText(r: HttpRequest): string {
  return [r.method, r.path, r.query, ...r.headers.map(([h, v]) => `${h}: ${v}`), r.body ?? ""].join("\n");
}
