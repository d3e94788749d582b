/**
 * How the dashboard is served (src/api/routes/ui.ts), in process and without a browser: the page
 * under its Content-Security-Policy, the bundle's assets (compressed when asked), no credentials for
 * them while the data keeps requiring them, and the WebSocket still reachable beside them.
 */
import { describe, expect, test } from "bun:test";
import { createApi } from "../../src/api/app.ts";
import { DASHBOARD_CSP } from "../../src/api/routes/ui.ts";
import { makeApiServices } from "../helpers/api.ts";

/** Listening beyond loopback: credentials are required for everything but what is exempt. */
const BEYOND_LOOPBACK = { MOAT_SERVER_HOST: "0.0.0.0" };

async function get(app: ReturnType<typeof createApi>, path: string, headers: Record<string, string> = {}) {
  return app.handle(new Request(`http://localhost${path}`, { headers }));
}

describe("serving the dashboard", () => {
  test("the page: strict CSP, no inline script or style, and assets that exist", async () => {
    const app = createApi(await makeApiServices(BEYOND_LOOPBACK));
    const page = await get(app, "/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toStartWith("text/html");
    expect(page.headers.get("content-security-policy")).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).not.toContain("unsafe");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    const html = await page.text();
    expect(html.match(/<script\b[^>]*>/g)?.every((tag) => /\bsrc=/.test(tag))).toBe(true);
    expect(html).not.toMatch(/<style\b|\sstyle=|\son\w+=/i);
    const assets = [...html.matchAll(/(?:src|href)="\.?(\/[\w-]+\.(?:js|css|svg))"/g)].map((m) => m[1]!);
    expect(assets.map((a) => a.split(".").at(-1)).sort()).toEqual(["css", "js", "svg"]);
    for (const a of assets) {
      const res = await get(app, a, { "accept-encoding": "gzip, deflate" });
      expect({ a, status: res.status, cache: res.headers.get("cache-control"), nosniff: res.headers.get("x-content-type-options") }).toEqual({ a, status: 200, cache: "public, max-age=31536000, immutable", nosniff: "nosniff" });
      if (!a.endsWith(".svg")) expect(res.headers.get("content-encoding")).toBe("gzip");
    }
  });

  test("beyond loopback the page and assets need no credentials; the data, the metrics and the socket do", async () => {
    const app = createApi(await makeApiServices(BEYOND_LOOPBACK));
    expect((await get(app, "/")).status).toBe(200);
    // An asset name that is not in the bundle is a plain 404, not a way past the guard to anything else.
    const unknown = await get(app, "/chunk-00000000.js");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ success: false, message: "no such endpoint" });
    for (const path of ["/api/metrics/realtime", "/api/threats/1", "/metrics", "/ws", "/index.html", "/api/x.js"]) {
      expect({ path, status: (await get(app, path)).status }).toEqual({ path, status: 401 });
    }
  });

  test("the WebSocket beside the assets still opens", async () => {
    const app = createApi(await makeApiServices()).listen({ port: 0, hostname: "127.0.0.1" });
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${app.server!.port}/ws`);
      const first = await new Promise<string>((resolve, reject) => {
        ws.onmessage = (e) => resolve(String(e.data));
        ws.onerror = () => reject(new Error("the socket did not open"));
      });
      expect(JSON.parse(first)).toMatchObject({ type: "connection", data: "connected" });
      ws.close();
    } finally {
      app.decorator.wsHub.close();
      await app.stop();
    }
  });
});
