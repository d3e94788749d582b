/**
 * The dashboard contract (shared/API-CONTRACT.md) against a real `moat serve` filled by a real
 * ingestion run: nginx writes the access log, Moat follows it. Every endpoint, every field's presence
 * and type, and the error paths; on SQLite, and again on PostgreSQL (a hub's database).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { NGINX_BIN, sendRaw, startNginx, type NginxInstance } from "../helpers/nginx.ts";
import { startServe, waitFor, waitForListening, type ServeProcess } from "../helpers/serve.ts";
import { dbCounts } from "../helpers/db.ts";
import { tempDir } from "../helpers/tmp.ts";
import { postgres, PG_SKIP } from "../helpers/postgres.ts";

let nginx: NginxInstance;
let moat: ServeProcess;
let base = "";

type Spec = Record<string, "string" | "number" | "boolean" | "string[]" | "string?" | "number?" | "boolean?">;
const METRICS: Spec = { requests: "number", blocked: "number", attackRate: "number", responseTime: "number", threatsPerMinute: "number", uptime: "number", activeConnections: "number", timestamp: "string" };
const ALERT: Spec = { id: "number", type: "string", severity: "string", title: "string", description: "string", time: "string", icon: "string", source: "string", actions: "string[]", timestamp: "string" };
const ACTIVITY: Spec = { id: "number", type: "string", title: "string", details: "string", time: "string", ip: "string?", endpoint: "string?", timestamp: "string" };
const TRAFFIC: Spec = { ip: "string", method: "string", endpoint: "string", status: "number", size: "string", time: "string", timestamp: "string", userAgent: "string?", wasBlocked: "boolean?" };
const THREAT: Spec = { id: "number", type: "string", severity: "string", source: "string", endpoint: "string", blocked: "boolean", time: "string", timestamp: "string", details: "string?" };
const CHECK: Spec = { id: "number", name: "string", status: "string", message: "string", lastChecked: "string", details: "string?" };

function conforms(value: unknown, spec: Spec, where: string): void {
  expect(typeof value).toBe("object");
  const obj = value as Record<string, unknown>;
  for (const [key, type] of Object.entries(spec)) {
    const v = obj[key];
    const optional = type.endsWith("?");
    if (optional && v === undefined) continue;
    const base = type.replace("?", "");
    if (base === "string[]") {
      expect({ where, key, ok: Array.isArray(v) && (v as unknown[]).every((x) => typeof x === "string") }).toEqual({ where, key, ok: true });
    } else {
      expect({ where, key, type: typeof v as string }).toEqual({ where, key, type: base });
    }
  }
}

interface Envelope {
  success: boolean;
  data: unknown;
  message?: string;
  timestamp: string;
  [key: string]: unknown;
}

async function api(path: string, init?: RequestInit): Promise<{ status: number; body: Envelope }> {
  const res = await fetch(`${base}${path}`, init);
  return { status: res.status, body: (await res.json()) as Envelope };
}

async function data(path: string, init?: RequestInit): Promise<unknown> {
  const { status, body } = await api(path, init);
  expect({ path, status }).toEqual({ path, status: 200 });
  expect(body).toMatchObject({ success: true });
  expect(typeof body.timestamp).toBe("string");
  expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
  return body.data;
}

/** The whole contract against a Moat whose database `database` makes (a file, or a PostgreSQL URL). */
function contract(name: string, run: boolean, database: (dir: string) => Promise<string>) {
  describe.skipIf(!run)(name, () => {
    beforeAll(async () => {
      nginx = await startNginx(`server { listen 127.0.0.1:{{PORT}}; access_log {{PREFIX}}/logs/access.log combined; location / { return 200 "ok\\n"; } location /boom { return 502; } }`);
      const dir = tempDir();
      const db = await database(dir);
      moat = startServe(["--log", nginx.path("logs/access.log"), "--db", db], { MOAT_STORAGE_DATA_DIR: dir, MOAT_SECURITY_NGINX_CONF: join(nginx.prefix, "nginx.conf") });
      // Traffic once Moat is up: the lag histogram measures the lines written since its start (see the test below).
      base = await waitForListening(moat);
      let sent = 0;
      const send = async (target: string, ua = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0") => {
        await sendRaw(nginx.port, `GET ${target} HTTP/1.1\r\nHost: shop.test\r\nUser-Agent: ${ua}\r\nConnection: close\r\n\r\n`);
        sent++;
      };
      for (let i = 0; i < 40; i++) await send(`/products?id=${i}&color=red`);
      await send("/boom");
      await send("/search?q=%3Cscript%3Ealert(1)%3C/script%3E");
      await send("/items?id=1%27%20UNION%20SELECT%20password%20FROM%20users--");
      await send("/static/..%2f..%2f..%2fetc%2fpasswd");
      await waitFor("stored requests", () => dbCounts(db).requests === sent);
    });
    afterAll(async () => {
      moat?.proc.kill("SIGTERM");
      await moat?.proc.exited;
      await nginx?.stop();
    });

    test("metrics", async () => {
      conforms(await data("/api/metrics/realtime"), METRICS, "realtime");
      const hist = (await data("/api/metrics/historical?range=1h")) as unknown[];
      expect(hist.length).toBeGreaterThan(0);
      for (const p of hist) conforms(p, METRICS, "historical");
      expect(hist.reduce((a: number, p) => a + (p as { requests: number }).requests, 0)).toBe(44);
    });

    test("alerts: active, history, acknowledge, dismiss", async () => {
      const active = (await data("/api/alerts/active")) as { id: number; type: string }[];
      expect(active.length).toBeGreaterThanOrEqual(1);
      for (const a of active) conforms(a, ALERT, "alert");
      for (const a of (await data("/api/alerts/history?range=24h")) as unknown[]) conforms(a, ALERT, "alert history");
      const id = active[0]!.id;
      expect(await data(`/api/alerts/${id}/acknowledge`, { method: "POST" })).toBeNull();
      const after = (await data("/api/alerts/active")) as { id: number; actions: string[] }[];
      expect(after.find((a) => a.id === id)!.actions).toEqual(["dismiss"]);
      expect(await data(`/api/alerts/${id}/dismiss`, { method: "POST" })).toBeNull();
      expect(((await data("/api/alerts/active")) as { id: number }[]).some((a) => a.id === id)).toBe(false);
    });

    test("activities", async () => {
      const recent = (await data("/api/activities/recent")) as unknown[];
      expect(recent.length).toBeLessThanOrEqual(10);
      for (const a of recent) conforms(a, ACTIVITY, "activity");
      for (const a of (await data("/api/activities?range=1h")) as { type: string }[]) {
        conforms(a, ACTIVITY, "activity range");
        expect(["blocked", "allowed"]).toContain(a.type);
      }
      expect(((await data("/api/activities/recent?limit=3")) as unknown[]).length).toBe(3);
    });

    test("charts", async () => {
      const sum = (points: Record<string, unknown>[], key: string) => points.reduce((a, p) => a + (p[key] as number), 0);
      const requests = (await data("/api/charts/requests?range=1h")) as Record<string, unknown>[];
      for (const p of requests) expect([typeof p.time, typeof p.requests, typeof p.blocked]).toEqual(["string", "number", "number"]);
      expect(sum(requests, "requests")).toBe(44);
      const threats = (await data("/api/charts/threats?range=6h")) as Record<string, unknown>[];
      for (const p of threats) expect([typeof p.time, typeof p.sql, typeof p.xss, typeof p.ddos, typeof p.other]).toEqual(["string", "number", "number", "number", "number"]);
      // The UNION SELECT and the <script> sent above; Moat has no DDoS class.
      expect([sum(threats, "sql"), sum(threats, "xss"), sum(threats, "ddos")]).toEqual([1, 1, 0]);
      for (const p of (await data("/api/charts/performance?range=1h")) as Record<string, unknown>[]) expect([typeof p.time, typeof p.latency, typeof p.cpu, typeof p.memory]).toEqual(["string", "number", "number", "number"]);
    });

    test("traffic", async () => {
      const recent = (await data("/api/traffic/recent")) as { endpoint: string }[];
      expect(recent.length).toBe(44);
      for (const r of recent) conforms(r, TRAFFIC, "traffic");
      expect(((await data("/api/traffic?range=1h&limit=5")) as unknown[]).length).toBe(5);
      const byEndpoint = (await data(`/api/traffic/endpoint/${encodeURIComponent("/products")}?range=1h`)) as { endpoint: string }[];
      expect(byEndpoint.length).toBe(40);
      expect(new Set(byEndpoint.map((r) => r.endpoint))).toEqual(new Set(["/products"]));
    });

    test("threats", async () => {
      const recent = (await data("/api/threats/recent")) as { type: string }[];
      expect(recent.length).toBeGreaterThanOrEqual(3);
      for (const r of recent) conforms(r, THREAT, "threat");
      for (const r of (await data("/api/threats?range=24h")) as unknown[]) conforms(r, THREAT, "threat range");
      const stats = (await data("/api/threats/stats?range=24h")) as Record<string, number>;
      expect(stats.sqli).toBe(1);
      expect(stats.xss).toBe(1);
      const sqli = (await data("/api/threats/type/sqli?range=24h")) as { type: string; details: string }[];
      expect(sqli.map((t) => t.type)).toEqual(["sqli"]);
      expect(sqli[0]!.details).toContain("query.id");
    });

    test("security checks and compliance score", async () => {
      const checks = (await data("/api/security/checks")) as { id: number; name: string }[];
      expect(checks.length).toBeGreaterThanOrEqual(5);
      for (const c of checks) conforms(c, CHECK, "check");
      const run = await data(`/api/security/checks/${checks[0]!.id}/run`, { method: "POST" });
      conforms(run, CHECK, "check run");
      const score = (await data("/api/security/compliance-score")) as Record<string, number>;
      expect(Object.keys(score).sort()).toEqual(["failed", "passed", "score", "total"]);
      expect(score.total).toBe(checks.length);
    });

    test("analytics", async () => {
      for (const p of (await data("/api/analytics/overview?range=24h")) as Record<string, unknown>[]) expect([typeof p.date, typeof p.requests, typeof p.blocked, typeof p.allowed]).toEqual(["string", "number", "number", "number"]);
      for (const p of (await data("/api/analytics/trends/requests?range=6h")) as Record<string, unknown>[]) expect(typeof p.time).toBe("string");
      const summary = (await data("/api/analytics/summary?range=24h")) as Record<string, unknown>;
      expect(summary.requests).toBe(44);
    });

    test("operations: health, readiness, Prometheus", async () => {
      expect((await api("/health")).body.status).toBe("ok");
      expect((await api("/ready")).body).toMatchObject({ ready: true });
      const scrape = async () => (await fetch(`${base}/metrics`)).text();
      let text = await scrape();
      // Requests stored by verdict (clean, flagged, blocked): each once.
      const stored = [...text.matchAll(/^moat_requests_total\{verdict="(\w+)"\} (\d+)$/gm)];
      expect(stored.map((m) => m[1]).sort()).toEqual(["blocked", "clean", "flagged"]);
      expect(stored.reduce((n, m) => n + Number(m[2]), 0)).toBe(44);
      expect(text).toMatch(/moat_threats_stored\{type="sqli"\} 1/);
      // Losses and bugs are counted where a scrape sees them.
      expect(text).toContain("moat_inline_write_failures_total 0\n");
      expect(text).toContain("moat_bus_errors_total 0\n");
      const checked = await fetch(`${base}/check`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ method: "GET", path: "/metrics-probe" }) });
      expect(checked.status).toBe(200);
      // The check's duration is recorded once its answer has gone out: poll for it.
      await waitFor("the check's duration", async () => !/^moat_check_duration_seconds_count 0$/m.test((text = await scrape())), 5_000);
      // Histograms: cumulative buckets ending in +Inf, whose count is the number of measurements.
      expect(text).toContain("# TYPE moat_check_duration_seconds histogram");
      const count = (name: string) => Number(new RegExp(`^${name}_count (\\d+)$`, "m").exec(text)?.[1]);
      expect(count("moat_check_duration_seconds")).toBe(1);
      expect(text).toContain(`moat_check_duration_seconds_bucket{le="+Inf"} 1\n`);
      expect(count("moat_ingest_lag_seconds")).toBe(44);
    });

    test("error paths: bad range, bad limit, bad id, unknown id, unknown metric, unknown endpoint, oversize body", async () => {
      const bad = async (path: string, status: number, init?: RequestInit) => {
        const r = await api(path, init);
        expect({ path, status: r.status }).toEqual({ path, status });
        expect(r.body).toMatchObject({ success: false, data: null });
        expect(typeof r.body.message).toBe("string");
        return r.body.message as string;
      };
      expect(await bad("/api/threats?range=forever", 400)).toContain("forever");
      await bad("/api/traffic/recent?limit=0", 400);
      await bad("/api/traffic/recent?limit=abc", 400);
      await bad("/api/alerts/abc/dismiss", 400, { method: "POST" });
      await bad("/api/alerts/999999/dismiss", 404, { method: "POST" });
      await bad("/api/security/checks/999999/run", 404, { method: "POST" });
      await bad("/api/analytics/trends/nonsense?range=1h", 400);
      await bad("/api/nothing-here", 404);
      const huge = await fetch(`${base}/api/alerts/1/dismiss`, { method: "POST", body: "x".repeat(2 * 1024 * 1024), headers: { "content-type": "text/plain" } });
      expect(huge.status).toBe(413);
    });

    test("the WebSocket delivers every message type live as nginx's log is ingested", async () => {
      const ws = new WebSocket(`${base.replace("http", "ws")}/ws`);
      const seen = new Map<string, { data: unknown; timestamp: string }>();
      ws.onmessage = (e) => {
        const m = JSON.parse(String(e.data)) as { type: string; data: unknown; timestamp: string };
        if (!seen.has(m.type)) seen.set(m.type, m);
      };
      await waitFor("connected", () => seen.has("connection"));
      await sendRaw(nginx.port, `GET /cart?id=1%20OR%201%3D1-- HTTP/1.1\r\nHost: shop.test\r\nUser-Agent: ws-test\r\nConnection: close\r\n\r\n`);
      await waitFor("every message type", () => ["traffic", "threat", "activity", "alert", "metrics", "chart"].every((t) => seen.has(t)), 20_000);
      ws.close();
      conforms(seen.get("traffic")!.data, TRAFFIC, "ws traffic");
      conforms(seen.get("threat")!.data, THREAT, "ws threat");
      conforms(seen.get("activity")!.data, ACTIVITY, "ws activity");
      conforms(seen.get("alert")!.data, ALERT, "ws alert");
      conforms(seen.get("metrics")!.data, METRICS, "ws metrics");
      expect(seen.get("connection")!.data).toBe("connected");
      for (const m of seen.values()) expect(Number.isNaN(Date.parse(m.timestamp))).toBe(false);
    }, 30_000);

    test("CORS lets a dashboard on another local port call in", async () => {
      const res = await fetch(`${base}/api/metrics/realtime`, { headers: { origin: "http://localhost:3000" } });
      expect(res.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
      const foreign = await fetch(`${base}/api/metrics/realtime`, { headers: { origin: "https://evil.example" } });
      expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
    });
  });
}

contract("dashboard API contract", Boolean(NGINX_BIN), async (dir) => join(dir, "moat.db"));
contract("dashboard API contract, on PostgreSQL", Boolean(NGINX_BIN) && !PG_SKIP, async () => (await postgres()).database());
