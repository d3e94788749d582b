import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createApi } from "../../src/api/app.ts";
import { makeApiServices } from "../helpers/api.ts";

const CONTRACT = join(import.meta.dir, "../../../shared/API-CONTRACT.md");

describe("OpenAPI and docs", () => {
  test("the document covers every dashboard endpoint, generated from the route schemas", async () => {
    const app = createApi(await makeApiServices());
    type Schema = { required?: string[]; properties?: Record<string, Schema> };
    const spec = (await (await app.handle(new Request("http://localhost/openapi.json"))).json()) as { paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: Schema }> }> }>> };
    const paths = Object.keys(spec.paths);
    const expected = ["/api/metrics/realtime", "/api/metrics/historical", "/api/alerts/active", "/api/alerts/history", "/api/alerts/{id}/dismiss", "/api/alerts/{id}/acknowledge", "/api/activities/recent", "/api/activities", "/api/charts/requests", "/api/charts/threats", "/api/charts/performance", "/api/traffic/recent", "/api/traffic", "/api/traffic/endpoint/{endpoint}", "/api/threats/recent", "/api/threats", "/api/threats/type/{type}", "/api/threats/stats", "/api/security/checks", "/api/security/checks/{id}/run", "/api/security/compliance-score", "/api/analytics/overview", "/api/analytics/trends/{metric}", "/api/analytics/summary", "/health", "/ready", "/metrics"];
    for (const p of expected) expect(paths).toContain(p);
    // Beyond the contract: the console API, the inline checks and the credentials' endpoints.
    const beyond = ["/api/threats/{id}", "/api/threats/{id}/false-positive", "/api/allowlist", "/api/allowlist/{id}", "/api/models", "/api/models/train", "/api/models/{version}/promote", "/api/models/rollback", "/api/sources", "/api/settings", "/api/settings/retention", "/api/settings/webhook", "/api/keys", "/api/keys/{id}", "/api/performance", "/check", "/check/batch", "/check/auth-request", "/api/waf/check", "/api/waf/check/batch", "/api/waf/stats", "/api/waf/config", "/api/waf/model-info", "/api/auth/login", "/api/auth/logout", "/api/auth/me"];
    for (const p of beyond) expect(paths).toContain(p);
    // The answer's schema is the envelope around the contract's shape.
    const realtime = spec.paths["/api/metrics/realtime"]!.get!.responses?.["200"]?.content?.["application/json"]?.schema;
    expect(realtime?.required).toEqual(["success", "data", "timestamp"]);
    expect(realtime?.properties?.data?.required).toEqual(expect.arrayContaining(["requests", "blocked", "attackRate", "responseTime", "threatsPerMinute", "uptime", "activeConnections", "timestamp"]));
    // When the shared contract is at hand, every path it lists is in the document.
    try {
      const contract = readFileSync(CONTRACT, "utf8");
      for (const m of contract.matchAll(/`(?:POST )?(\/api\/[^`?\s]+)/g)) {
        // The contract writes the URL-encoded endpoint as prose.
        const path = m[1]!.startsWith("/api/traffic/endpoint/") ? "/api/traffic/endpoint/{endpoint}" : m[1]!;
        if (path.startsWith("/api/waf") || path.includes("*")) continue; // detection endpoints have their own tests; `/api/*` is prose
        expect(paths).toContain(path);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  });

  test("interactive docs are served from the binary with a strict CSP and no CDN", async () => {
    const app = createApi(await makeApiServices());
    const page = await app.handle(new Request("http://localhost/docs"));
    const html = await page.text();
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(html).not.toMatch(/https?:\/\//);
    for (const asset of ["/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/docs/init.js"]) {
      const res = await app.handle(new Request(`http://localhost${asset}`));
      expect({ asset, status: res.status }).toEqual({ asset, status: 200 });
      expect((await res.text()).length).toBeGreaterThan(30);
    }
  });
});
