/**
 * Robustness: thousands of random and malformed requests to every route of the OpenAPI document
 * (fast-check), against the real app: no 500, no crash, and every /api answer in the envelope.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { createApi } from "../../src/api/app.ts";
import { makeApiServices } from "../helpers/api.ts";

const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom("", "0", "-1", "1e309", "NaN", "null", "undefined", "%", "%00", "../../etc/passwd", "<script>alert(1)</script>", "' or 1=1--", "9".repeat(400), "[]", "{}", "24h", "7d", "1000000d", "5x"),
  fc.integer().map(String),
);

describe("API robustness", () => {
  test("random and malformed requests never produce a 500", async () => {
    const services = await makeApiServices();
    const app = createApi(services);
    const spec = (await (await app.handle(new Request("http://localhost/openapi.json"))).json()) as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(spec.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => ({ path, method: m.toUpperCase() })));
    expect(routes.length).toBeGreaterThan(20);
    const request = fc.record({
      route: fc.constantFrom(...routes),
      method: fc.oneof(fc.constant(null), fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH")),
      param: nasty,
      query: fc.array(fc.tuple(fc.constantFrom("range", "limit", "before", "x", "range[]"), nasty), { maxLength: 4 }),
      body: fc.oneof(fc.constant(undefined), nasty, fc.jsonValue().map((v) => JSON.stringify(v)), fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString("latin1"))),
      contentType: fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "message/http", "application/octet-stream"),
    });
    let served = 0;
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const method = r.method ?? r.route.method;
        const path = r.route.path.replace(/\{[^}]+\}|\*/g, encodeURIComponent(r.param));
        const qs = r.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
        const init: RequestInit = { method, headers: { "content-type": r.contentType } };
        if (r.body !== undefined && method !== "GET") init.body = r.body;
        const res = await app.handle(new Request(`http://localhost${path}${qs ? `?${qs}` : ""}`, init));
        served++;
        expect({ path, method, status: res.status }).not.toMatchObject({ status: 500 });
        if (path.startsWith("/api/")) {
          const body = (await res.json()) as { success: boolean; timestamp: string };
          expect(typeof body.success).toBe("boolean");
          expect(typeof body.timestamp).toBe("string");
        }
      }),
      { numRuns: 3000, seed: 42 },
    );
    expect(served).toBe(3000);
  }, 120_000);
});
