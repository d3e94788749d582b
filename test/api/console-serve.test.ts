/**
 * The console API on a real `moat serve` following the log real nginx writes, over HTTP: the wiring
 * of the allowlist into the verdict path of tailed traffic and inline checks, the sources, the
 * measurements, and settings and rules that outlive a restart.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { NGINX_BIN, readLog, sendRaw, startNginx, type NginxInstance } from "../helpers/nginx.ts";
import { startServe, waitFor, waitForListening, type ServeProcess } from "../helpers/serve.ts";
import { apiData, overHttp } from "../helpers/api.ts";
import { dbCounts, openReadonly } from "../helpers/db.ts";
import { tempDir } from "../helpers/tmp.ts";

const describeNginx = NGINX_BIN ? describe : describe.skip;
const UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const XSS = "/search?q=%3Cscript%3Ealert(1)%3C/script%3E";
const XSS_CHECK = { method: "GET", path: "/search", query_params: { q: "<script>alert(1)</script>" }, headers: { "User-Agent": UA } };

let nginx: NginxInstance;
let moat: ServeProcess;
let dir = "";
let db = "";
let base = "";
let sent = 0;

async function serve(): Promise<void> {
  moat = startServe(["--log", nginx.path("logs/access.log"), "--db", db], { MOAT_STORAGE_DATA_DIR: dir, MOAT_SECURITY_NGINX_CONF: "" });
  base = await waitForListening(moat);
}

async function stop(): Promise<void> {
  moat.proc.kill("SIGTERM");
  await moat.proc.exited;
}

async function send(target: string): Promise<void> {
  await sendRaw(nginx.port, `GET ${target} HTTP/1.1\r\nHost: shop.test\r\nUser-Agent: ${UA}\r\nConnection: close\r\n\r\n`);
  sent++;
}

const data = <T>(method: string, path: string, body?: unknown) => apiData<T>(overHttp(base), method, path, body);

/** Threats stored from the log (inline checks are stored too, with source `inline`). */
function tailedThreats(): number {
  const sqlite = openReadonly(db);
  try {
    return (sqlite.query("select count(*) as n from threats where source != 'inline'").get() as { n: number }).n;
  } finally {
    sqlite.close();
  }
}

let checks = 0;
async function check(): Promise<{ is_anomaly: boolean; reasons: { detector: string }[] }> {
  checks++;
  const res = await fetch(`${base}/check`, { method: "POST", body: JSON.stringify(XSS_CHECK), headers: { "content-type": "application/json" } });
  return (await res.json()) as { is_anomaly: boolean; reasons: { detector: string }[] };
}

describeNginx("console API on moat serve", () => {
  beforeAll(async () => {
    nginx = await startNginx(`server { listen 127.0.0.1:{{PORT}}; access_log {{PREFIX}}/logs/access.log combined; location / { return 200 "ok\\n"; } }`);
    dir = tempDir();
    db = join(dir, "moat.db");
    await serve();
    for (let i = 0; i < 20; i++) await send(`/products?id=${i}&color=red`);
    await send(XSS);
    await waitFor("stored requests", () => dbCounts(db).requests === sent);
  });
  afterAll(async () => {
    if (moat) await stop();
    await nginx?.stop();
  });

  test("sources and performance come from the running pipeline", async () => {
    const [source, ...more] = await data<Record<string, unknown>[]>("GET", "/api/sources");
    expect(more).toEqual([]);
    expect(source).toMatchObject({ path: nginx.path("logs/access.log"), format: "combined", alive: true, lines: sent, parseErrors: 0, rotations: 0 });
    expect(typeof source!.lagMs).toBe("number");
    expect(typeof source!.lastLineAt).toBe("string");

    await check();
    type Quantiles = { p50: number; p99: number; samples: number };
    const performance = () => data<{ linesPerSecond: number; ingestLagMs: Quantiles; checkLatencyMs: Quantiles; modelTimeMs: Quantiles }>("GET", "/api/performance");
    let perf = await performance();
    // The latency is recorded once the answer has gone out.
    await waitFor("the check's latency", async () => (perf = await performance()).checkLatencyMs.samples > 0, 5_000);
    expect(perf.checkLatencyMs.samples).toBe(1);
    expect(perf.ingestLagMs.samples).toBe(sent);
    expect(perf.modelTimeMs.samples).toBeGreaterThanOrEqual(2);
    expect(perf.linesPerSecond).toBeGreaterThan(0);
  });

  test("a false positive marked over HTTP: inline checks and tailed traffic are allowed; settings and the rule outlive a restart", async () => {
    // The threat from nginx's log (127.0.0.1), not the inline check of the test above (stored behind its answer, with no client address).
    const [threat] = await data<{ id: number }[]>("GET", "/api/threats?type=xss&ip=127.0.0.1");
    const detail = await data<{ request: { raw: string } }>("GET", `/api/threats/${threat!.id}`);
    expect(readLog(nginx.path("logs/access.log"))).toContain(detail.request.raw);
    expect(detail.request.raw).toContain(`"GET ${XSS} HTTP/1.1"`);

    expect((await check()).is_anomaly).toBe(true);
    const rule = await data<{ id: number }>("POST", `/api/threats/${threat!.id}/false-positive`, { note: "e2e" });
    const allowed = await check();
    expect(allowed.is_anomaly).toBe(false);
    expect(allowed.reasons[0]!.detector).toBe("allowlist");

    // Through nginx and the log: stored, not as a threat.
    const before = tailedThreats();
    await send(XSS);
    await waitFor("the request stored", () => dbCounts(db).requests === sent + checks);
    expect(tailedThreats()).toBe(before);
    const [latest] = await data<{ endpoint: string; isAnomaly: boolean }[]>("GET", "/api/traffic?limit=1&ip=127.0.0.1");
    expect(latest).toMatchObject({ endpoint: "/search", isAnomaly: false });

    await data("PUT", "/api/settings/retention", { max_age_days: 9 });
    await data("PUT", "/api/settings/webhook", { url: "https://hooks.example.com/services/secret" });

    await stop();
    await serve();
    const settings = await data<{ retention: { max_age_days: number }; webhook: { url: string; configured: boolean } }>("GET", "/api/settings");
    expect(settings.retention.max_age_days).toBe(9);
    expect(settings.webhook).toEqual({ url: "https://hooks.example.com", configured: true });
    expect((await data<{ id: number }[]>("GET", "/api/allowlist")).map((r) => r.id)).toEqual([rule.id]);
    expect((await check()).is_anomaly).toBe(false);

    await data("DELETE", `/api/allowlist/${rule.id}`);
    expect((await check()).is_anomaly).toBe(true);
  }, 60_000);
});
