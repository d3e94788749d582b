import { describe, expect, test } from "bun:test";
import { accessRequests } from "../../../src/training/corpus/access-requests.ts";
import { LeafAnalysis } from "../../../src/detect/analyzers/index.ts";
import { decompose } from "../../../src/decompose/index.ts";
import type { HttpRequest } from "../../../src/core/http-request.ts";

const analysis = new LeafAnalysis();
const authRules = (req: HttpRequest) => new Set(analysis.analyzeRequest(req, decompose(req).leaves).flat().filter((f) => f.class === "auth-bypass").map((f) => f.rule));

describe("generated access-control bypass requests", () => {
  const { attacks, benign } = accessRequests(300, 4);

  test("every attack carries the finding its label teaches; no benign twin carries one", () => {
    expect(attacks.length).toBeGreaterThan(290);
    expect(benign.length).toBeGreaterThan(290);
    for (const request of attacks) expect([request.path, request.headers.at(-1), authRules(request).size]).toEqual([request.path, request.headers.at(-1), 1]);
    for (const request of benign) expect([request.path, request.headers.at(-1), authRules(request).size]).toEqual([request.path, request.headers.at(-1), 0]);
  });

  test("they cover the three forms, tokens in several places, and a seed repeats them", () => {
    const rules = new Set(attacks.flatMap((a) => [...authRules(a)]));
    expect([...rules].sort()).toEqual(["auth.loopback-claim", "auth.path-override", "auth.token-brings-key", "auth.unsigned-token"]);
    expect(attacks.some((a) => a.headers.some(([n]) => n === "authorization"))).toBe(true);
    expect(attacks.some((a) => a.cookies.length > 0)).toBe(true);
    expect(attacks.some((a) => a.body?.startsWith("{"))).toBe(true);
    expect(accessRequests(20, 4).attacks.map((a) => a.path + a.query)).toEqual(attacks.slice(0, 20).map((a) => a.path + a.query));
  });
});
