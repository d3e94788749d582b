/** Block mode's decision: known attack classes by severity; anomalies only where an endpoint opted in. */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { blockPolicy, endpointPattern, matchesEndpoint, shouldBlock } from "../../../src/detect/site/block-policy.ts";
import type { Severity } from "../../../src/core/enums.ts";

const verdict = (attackType: string | null, severity: Severity, isAnomaly = true) => ({ attackType, severity, isAnomaly });
const defaults = blockPolicy("high", []);

describe("shouldBlock", () => {
  test("new pages and campaigns judged anomalies are not blocked", () => {
    // (`?utm_campaign=xmas-2026` and `?lang=fr` came on /landing and /: the path alone decides.)
    for (const path of ["/blog/winter-sale-2026", "/products/p41", "/landing", "/"]) {
      expect({ path, blocked: shouldBlock(verdict("anomaly", "medium"), path, defaults) }).toEqual({ path, blocked: false });
    }
  });

  test("a known attack class at or above the configured severity is blocked, below it is not", () => {
    expect(shouldBlock(verdict("sqli", "high"), "/products", defaults)).toBe(true);
    expect(shouldBlock(verdict("log4shell", "critical"), "/", defaults)).toBe(true);
    expect(shouldBlock(verdict("open-redirect", "medium"), "/login", defaults)).toBe(false);
    expect(shouldBlock(verdict("open-redirect", "medium"), "/login", blockPolicy("medium", []))).toBe(true);
    expect(shouldBlock(verdict("xss", "high"), "/", blockPolicy("critical", []))).toBe(false);
  });

  test("an anomaly on an endpoint that opted in is blocked", () => {
    const policy = blockPolicy("high", ["/admin/**", "/api/login", "/shop/{id}/checkout"]);
    expect(shouldBlock(verdict("anomaly", "low"), "/admin/users/7", policy)).toBe(true);
    expect(shouldBlock(verdict("anomaly", "low"), "/api/login", policy)).toBe(true);
    expect(shouldBlock(verdict("anomaly", "low"), "/shop/p41/checkout", policy)).toBe(true);
    expect(shouldBlock(verdict("anomaly", "low"), "/api/logout", policy)).toBe(false);
    // Percent-encoding and dot segments do not step around an opt-in: the path is matched as the server resolves it.
    expect(shouldBlock(verdict("anomaly", "low"), "/static/../%61dmin/x", policy)).toBe(true);
  });

  test("nothing that is not flagged is blocked", () => {
    expect(shouldBlock(verdict("sqli", "none", false), "/", defaults)).toBe(false);
    expect(shouldBlock(verdict(null, "none", false), "/admin/x", blockPolicy("low", ["/**"]))).toBe(false);
  });
});

describe("endpoint patterns", () => {
  test("* and {name} are one segment, ** any number of them", () => {
    const m = (pattern: string, path: string) => matchesEndpoint(endpointPattern(pattern), path);
    expect(m("/admin/*", "/admin/users")).toBe(true);
    expect(m("/admin/*", "/admin/users/7")).toBe(false);
    expect(m("/admin/*", "/admin")).toBe(false);
    expect(m("/admin/**", "/admin")).toBe(true);
    expect(m("/admin/**", "/administrator")).toBe(false);
    expect(m("/**/login", "/a/b/login")).toBe(true);
    expect(m("/api/login", "/api/login/")).toBe(true);
  });

  test("several ** answer as trying every split would, in pattern × path steps: a path of thousands of segments is no work", () => {
    // The reference: every number of segments for every `**`, as the matcher once did.
    const reference = (pattern: string[], pi: number, path: string[], si: number): boolean => {
      for (; pi < pattern.length; pi++, si++) {
        const p = pattern[pi]!;
        if (p === "**") {
          for (let skip = si; skip <= path.length; skip++) if (reference(pattern, pi + 1, path, skip)) return true;
          return false;
        }
        if (si >= path.length || (p !== "*" && !(p.startsWith("{") && p.endsWith("}")) && p !== path[si])) return false;
      }
      return si === path.length;
    };
    const segment = fc.constantFrom("a", "b", "x");
    fc.assert(
      fc.property(fc.array(fc.oneof(segment, fc.constantFrom("*", "**", "{id}")), { maxLength: 6 }), fc.array(segment, { maxLength: 8 }), (pattern, path) => {
        expect(matchesEndpoint(pattern, `/${path.join("/")}`)).toBe(reference(pattern, 0, path, 0));
      }),
      { numRuns: 3000 },
    );
    const long = "/a".repeat(4000);
    expect(matchesEndpoint(endpointPattern("/**/a/**/a/**/x"), long)).toBe(false);
    expect(matchesEndpoint(endpointPattern("/**/a/**/a/**/x"), `${long}/x`)).toBe(true);
  });
});
