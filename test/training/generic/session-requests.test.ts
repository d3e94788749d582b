import { describe, expect, test } from "bun:test";
import { sessionFixationRequests } from "../../../src/training/corpus/session-requests.ts";
import { LeafAnalysis } from "../../../src/detect/analyzers/index.ts";
import { decompose } from "../../../src/decompose/index.ts";
import type { HttpRequest } from "../../../src/core/http-request.ts";

const analysis = new LeafAnalysis();
const rulesOf = (req: HttpRequest) => new Set(analysis.analyzeRequest(req, decompose(req).leaves).flat().map((f) => f.rule));

describe("generated session-fixation requests", () => {
  const { attacks, benign } = sessionFixationRequests(200, 3);

  test("every attack carries the request-scope finding its label teaches; every benign twin only the weak mark", () => {
    expect(attacks.length).toBeGreaterThan(190);
    expect(benign.length).toBeGreaterThan(190);
    for (const { request, label } of attacks) {
      expect(label).toBe("session-fixation");
      const rules = rulesOf(request);
      expect([request.path, request.referer, rules.has("session.id-from-foreign-site") || rules.has("session.id-without-referer")]).toEqual([request.path, request.referer, true]);
    }
    for (const request of benign) {
      const rules = rulesOf(request);
      expect([request.referer, rules.has("session.id-from-foreign-site") || rules.has("session.id-without-referer")]).toEqual([request.referer, false]);
    }
  });

  test("they vary where the id sits and where the request came from, and a seed repeats them", () => {
    expect(new Set(attacks.map((a) => a.request.method)).size).toBe(2);
    expect(attacks.some((a) => a.request.body?.startsWith("{"))).toBe(true);
    expect(attacks.some((a) => a.request.referer === "")).toBe(true);
    expect(sessionFixationRequests(20, 3).attacks.map((a) => a.request.query)).toEqual(attacks.slice(0, 20).map((a) => a.request.query));
  });
});
