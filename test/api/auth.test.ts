/**
 * API keys, dashboard sessions and the guard, on a real store and the real app (createApi), called
 * in-process with app.handle, plus one real server for the WebSocket upgrade.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createApi } from "../../src/api/app.ts";
import { authRequired, createRateLimiter, isLoopbackHost, SESSION_COOKIE } from "../../src/api/auth/guard.ts";
import { createKey, displayPrefix, listKeys, revokeKey, sha256Hex, verifyKey } from "../../src/api/auth/keys.ts";
import { createSession, deleteSession, pruneExpired, verifySession } from "../../src/api/auth/sessions.ts";
import type { ApiServices } from "../../src/api/services.ts";
import { loadConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/core/log.ts";
import { openStore, type Store } from "../../src/store/db.ts";
import { makeApiServices } from "../helpers/api.ts";
import { tempDir } from "../helpers/tmp.ts";

const BEYOND_LOOPBACK = { MOAT_SERVER_HOST: "0.0.0.0" };
const T0 = Date.UTC(2025, 0, 1);

function tempStore(): Store {
  return openStore(join(tempDir("moat-auth-"), "moat.db"));
}

interface Envelope {
  success: boolean;
  data: unknown;
  message?: string;
  timestamp: string;
}

async function call(app: ReturnType<typeof createApi>, path: string, init: RequestInit = {}) {
  const res = await app.handle(new Request(`http://localhost${path}`, init));
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: (text.startsWith("{") ? JSON.parse(text) : null) as Envelope | null };
}

/** The services with a log that the test can read. */
async function servicesWithLog(env: Record<string, string>): Promise<{ s: ApiServices; logLines: string[] }> {
  const s = await makeApiServices(env);
  const logLines: string[] = [];
  s.ctx.log = createLogger({ level: "debug", format: "json", write: (line) => logLines.push(line) });
  return { s, logLines };
}

describe("API keys", () => {
  test("a created key verifies; the store holds its prefix and hash, never the key", () => {
    const store = tempStore();
    const created = createKey(store, "ci", T0);
    expect(created.key).toMatch(/^moat_[A-Za-z0-9_-]{51}$/);
    const row = store.sqlite.query("select * from api_keys where id = ?").get(created.id) as Record<string, unknown>;
    expect(row.hash).toBe(sha256Hex(created.key));
    const secret = created.key.slice(13);
    for (const value of Object.values(row)) expect(String(value)).not.toContain(secret);
    expect(created.key.startsWith(displayPrefix(row.prefix as string))).toBe(true);

    const listed = listKeys(store);
    expect(listed).toEqual([{ id: created.id, name: "ci", prefix: row.prefix as string, createdAt: T0, lastUsedAt: null, revokedAt: null }]);
    expect(JSON.stringify(listed)).not.toContain(secret);
    expect(verifyKey(store, created.key, T0)?.id).toBe(created.id);
  });

  test("wrong keys fail: another secret under the same prefix, a malformed key, an empty one", () => {
    const store = tempStore();
    const { key } = createKey(store, "ci");
    const lastChar = key.at(-1) === "A" ? "B" : "A";
    expect(verifyKey(store, key.slice(0, -1) + lastChar)).toBeNull();
    expect(verifyKey(store, key.slice(0, -1))).toBeNull();
    expect(verifyKey(store, "")).toBeNull();
    expect(verifyKey(store, `Bearer ${key}`)).toBeNull();
  });

  test("lastUsedAt records use, written at most once a minute", () => {
    const store = tempStore();
    const { id, key } = createKey(store, "ci", T0);
    const lastUsed = () => listKeys(store).find((k) => k.id === id)?.lastUsedAt;
    verifyKey(store, key, T0 + 1000);
    expect(lastUsed()).toBe(T0 + 1000);
    verifyKey(store, key, T0 + 30_000);
    expect(lastUsed()).toBe(T0 + 1000);
    expect(verifyKey(store, key, T0 + 61_000)?.lastUsedAt).toBe(T0 + 61_000);
    expect(lastUsed()).toBe(T0 + 61_000);
  });

  test("revoke by id or prefix; a revoked key fails; unknown keys are null", () => {
    const store = tempStore();
    const a = createKey(store, "a");
    const b = createKey(store, "b");
    const bPrefix = displayPrefix(listKeys(store).find((k) => k.id === b.id)!.prefix);
    expect(revokeKey(store, String(a.id), T0)).toMatchObject({ key: { id: a.id, revokedAt: T0 }, alreadyRevoked: false });
    expect(revokeKey(store, bPrefix, T0)).toMatchObject({ key: { id: b.id, revokedAt: T0 }, alreadyRevoked: false });
    expect(verifyKey(store, a.key)).toBeNull();
    expect(verifyKey(store, b.key)).toBeNull();
    expect(revokeKey(store, String(a.id), T0 + 5)).toMatchObject({ key: { revokedAt: T0 }, alreadyRevoked: true });
    expect(revokeKey(store, "999")).toBeNull();
    expect(revokeKey(store, "moat_nothing")).toBeNull();
    expect(listKeys(store).map((k) => k.revokedAt)).toEqual([T0, T0]);
  });
});

describe("sessions", () => {
  test("a session verifies until it expires, is deleted on logout, and dies with its key", () => {
    const store = tempStore();
    const key = createKey(store, "dash");
    const token = createSession(store, key.id, 60_000, T0);
    expect(store.sqlite.query("select hash from sessions").all()).toEqual([{ hash: sha256Hex(token) }]);
    expect(verifySession(store, token, T0 + 59_999)).toEqual({ keyId: key.id, keyName: "dash", expiresAt: T0 + 60_000 });
    expect(verifySession(store, token, T0 + 60_000)).toBeNull();
    expect(verifySession(store, "not-a-token", T0)).toBeNull();

    deleteSession(store, token);
    expect(verifySession(store, token, T0)).toBeNull();

    const other = createSession(store, key.id, 60_000, T0);
    revokeKey(store, String(key.id), T0);
    expect(verifySession(store, other, T0)).toBeNull();
  });

  test("pruneExpired deletes expired sessions only", () => {
    const store = tempStore();
    const key = createKey(store, "dash");
    createSession(store, key.id, 1000, T0);
    const live = createSession(store, key.id, 10_000, T0);
    expect(pruneExpired(store, T0 + 1000)).toBe(1);
    expect(verifySession(store, live, T0 + 1000)?.keyId).toBe(key.id);
    expect(pruneExpired(store, T0 + 1000)).toBe(0);
  });
});

describe("when credentials are required", () => {
  test("loopback hosts are 127.0.0.0/8, ::1 and localhost", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"]) expect({ host, loopback: isLoopbackHost(host) }).toEqual({ host, loopback: true });
    for (const host of ["0.0.0.0", "::", "", "192.168.1.10", "128.0.0.1", "localhost.example.com", "127.0.0.1.nip.io"]) expect({ host, loopback: isLoopbackHost(host) }).toEqual({ host, loopback: false });
  });

  test("auto requires them beyond loopback only; always requires them everywhere", () => {
    const server = (env: Record<string, string>) => loadConfig({ env }).config.server;
    expect(authRequired(server({ MOAT_SERVER_HOST: "127.0.0.1" }))).toBe(false);
    expect(authRequired(server({ MOAT_SERVER_HOST: "0.0.0.0" }))).toBe(true);
    expect(authRequired(server({ MOAT_SERVER_HOST: "127.0.0.1", MOAT_SERVER_REQUIRE_API_KEY: "always" }))).toBe(true);
  });
});

describe("the guard, beyond loopback", () => {
  const EXEMPT = new Set(["GET /health", "POST /api/auth/login", "POST /api/auth/logout", "GET /api/auth/me"]);

  test("without credentials every endpoint answers 401 with how to authenticate, except /health", async () => {
    const app = createApi(await makeApiServices(BEYOND_LOOPBACK));
    // The OPTIONS routes are the cors plugin's preflights (below).
    const routes = app.routes.filter((r) => r.method !== "OPTIONS" && !EXEMPT.has(`${r.method} ${r.path}`));
    expect(routes.length).toBeGreaterThan(30);
    for (const route of routes) {
      const path = route.path.replace(/:\w+/g, "1").replace("*", "x");
      const init: RequestInit = route.method === "WS" ? { headers: { upgrade: "websocket", connection: "upgrade" } } : { method: route.method };
      const res = await call(app, path, init);
      expect({ route: `${route.method} ${route.path}`, status: res.status }).toEqual({ route: `${route.method} ${route.path}`, status: 401 });
      expect(res.body).toMatchObject({ success: false, data: null });
      expect(res.body?.message).toContain("Authorization: Bearer <key>");
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="moat"');
    }
    // Before the body is parsed or validated, and on paths that do not exist.
    expect((await call(app, "/api/alerts/1/dismiss", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" })).status).toBe(401);
    expect((await call(app, "/no/such/endpoint")).status).toBe(401);
    expect((await call(app, "/health")).status).toBe(200);
  });

  test("CORS preflights, which never carry credentials, are still answered", async () => {
    const app = createApi(await makeApiServices(BEYOND_LOOPBACK));
    const preflight = await call(app, "/api/metrics/realtime", { method: "OPTIONS", headers: { origin: "http://localhost:5173", "access-control-request-method": "GET" } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    // And a refusal keeps its CORS headers, so that the dashboard can read why.
    const refused = await call(app, "/api/metrics/realtime", { headers: { origin: "http://localhost:5173" } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
  });

  test("a bad key is refused without being echoed; Bearer and X-API-Key work; a revoked key stops working", async () => {
    const s = await makeApiServices(BEYOND_LOOPBACK);
    const app = createApi(s);
    const { key, id } = createKey(s.ctx.store, "ci");
    const bad = `moat_${"x".repeat(51)}`;
    const badHeaders: Record<string, string>[] = [{ authorization: `Bearer ${bad}` }, { "x-api-key": bad }, { authorization: "Bearer nonsense" }];
    for (const headers of badHeaders) {
      const res = await call(app, "/api/metrics/realtime", { headers });
      expect(res.status).toBe(401);
      expect(res.body?.message).toContain("invalid or revoked");
      expect(res.text).not.toContain(bad);
    }
    expect((await call(app, "/api/metrics/realtime", { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    expect((await call(app, "/api/metrics/realtime", { headers: { "x-api-key": key } })).status).toBe(200);
    expect((await call(app, "/metrics", { headers: { "x-api-key": key } })).status).toBe(200);
    revokeKey(s.ctx.store, String(id));
    expect((await call(app, "/api/metrics/realtime", { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
  });

  test("login sets an HttpOnly SameSite=Strict cookie that authenticates; logout ends it", async () => {
    const { s, logLines } = await servicesWithLog(BEYOND_LOOPBACK);
    const app = createApi(s);
    const { key } = createKey(s.ctx.store, "dashboard");
    const login = await call(app, "/api/auth/login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key }) });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ success: true, data: { keyName: "dashboard" } });
    const setCookie = login.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}; `));
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    expect(setCookie).toContain("Path=/");
    expect(setCookie).toContain(`Max-Age=${12 * 60 * 60}`);
    expect(setCookie).not.toContain("Secure");
    expect(setCookie).not.toContain(key);
    const cookie = setCookie.split(";")[0]!;

    expect((await call(app, "/api/metrics/realtime", { headers: { cookie } })).status).toBe(200);
    expect((await call(app, "/api/auth/me", { headers: { cookie } })).body?.data).toEqual({ authenticated: true, required: true, keyName: "dashboard" });
    expect(logLines.join("")).toContain("dashboard login");
    expect(logLines.join("")).not.toContain(key);

    const logout = await call(app, "/api/auth/logout", { method: "POST", headers: { cookie } });
    expect(logout.status).toBe(200);
    expect(logout.headers.get("set-cookie")).toMatch(new RegExp(`^${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`));
    expect((await call(app, "/api/metrics/realtime", { headers: { cookie } })).status).toBe(401);
    expect((await call(app, "/api/auth/me", { headers: { cookie } })).body?.data).toEqual({ authenticated: false, required: true });
  });

  test("a bad login is a 401 without a cookie, and is logged without the key", async () => {
    const { s, logLines } = await servicesWithLog(BEYOND_LOOPBACK);
    const app = createApi(s);
    const attempt = `moat_${"y".repeat(51)}`;
    const res = await call(app, "/api/auth/login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key: attempt }) });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ success: false, data: null });
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(res.text).not.toContain(attempt);
    expect(logLines.join("")).toContain("dashboard login failed");
    expect(logLines.join("")).not.toContain(attempt);
  });

  test("the cookie is Secure when the browser came over https, directly or through a proxy", async () => {
    const s = await makeApiServices(BEYOND_LOOPBACK);
    const app = createApi(s);
    const { key } = createKey(s.ctx.store, "dashboard");
    const body = JSON.stringify({ key });
    const viaProxy = await call(app, "/api/auth/login", { method: "POST", headers: { "content-type": "application/json", "x-forwarded-proto": "https" }, body });
    expect(viaProxy.headers.get("set-cookie")).toEndWith("; Secure");
    const direct = await app.handle(new Request("https://moat.example/api/auth/login", { method: "POST", headers: { "content-type": "application/json" }, body }));
    expect(direct.headers.get("set-cookie")).toEndWith("; Secure");
  });

  test("a WebSocket upgrade needs credentials too: refused without, opened with a key or the cookie", async () => {
    const s = await makeApiServices(BEYOND_LOOPBACK);
    const app = createApi(s);
    const { key } = createKey(s.ctx.store, "dashboard");
    app.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const url = `ws://127.0.0.1:${app.server!.port}/ws`;
      // A refused upgrade is a plain 401 in the failure envelope, and no socket reaches the hub.
      const upgrade = { upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" };
      const refused = await fetch(`http://127.0.0.1:${app.server!.port}/ws`, { headers: upgrade });
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ success: false, data: null });
      expect(await upgradeOutcome(url, {})).toBe("refused");
      expect(app.decorator.wsHub.stats().clients).toBe(0);
      expect(await upgradeOutcome(url, { authorization: `Bearer ${key}` })).toBe("opened");
      const login = await fetch(`http://127.0.0.1:${app.server!.port}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key }) });
      expect(await upgradeOutcome(url, { cookie: login.headers.get("set-cookie")!.split(";")[0]! })).toBe("opened");
    } finally {
      await app.stop(true);
    }
  });
});

function upgradeOutcome(url: string, headers: Record<string, string>): Promise<"opened" | "refused"> {
  return new Promise((resolve) => {
    // Bun's WebSocket takes headers (a browser's cannot: there the cookie does it).
    const ws = new WebSocket(url, { headers });
    ws.onopen = () => {
      resolve("opened");
      ws.close();
    };
    ws.onerror = () => resolve("refused");
    ws.onclose = () => resolve("refused");
  });
}

describe("the guard on loopback", () => {
  test('"auto" lets requests without credentials through, but still refuses a bad key', async () => {
    const app = createApi(await makeApiServices({ MOAT_SERVER_HOST: "127.0.0.1" }));
    expect((await call(app, "/api/metrics/realtime")).status).toBe(200);
    expect((await call(app, "/api/auth/me")).body?.data).toEqual({ authenticated: false, required: false });
    expect((await call(app, "/api/metrics/realtime", { headers: { "x-api-key": "moat_wrong" } })).status).toBe(401);
  });

  test('"always" requires credentials on loopback too', async () => {
    const s = await makeApiServices({ MOAT_SERVER_HOST: "127.0.0.1", MOAT_SERVER_REQUIRE_API_KEY: "always" });
    const app = createApi(s);
    expect((await call(app, "/api/metrics/realtime")).status).toBe(401);
    const { key } = createKey(s.ctx.store, "ci");
    expect((await call(app, "/api/metrics/realtime", { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
  });
});

describe("the inline check rate limit", () => {
  test("a token bucket per caller: bursts of one second's worth, refilled at the rate; 0 is no limit", () => {
    const limiter = createRateLimiter(2);
    expect([limiter.take("a", T0), limiter.take("a", T0), limiter.take("a", T0)]).toEqual([null, null, 1]);
    expect(limiter.take("b", T0)).toBeNull();
    expect(limiter.take("a", T0 + 500)).toBeNull();
    expect(limiter.take("a", T0 + 500)).toBe(1);
    const unlimited = createRateLimiter(0);
    for (let i = 0; i < 100; i++) expect(unlimited.take("a", T0)).toBeNull();
  });

  /** The app with a still clock. */
  async function checkApp(env: Record<string, string>) {
    const s = await makeApiServices({ MOAT_SERVER_CHECK_RATE_LIMIT: "2", ...env });
    s.ctx.now = () => T0;
    return { s, app: createApi(s) };
  }

  const CHECK = JSON.stringify({ method: "GET", path: "/products" });

  test("the third rapid check with the same key is a 429 with Retry-After; other keys and routes are not held back", async () => {
    const { s, app } = await checkApp(BEYOND_LOOPBACK);
    const a = createKey(s.ctx.store, "a").key;
    const b = createKey(s.ctx.store, "b").key;
    const check = (key: string) => call(app, "/check", { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: CHECK });
    for (let i = 0; i < 2; i++) expect((await check(a)).status).toBe(200);
    const limited = await check(a);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(limited.body).toMatchObject({ success: false, data: null });
    expect(limited.body?.message).toContain("2 checks per second");
    expect((await call(app, "/check/", { method: "POST", headers: { authorization: `Bearer ${a}` } })).status).toBe(429);
    expect((await check(b)).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await call(app, "/api/metrics/realtime", { headers: { authorization: `Bearer ${a}` } })).status).toBe(200);
  });

  test("requests without a key share the anonymous bucket", async () => {
    const { app } = await checkApp({ MOAT_SERVER_HOST: "127.0.0.1" });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(app, "/check", { method: "POST", headers: { "content-type": "application/json" }, body: CHECK })).status);
    expect(statuses).toEqual([200, 200, 429]);
  });
});
