/**
 * Browser-origin defenses (auth/origin.ts): a web page elsewhere cannot drive Moat through the operator's
 * browser. Forms and foreign origins are refused before any handler runs, foreign Host names (DNS
 * rebinding) get nothing, refused requests carry no CORS headers, and the contract's third-party client
 * on a loopback origin keeps working. In-process with app.handle, plus real servers for the Host header
 * and the WebSocket handshake.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createApi } from "../../src/api/app.ts";
import { createKey, listKeys } from "../../src/api/auth/keys.ts";
import type { ApiServices } from "../../src/api/services.ts";
import { ConfigError, loadConfig } from "../../src/config/load.ts";
import { callApi, makeApiServices } from "../helpers/api.ts";
import { upgradeOutcome } from "../helpers/ws.ts";
import { sendRaw } from "../helpers/nginx.ts";
import { tempDir } from "../helpers/tmp.ts";
import type { CheckAnswerT } from "../../src/api/inline-check.ts";

const EVIL = "http://evil.example";
const FORM = "application/x-www-form-urlencoded";
const SQLI_CHECK = { method: "GET", path: "/login", query_params: { user: "admin' OR '1'='1' --" } };

type App = ReturnType<typeof createApi>;
const listening: App[] = [];
afterEach(async () => {
  for (const app of listening.splice(0)) {
    app.decorator.wsHub.close();
    await app.stop(true);
  }
});

function listen(app: App): number {
  app.listen({ hostname: "127.0.0.1", port: 0 });
  listening.push(app);
  return app.server!.port!;
}

async function send(app: App, method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}) {
  const res = await app.handle(new Request(`http://localhost${path}`, { method, headers: init.headers, body: init.body }));
  return { status: res.status, headers: res.headers, body: (await res.json()) as { success: boolean; data: unknown; message?: string } };
}

/** A flagged request stored as a threat, whose id a page would target. */
async function storedThreat(s: ApiServices, app: App): Promise<number> {
  expect((await callApi(app, "POST", "/check", SQLI_CHECK)).status).toBe(200);
  s.writeBehind.flush();
  return (s.ctx.store.sqlite!.query("select id from threats order by id desc limit 1").get() as { id: number }).id;
}


function corsHeaders(headers: Headers): string[] {
  return [...headers.keys()].filter((name) => name.startsWith("access-control-"));
}

describe("forms and foreign origins cannot change anything", () => {
  test("a cross-origin form POST to false-positive adds no allowlist rule, and the attack stays flagged", async () => {
    const s = await makeApiServices();
    const app = createApi(s);
    const id = await storedThreat(s, app);
    // What the attacking page's auto-submitted <form method=POST> sends, and the same form from a script without Origin.
    const fromPage = await send(app, "POST", `/api/threats/${id}/false-positive`, { body: "scope=endpoint", headers: { "content-type": FORM, origin: EVIL, referer: `${EVIL}/attack.html` } });
    expect(fromPage.status).toBe(403);
    expect(fromPage.body).toMatchObject({ success: false, data: null });
    expect(fromPage.body.message).toContain("server.allowed_origins");
    expect(corsHeaders(fromPage.headers)).toEqual([]);
    const noOrigin = await send(app, "POST", `/api/threats/${id}/false-positive`, { body: "scope=endpoint", headers: { "content-type": FORM } });
    expect(noOrigin.status).toBe(415);
    expect(noOrigin.body.message).toContain("Content-Type: application/json");
    for (const type of ["multipart/form-data; boundary=x", "text/plain"]) {
      expect((await send(app, "POST", `/api/threats/${id}/false-positive`, { body: "--x--", headers: { "content-type": type } })).status).toBe(415);
    }
    expect(s.allowlist.list()).toEqual([]);
    const again = await callApi(app, "POST", "/check", SQLI_CHECK);
    expect((again.body as unknown as CheckAnswerT).is_anomaly).toBe(true);
  });

  test("a form cannot create an API key or start a retrain; a foreign Origin cannot even with JSON", async () => {
    const s = await makeApiServices();
    const app = createApi(s);
    expect((await send(app, "POST", "/api/keys", { body: "name=x", headers: { "content-type": FORM, origin: EVIL } })).status).toBe(403);
    expect((await send(app, "POST", "/api/keys", { body: "name=x", headers: { "content-type": FORM } })).status).toBe(415);
    const json = await send(app, "POST", "/api/keys", { body: JSON.stringify({ name: "x" }), headers: { "content-type": "application/json", origin: EVIL } });
    expect(json.status).toBe(403);
    expect(json.headers.get("access-control-allow-origin")).toBeNull();
    expect(corsHeaders(json.headers)).toEqual([]);
    // No Origin, but the Referer names the page: the same refusal.
    expect((await send(app, "POST", "/api/keys", { body: JSON.stringify({ name: "x" }), headers: { "content-type": "application/json", referer: `${EVIL}/a` } })).status).toBe(403);
    // Sandboxed frames and file: pages send Origin: null.
    expect((await send(app, "POST", "/api/keys", { body: JSON.stringify({ name: "x" }), headers: { "content-type": "application/json", origin: "null" } })).status).toBe(403);
    expect(listKeys(s.ctx.store)).toEqual([]);
    // An empty form post, which used to start a retrain.
    expect((await send(app, "POST", "/api/models/train", { body: "", headers: { "content-type": FORM } })).status).toBe(415);
    expect(s.scheduler.isRunning("retrain")).toBe(false);
  });

  test("DELETE and PUT from a foreign origin are refused too", async () => {
    const s = await makeApiServices();
    const app = createApi(s);
    const { id } = createKey(s.ctx.store, "nginx");
    expect((await send(app, "DELETE", `/api/keys/${id}`, { headers: { origin: EVIL } })).status).toBe(403);
    expect(listKeys(s.ctx.store)[0]!.revokedAt).toBeNull();
    expect((await send(app, "PUT", "/api/waf/config", { body: JSON.stringify({ mode: "block" }), headers: { "content-type": "application/json", origin: EVIL } })).status).toBe(403);
    expect(s.settings.mode).toBe("detect");
  });
});

describe("what keeps working", () => {
  test("the contract's client on http://127.0.0.1:3000: JSON POSTs (even without a body) answer with CORS headers", async () => {
    const s = await makeApiServices();
    const app = createApi(s);
    const origin = "http://127.0.0.1:3000";
    const id = await storedThreat(s, app);
    // The contract's client sends Content-Type: application/json on every call, POSTs without a body included.
    const bodiless = await send(app, "POST", "/api/auth/logout", { headers: { "content-type": "application/json", origin } });
    expect(bodiless.status).toBe(200);
    expect(bodiless.headers.get("access-control-allow-origin")).toBe(origin);
    const marked = await send(app, "POST", `/api/threats/${id}/false-positive`, { body: "{}", headers: { "content-type": "application/json", origin } });
    expect(marked.status).toBe(200);
    expect(marked.headers.get("access-control-allow-origin")).toBe(origin);
    expect(marked.headers.get("access-control-allow-credentials")).toBe("true");
    const created = await send(app, "POST", "/api/keys", { body: JSON.stringify({ name: "dash" }), headers: { "content-type": "application/json; charset=utf-8", origin } });
    expect(created.status).toBe(200);
    const preflight = await app.handle(new Request("http://localhost/api/keys", { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" } }));
    expect(preflight.headers.get("access-control-allow-origin")).toBe(origin);
    // A foreign origin's preflight gets no CORS headers, so its browser never sends the request.
    const foreign = await app.handle(new Request("http://localhost/api/keys", { method: "OPTIONS", headers: { origin: EVIL, "access-control-request-method": "POST" } }));
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
    // Loopback names and ports of every kind; a DELETE without a body needs no Content-Type.
    for (const loopback of ["http://localhost:5173", "https://[::1]:8443", "http://127.0.0.2"]) {
      const { id: keyId } = createKey(s.ctx.store, loopback);
      expect((await send(app, "DELETE", `/api/keys/${keyId}`, { headers: { origin: loopback } })).status).toBe(200);
    }
  });

  test("Moat's own origin (the dashboard), configured origins, and callers that are not browsers", async () => {
    const s = await makeApiServices({ MOAT_SERVER_ALLOWED_ORIGINS: "https://dash.example.com" });
    const app = createApi(s);
    const json = { "content-type": "application/json" };
    // The dashboard is served by Moat: its Origin is the Host it asked for.
    expect((await send(app, "POST", "/api/keys", { body: JSON.stringify({ name: "a" }), headers: { ...json, origin: "http://localhost" } })).status).toBe(200);
    const configured = await send(app, "POST", "/api/keys", { body: JSON.stringify({ name: "b" }), headers: { ...json, origin: "https://dash.example.com" } });
    expect(configured.status).toBe(200);
    expect(configured.headers.get("access-control-allow-origin")).toBe("https://dash.example.com");
    expect((await send(app, "POST", "/api/keys", { body: JSON.stringify({ name: "c" }), headers: { ...json, origin: "http://dash.example.com" } })).status).toBe(403);
    // curl, scripts and proxies send neither Origin nor Referer.
    expect((await send(app, "POST", "/api/keys", { body: JSON.stringify({ name: "d" }), headers: json })).status).toBe(200);
    // GETs are not refused (a foreign page cannot read them: no CORS headers).
    const read = await send(app, "GET", "/api/keys", { headers: { origin: EVIL } });
    expect(read.status).toBe(200);
    expect(read.headers.get("access-control-allow-origin")).toBeNull();
    expect(listKeys(s.ctx.store).map((k) => k.name)).toEqual(["a", "b", "d"]);
  });

  test("inline checks still take a raw HTTP request as text from scripts, but not from a foreign page", async () => {
    const s = await makeApiServices();
    const app = createApi(s);
    const raw = "GET /search?q=%3Cscript%3Ealert(1)%3C/script%3E HTTP/1.1\nHost: shop.test\n\n";
    for (const path of ["/check", "/api/waf/check"]) {
      expect((await send(app, "POST", path, { body: raw, headers: { "content-type": "text/plain" } })).status).toBe(200);
      expect((await send(app, "POST", path, { body: raw, headers: { "content-type": "text/plain", origin: EVIL } })).status).toBe(403);
    }
    expect((await send(app, "POST", "/check/batch", { body: JSON.stringify([raw]), headers: { "content-type": FORM, origin: EVIL } })).status).toBe(403);
  });
});

describe("the Host header (DNS rebinding)", () => {
  test("a foreign Host is refused on every route; loopback names, IP literals and configured names are answered", async () => {
    const port = listen(createApi(await makeApiServices({ MOAT_SERVER_ALLOWED_HOSTS: "moat.lan" })));
    const status = async (host: string, target = "/api/metrics/realtime") => {
      const raw = await sendRaw(port, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1]), body: raw.slice(raw.indexOf("\r\n\r\n") + 4) };
    };
    const rebound = await status(`attacker.example:${port}`);
    expect(rebound.status).toBe(421);
    expect(JSON.parse(rebound.body)).toMatchObject({ success: false, data: null });
    expect(JSON.parse(rebound.body).message).toContain("server.allowed_hosts");
    expect(rebound.body).not.toContain("attacker.example");
    expect((await status(`attacker.example:${port}`, "/")).status).toBe(421);
    // A name without a dot cannot come from public DNS: nginx's upstream name (`Host: moat`, sent by
    // snippets older than the Host line) keeps working.
    expect((await status("moat:80")).status).toBe(200);
    expect((await status("127.0.0.1@attacker.example")).status).toBe(421);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, "[::1]", "192.0.2.7:8080", `MOAT.lan:${port}`]) expect((await status(host)).status).toBe(200);
  });
});

describe("the path the guards read is the path that is routed", () => {
  test("backslashes and dot segments cannot take a check key or no key past the guard", async () => {
    const s = await makeApiServices({ MOAT_SERVER_REQUIRE_API_KEY: "always" });
    const check = createKey(s.ctx.store, "nginx", { scope: "check" }).key;
    const port = listen(createApi(s));
    const send = async (line: string, key?: string) => {
      const raw = await sendRaw(port, `${line} HTTP/1.1\r\nHost: 127.0.0.1\r\n${key ? `X-API-Key: ${key}\r\n` : ""}Connection: close\r\n\r\n`);
      return Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1]);
    };
    // Bun resolves these in request.url to /check and /x.js (an inline check, a dashboard asset); its own
    // router matched them as sent, to the key and threat routes.
    expect(await send("DELETE /api/keys/1\\..\\..\\..\\check", check)).toBe(404); // routed as DELETE /check: there is none
    expect(await send("GET /api/threats/type/..\\..\\..\\x.js")).toBe(404); // routed as /x.js: no such asset
    expect(listKeys(s.ctx.store).every((k) => k.revokedAt === null)).toBe(true);
  });
});

describe("the WebSocket handshake", () => {
  test("a foreign Origin cannot open /ws; loopback and Moat's own origins can", async () => {
    const app = createApi(await makeApiServices());
    const port = listen(app);
    const url = `ws://127.0.0.1:${port}/ws`;
    expect(await upgradeOutcome(url, { origin: EVIL })).toBe("refused");
    expect(app.decorator.wsHub.stats().clients).toBe(0);
    const refused = await fetch(`http://127.0.0.1:${port}/ws`, { headers: { origin: EVIL, upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
    expect(await upgradeOutcome(url, { origin: "http://127.0.0.1:3000" })).toBe("opened");
    expect(await upgradeOutcome(url, { origin: `http://127.0.0.1:${port}` })).toBe("opened");
  });
});

describe("with keys required, a session cookie does not let a foreign page in", () => {
  test("a logged-in cookie plus a foreign Origin is refused for POSTs and the WebSocket upgrade", async () => {
    const s = await makeApiServices({ MOAT_SERVER_HOST: "0.0.0.0" });
    const app = createApi(s);
    const { key } = createKey(s.ctx.store, "operator");
    const port = listen(app);
    const base = `http://127.0.0.1:${port}`;
    const login = await fetch(`${base}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key }) });
    expect(login.status).toBe(200);
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    const create = (origin: string) => fetch(`${base}/api/keys`, { method: "POST", headers: { cookie, origin, "content-type": "application/json" }, body: JSON.stringify({ name: "minted" }) });
    expect((await create(EVIL)).status).toBe(403);
    const asForm = await fetch(`${base}/api/keys`, { method: "POST", headers: { cookie, origin: EVIL, "content-type": FORM }, body: "name=minted" });
    expect(asForm.status).toBe(403);
    expect(listKeys(s.ctx.store).map((k) => k.name)).toEqual(["operator"]);
    expect(await upgradeOutcome(`ws://127.0.0.1:${port}/ws`, { cookie, origin: EVIL })).toBe("refused");
    // The same cookie from Moat's own page works.
    expect((await create(base)).status).toBe(200);
    expect(await upgradeOutcome(`ws://127.0.0.1:${port}/ws`, { cookie, origin: base })).toBe("opened");
  });
});

describe("configuration", () => {
  test("server.cors_origins is refused with the name of its replacement, from the file and the environment", () => {
    const dir = tempDir("moat-origin-");
    const file = join(dir, "moat.toml");
    writeFileSync(file, '[server]\ncors_origins = ["http://dash.example"]\n');
    const problems = (sources: Parameters<typeof loadConfig>[0]) => {
      try {
        loadConfig(sources);
      } catch (e) {
        if (e instanceof ConfigError) return e.message;
        throw e;
      }
      return "";
    };
    expect(problems({ file, env: {} })).toContain("server.cors_origins: renamed: use server.allowed_origins");
    expect(problems({ env: { MOAT_SERVER_CORS_ORIGINS: "http://dash.example" } })).toContain("MOAT_SERVER_CORS_ORIGINS: renamed: use server.allowed_origins (MOAT_SERVER_ALLOWED_ORIGINS)");
    expect(problems({ env: { MOAT_SERVER_ALLOWED_ORIGINS: "http://dash.example/path" } })).toContain("server.allowed_origins.0");
    expect(problems({ env: { MOAT_SERVER_ALLOWED_HOSTS: "moat.lan:8080" } })).toContain("server.allowed_hosts.0");
  });
});
