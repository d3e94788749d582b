/**
 * API keys, dashboard sessions and the guard, on a real store and the real app (createApi), called
 * in-process with app.handle, plus one real server for the WebSocket upgrade.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createApi } from "../../src/api/app.ts";
import { SESSION_COOKIE } from "../../src/api/auth/guard.ts";
import { authRequired, isLoopbackHost } from "../../src/config/exposure.ts";
import { createRateLimiter } from "../../src/api/auth/rate-limit.ts";
import { createKey, displayPrefix, KEY_MEMORY_MS, listKeys, revokeKey, verifyKey } from "../../src/api/auth/keys.ts";
import { sha256Hex } from "../../src/api/auth/presented-key.ts";
import { createSession, deleteSession, pruneExpired, verifySession } from "../../src/api/auth/sessions.ts";
import type { ApiServices } from "../../src/api/services.ts";
import { loadConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/core/log.ts";
import { openStore, type Store } from "../../src/store/db.ts";
import { makeApiServices } from "../helpers/api.ts";
import { upgradeOutcome } from "../helpers/ws.ts";
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
    const created = createKey(store, "ci", {}, T0);
    expect(created.key).toMatch(/^moat_[A-Za-z0-9_-]{51}$/);
    const row = store.sqlite!.query("select * from api_keys where id = ?").get(created.id) as Record<string, unknown>;
    expect(row.hash).toBe(sha256Hex(created.key));
    const secret = created.key.slice(13);
    for (const value of Object.values(row)) expect(String(value)).not.toContain(secret);
    expect(created.key.startsWith(displayPrefix(row.prefix as string))).toBe(true);

    const listed = listKeys(store);
    expect(listed).toEqual([{ id: created.id, name: "ci", prefix: row.prefix as string, createdAt: T0, lastUsedAt: null, revokedAt: null, scope: "admin", rateLimit: null }]);
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
    const { id, key } = createKey(store, "ci", {}, T0);
    const lastUsed = () => listKeys(store).find((k) => k.id === id)?.lastUsedAt;
    verifyKey(store, key, T0 + 1000);
    expect(lastUsed()).toBe(T0 + 1000);
    verifyKey(store, key, T0 + 30_000);
    expect(lastUsed()).toBe(T0 + 1000);
    expect(verifyKey(store, key, T0 + 61_000)?.lastUsedAt).toBe(T0 + 61_000);
    expect(lastUsed()).toBe(T0 + 61_000);
    // The wall clock set back an hour: the next use is recorded, not held until the clock catches up.
    expect(verifyKey(store, key, T0 + 61_000 - 3_600_000)?.lastUsedAt).toBe(T0 + 61_000 - 3_600_000);
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

  test("a live key is looked up once per KEY_MEMORY_MS: a revocation by another process applies within it, one by this process at once", async () => {
    const store = tempStore();
    const a = createKey(store, "a");
    const b = createKey(store, "b");
    expect(verifyKey(store, a.key)?.id).toBe(a.id);
    expect(verifyKey(store, b.key)?.id).toBe(b.id);
    // Revoked behind this process's back, as `moat apikey revoke` or another hub does.
    store.sqlite!.run("update api_keys set revoked_at = ? where id = ?", [T0, a.id]);
    expect(verifyKey(store, a.key)?.id).toBe(a.id);
    // A wrong secret under a remembered prefix is still refused.
    expect(verifyKey(store, a.key.slice(0, -4) + "AAAA")).toBeNull();
    await Bun.sleep(KEY_MEMORY_MS + 50);
    expect(verifyKey(store, a.key)).toBeNull();
    // Revoked by this process: refused at once.
    revokeKey(store, String(b.id), T0);
    expect(verifyKey(store, b.key)).toBeNull();
  });
});

describe("sessions", () => {
  test("a session verifies until it expires, is deleted on logout, and dies with its key", () => {
    const store = tempStore();
    const key = createKey(store, "dash");
    const token = createSession(store, key.id, 60_000, T0);
    expect(store.sqlite!.query("select hash from sessions").all()).toEqual([{ hash: sha256Hex(token) }]);
    expect(verifySession(store, token, T0 + 59_999)).toEqual({ keyId: key.id, keyName: "dash", scope: "admin", rateLimit: null, expiresAt: T0 + 60_000 });
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
    const s = await makeApiServices({ ...BEYOND_LOOPBACK, MOAT_SERVER_ALLOWED_HOSTS: "moat.example" });
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
  test("a token bucket per name: bursts of one second's worth, refilled at the rate, N checks cost N; 0 is no limit", () => {
    let monotonic = 1_000;
    const limiter = createRateLimiter(() => monotonic);
    expect([limiter.take("a", 2, 1), limiter.take("a", 2, 1), limiter.take("a", 2, 1)]).toEqual([null, null, 1]);
    expect(limiter.take("b", 2, 1)).toBeNull();
    monotonic += 500;
    expect(limiter.take("a", 2, 1)).toBeNull();
    expect(limiter.take("a", 2, 1)).toBe(1);
    monotonic += 1_000;
    expect(limiter.take("a", 2, 3)).toBe(1); // more than the bucket holds now: nothing taken
    expect(limiter.take("a", 2, 2)).toBeNull();
    expect([limiter.take("c", 10, 4), limiter.take("c", 10, 4), limiter.take("c", 10, 4)]).toEqual([null, null, 1]);
    monotonic -= 5_000; // an injected clock that goes back refills nothing and takes nothing away
    expect(limiter.take("c", 10, 2)).toBeNull();
    expect(limiter.take("c", 10, 1)).toBe(1);
    for (let i = 0; i < 100; i++) expect(limiter.take("a", 0, 50)).toBeNull();
  });

  /** The app with a still monotonic clock: the bucket refills only when a test moves it. */
  async function checkApp(env: Record<string, string>) {
    const s = await makeApiServices({ MOAT_SERVER_CHECK_RATE_LIMIT: "2", ...env });
    const clock = { monotonic: 5_000 };
    s.ctx.monotonic = () => clock.monotonic;
    return { s, clock, app: createApi(s) };
  }

  const CHECK = JSON.stringify({ method: "GET", path: "/products" });
  const checkWith = (app: ReturnType<typeof createApi>, key: string, path = "/check", body = CHECK) =>
    call(app, path, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body });
  const batchOf = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ method: "GET", path: `/products/${i}` })));

  test("the third rapid check with the same key is a 429 with Retry-After; other keys and routes are not held back", async () => {
    const { s, app } = await checkApp(BEYOND_LOOPBACK);
    const a = createKey(s.ctx.store, "a").key;
    const b = createKey(s.ctx.store, "b").key;
    for (let i = 0; i < 2; i++) expect((await checkWith(app, a)).status).toBe(200);
    const limited = await checkWith(app, a);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(limited.body).toMatchObject({ success: false, data: null });
    expect(limited.body?.message).toContain("2 checks per second");
    expect((await call(app, "/check/", { method: "POST", headers: { authorization: `Bearer ${a}` } })).status).toBe(429);
    expect((await checkWith(app, b)).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await call(app, "/api/metrics/realtime", { headers: { authorization: `Bearer ${a}` } })).status).toBe(200);
  });

  test("requests without a key share the anonymous bucket", async () => {
    const { app } = await checkApp({ MOAT_SERVER_HOST: "127.0.0.1" });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(app, "/check", { method: "POST", headers: { "content-type": "application/json" }, body: CHECK })).status);
    expect(statuses).toEqual([200, 200, 429]);
  });

  test("every item of a batch costs a check; a batch larger than the bucket is refused at once, saying why", async () => {
    const { s, clock, app } = await checkApp({ ...BEYOND_LOOPBACK, MOAT_SERVER_CHECK_RATE_LIMIT: "5" });
    const { key } = createKey(s.ctx.store, "batcher");
    const first = await checkWith(app, key, "/check/batch", batchOf(3));
    expect(first.status).toBe(200);
    expect(JSON.parse(first.text)).toHaveLength(3);
    // 2 checks left: a batch of 3 must wait (and its arrival took one).
    const second = await checkWith(app, key, "/api/waf/check/batch", batchOf(3));
    expect(second.status).toBe(429);
    expect(second.headers.get("retry-after")).toBe("1");
    expect(second.body?.message).toContain("more than 5 checks per second for this API key");
    clock.monotonic += 1_000;
    expect((await checkWith(app, key, "/check/batch", batchOf(5))).status).toBe(200);
    expect((await checkWith(app, key)).status).toBe(429);

    // Six can never fit a bucket of five: no Retry-After, and a message that says what to do.
    clock.monotonic += 60_000;
    const tooLarge = await checkWith(app, key, "/check/batch", batchOf(6));
    expect(tooLarge.status).toBe(429);
    expect(tooLarge.headers.get("retry-after")).toBeNull();
    expect(tooLarge.body?.message).toContain("a batch of 6 checks is more than the 5 checks per second allowed for this API key");
    expect(tooLarge.body?.message).toContain("at most 5 per batch");
    // What was judged and stored: the 3 + 5 items that went through.
    s.writeBehind.flush();
    expect(s.ctx.store.sqlite!.query<{ n: number }, []>("select count(*) as n from traffic where source = 'inline'").get()?.n).toBe(8);
  });

  test("a key's own limit replaces the server's: 0 is unlimited (for nginx), a number is the key's own budget", async () => {
    const { s, app } = await checkApp(BEYOND_LOOPBACK);
    const nginx = createKey(s.ctx.store, "nginx", { scope: "check", rateLimit: 0 }).key;
    const generous = createKey(s.ctx.store, "generous", { scope: "check", rateLimit: 4 }).key;
    const ordinary = createKey(s.ctx.store, "ordinary", { scope: "check" }).key;
    for (let i = 0; i < 20; i++) expect((await checkWith(app, nginx)).status).toBe(200);
    expect((await checkWith(app, nginx, "/check/batch", batchOf(50))).status).toBe(200);
    const auth = (key: string) => call(app, "/check/auth-request", { headers: { "x-api-key": key, "x-original-method": "GET", "x-original-uri": "/products?id=1" } });
    for (let i = 0; i < 20; i++) expect((await auth(nginx)).status).toBe(204);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await checkWith(app, generous)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    expect((await checkWith(app, generous)).body?.message).toContain("4 checks per second");
    expect([(await auth(ordinary)).status, (await auth(ordinary)).status, (await auth(ordinary)).status]).toEqual([204, 204, 429]);
  });

  test("limits and uptime run on the monotonic clock: a wall clock stepped back or forward an hour changes nothing", async () => {
    const { s, clock, app } = await checkApp(BEYOND_LOOPBACK);
    const { key } = createKey(s.ctx.store, "ci");
    const wall = { now: Date.now() };
    s.ctx.now = () => wall.now;
    s.ctx.monotonicStart = clock.monotonic;
    for (let i = 0; i < 2; i++) expect((await checkWith(app, key)).status).toBe(200);
    wall.now -= 60 * 60 * 1000; // set back an hour
    const limited = await checkWith(app, key);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1"); // not 3599
    clock.monotonic += 1_000;
    expect((await checkWith(app, key)).status).toBe(200);
    expect((await checkWith(app, key)).status).toBe(200);
    wall.now += 2 * 60 * 60 * 1000; // and forward an hour past where it was: no fresh bucket
    expect((await checkWith(app, key)).status).toBe(429);

    const health = await call(app, "/health");
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toMatchObject({ status: "ok", uptime: 1 });
    wall.now -= 24 * 60 * 60 * 1000;
    expect(JSON.parse((await call(app, "/health")).text).uptime).toBe(1);
    const performance = await call(app, "/api/performance", { headers: { authorization: `Bearer ${key}` } });
    expect((performance.body?.data as { uptime: number }).uptime).toBe(1);
  });
});

describe("key scopes", () => {
  const INLINE = new Set(["POST /check", "POST /check/batch", "POST /api/waf/check", "POST /api/waf/check/batch", "GET /check/auth-request"]);
  const EXEMPT = new Set(["GET /health", "POST /api/auth/login", "POST /api/auth/logout", "GET /api/auth/me"]);

  test("a check key may call the inline checks and /health, and is refused (403) everywhere else: keys, settings, models, allowlist, bans, /ws", async () => {
    const s = await makeApiServices(BEYOND_LOOPBACK);
    const app = createApi(s);
    const { key } = createKey(s.ctx.store, "nginx", { scope: "check" });
    const auth = { authorization: `Bearer ${key}` };
    const routes = app.routes.filter((r) => r.method !== "OPTIONS" && !INLINE.has(`${r.method} ${r.path}`) && !EXEMPT.has(`${r.method} ${r.path}`) && !r.path.startsWith("/dashboard"));
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining(["GET /api/keys", "POST /api/keys", "DELETE /api/keys/:id", "PUT /api/waf/config", "WS /ws"]));
    for (const route of routes) {
      const path = route.path.replace(/:\w+/g, "1").replace("*", "x");
      const init: RequestInit = route.method === "WS" ? { headers: { ...auth, upgrade: "websocket", connection: "upgrade" } } : { method: route.method, headers: auth };
      const res = await call(app, path, init);
      expect({ route: `${route.method} ${route.path}`, status: res.status }).toEqual({ route: `${route.method} ${route.path}`, status: 403 });
      expect(res.body?.message).toContain("check scope");
    }
    // It cannot mint itself an admin key (or a fresh rate-limit bucket) either way the body is sent.
    expect((await call(app, "/api/keys", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ name: "escalate", scope: "admin" }) })).status).toBe(403);
    expect(listKeys(s.ctx.store)).toHaveLength(1);

    expect((await call(app, "/check", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ method: "GET", path: "/" }) })).status).toBe(200);
    expect((await call(app, "/api/waf/check/batch", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify([{ method: "GET", path: "/" }]) })).status).toBe(200);
    expect((await call(app, "/check/auth-request", { headers: { ...auth, "x-original-method": "GET", "x-original-uri": "/" } })).status).toBe(204);
    expect((await call(app, "/health", { headers: auth })).status).toBe(200);
  });

  test("a check key cannot log in to the dashboard: 403 that says why, and no cookie", async () => {
    const { s, logLines } = await servicesWithLog(BEYOND_LOOPBACK);
    const app = createApi(s);
    const { key } = createKey(s.ctx.store, "nginx", { scope: "check" });
    const login = await call(app, "/api/auth/login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key }) });
    expect(login.status).toBe(403);
    expect(login.body?.message).toContain("cannot log in to the dashboard");
    expect(login.headers.get("set-cookie")).toBeNull();
    expect(logLines.join("")).toContain("dashboard login refused");
    expect(logLines.join("")).not.toContain(key);
  });

  test("the console creates keys with a scope and a limit, lists them, and refuses unknown scopes and bad limits", async () => {
    const s = await makeApiServices(BEYOND_LOOPBACK);
    const app = createApi(s);
    const admin = { authorization: `Bearer ${createKey(s.ctx.store, "admin").key}`, "content-type": "application/json" };
    const create = (body: unknown) => call(app, "/api/keys", { method: "POST", headers: admin, body: JSON.stringify(body) });
    const created = await create({ name: "nginx", scope: "check", rateLimit: 0 });
    expect(created.status).toBe(200);
    expect(created.body?.data).toMatchObject({ name: "nginx", scope: "check", rateLimit: 0 });
    expect((await create({ name: "old client" })).body?.data).toMatchObject({ scope: "admin", rateLimit: null });
    for (const bad of [{ name: "x", scope: "root" }, { name: "x", rateLimit: -1 }, { name: "x", rateLimit: 1.5 }]) expect((await create(bad)).status).toBe(400);
    const listed = (await call(app, "/api/keys", { headers: admin })).body?.data as { name: string; scope: string; rateLimit: number | null }[];
    expect(listed.map((k) => [k.name, k.scope, k.rateLimit])).toEqual([["admin", "admin", null], ["nginx", "check", 0], ["old client", "admin", null]]);
    // The key the console made is a check key indeed.
    const nginxKey = (created.body?.data as { key: string }).key;
    expect((await call(app, "/api/keys", { headers: { authorization: `Bearer ${nginxKey}` } })).status).toBe(403);
  });
});
