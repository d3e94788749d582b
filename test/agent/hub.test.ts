/**
 * An agent and its hub in one process, over real HTTP: the agent routes' keys, the shipper draining
 * the outbox exactly once (a lost answer, a hub away, a batch the hub refuses), and the hub's bans
 * reaching the agent's deny list.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { createApi } from "../../src/api/app.ts";
import { createKey } from "../../src/api/auth/keys.ts";
import { Shipper } from "../../src/agent/shipper.ts";
import { outboxWriterOptions } from "../../src/agent/agent.ts";
import { loadConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/core/log.ts";
import { Bus } from "../../src/pipeline/bus.ts";
import { Activities } from "../../src/services/activities.ts";
import { DenyList } from "../../src/services/deny-list/service.ts";
import { openStore, type Store } from "../../src/store/db.ts";
import { depth } from "../../src/store/outbox.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { rawHttpParser } from "../../src/parse/raw-http.ts";
import type { HttpRequest } from "../../src/core/http-request.ts";
import type { Verdict } from "../../src/detect/verdict.ts";
import { makeApiServices, type TestServices } from "../helpers/api.ts";
import { waitFor } from "../helpers/serve.ts";
import { tempDir } from "../helpers/tmp.ts";

const benign: Verdict = { score: 0.02, isAnomaly: false, threshold: 0.9, attackType: null, severity: "none", reasons: [], modelVersion: "m" };
const sqli: Verdict = { score: 0.99, isAnomaly: true, threshold: 0.9, attackType: "sqli", severity: "critical", reasons: [], modelVersion: "m" };
const log = createLogger({ level: "error", format: "json" });

function request(path: string, clientIp = "198.51.100.4"): HttpRequest {
  const r = rawHttpParser.parse(`GET ${path} HTTP/1.1\nHost: shop.example\n\n`, { source: "tail:/var/log/nginx/access.log", line: 1 }) as HttpRequest;
  return { ...r, time: Date.now(), clientIp };
}

type App = ReturnType<typeof createApi>;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startHub(): Promise<{ s: TestServices; app: App; url: string; agentKey: string }> {
  const dir = tempDir("moat-hub-");
  const s = await makeApiServices({ MOAT_BAN_ENABLED: "true", MOAT_BAN_THRESHOLD: "3", MOAT_BAN_FILE: join(dir, "deny.conf"), MOAT_BAN_TEST_COMMAND: "" }, dir);
  const app = createApi(s);
  app.listen({ hostname: "127.0.0.1", port: 0 });
  cleanups.push(async () => {
    await app.stop();
    await s.denyList?.idle();
    s.ctx.store.close();
  });
  return { s, app, url: `http://127.0.0.1:${app.server!.port}`, agentKey: createKey(s.ctx.store, "web-1", { scope: "agent" }).key };
}

/** An agent's store, writer (with its outbox), deny list and shipper, pointed at `url`. */
function startAgent(url: string, key: string, options: { fetch?: typeof fetch; maxRequests?: number } = {}) {
  const dir = tempDir("moat-agent-");
  const config = loadConfig({ env: { MOAT_STORAGE_DATA_DIR: dir, MOAT_HUB_URL: url, MOAT_HUB_KEY: key, MOAT_BAN_ENABLED: "true", MOAT_BAN_TEST_COMMAND: "", MOAT_HUB_OUTBOX_MAX_REQUESTS: String(options.maxRequests ?? 100_000) } }).config;
  const store: Store = openStore(join(dir, "moat.db"));
  const bus = new Bus();
  const activities = new Activities(store, bus);
  const ctx = { config, store, bus, activities, log, now: () => Date.now(), monotonic: () => performance.now() };
  const denyList = new DenyList(ctx);
  const writer = new StoreWriter(store, outboxWriterOptions(config, log, activities, ctx.now));
  const shipper = new Shipper({ store, url, key, heartbeatMs: 100, log, activities, sources: () => ({ logs: ["/var/log/nginx/access.log"], mirror: false }), adoptBans: (bans) => void denyList.adopt(bans), now: ctx.now, ...(options.fetch ? { fetch: options.fetch } : {}) });
  cleanups.push(async () => {
    await shipper.close();
    await denyList.idle();
    store.close();
  });
  return { store, writer, shipper, denyList, config, activities: () => store.sqlite.query<{ type: string }, []>("select type from activities order by id").all().map((a) => a.type) };
}

const hubCount = (hub: Store, sql: string) => (hub.sqlite.query(sql).get() as { n: number }).n;

describe("agent routes", () => {
  test("only a live agent key may send; an agent key may call nothing else", async () => {
    const { s, url, agentKey } = await startHub();
    const admin = createKey(s.ctx.store, "ops").key;
    const check = createKey(s.ctx.store, "nginx", { scope: "check" }).key;
    const post = (key: string | null, path = "/api/agent/heartbeat") =>
      fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) }, body: JSON.stringify({ host: "h", version: "0", sources: { logs: [], mirror: false }, outbox: { batches: 0, requests: 0, dropped: 0, lagSeconds: 0 } }) });
    expect((await post(null)).status).toBe(401);
    expect((await post(admin)).status).toBe(403);
    expect((await post(check)).status).toBe(403);
    expect((await post(`${agentKey}x`)).status).toBe(401);
    expect((await post(agentKey)).status).toBe(200);
    const other = await fetch(`${url}/api/stats`, { headers: { authorization: `Bearer ${agentKey}` } });
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ success: false, message: expect.stringContaining("agent scope") });
    // The agent is listed, with what it said of itself.
    const agents = (await (await fetch(`${url}/api/agents`)).json()) as { data: unknown };
    expect(agents.data).toEqual([expect.objectContaining({ name: "web-1", host: "h", version: "0", outboxRequests: 0, lastBatchAt: null })]);
  });

  test("a malformed batch is a 400 that names the field, and stores nothing", async () => {
    const { s, url, agentKey } = await startHub();
    const response = await fetch(`${url}/api/agent/batches`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${agentKey}` }, body: JSON.stringify({ entries: [{ seq: 1, now: 0, requests: [{ path: 1 }], verdicts: [], blocked: [], rejected: 0 }] }) });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/^invalid entries/);
    expect(hubCount(s.ctx.store, "select count(*) as n from agent_batches")).toBe(0);
  });
});

describe("the shipper", () => {
  test("drains the outbox in order; each batch is stored once even when an answer is lost and it is sent again", async () => {
    const { s, url, agentKey } = await startHub();
    let lost = 0;
    // The first answer never reaches the agent: the hub stored the batch, the agent must send it again.
    const losingFetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const response = await fetch(input, init);
      if (String(input).endsWith("/batches") && lost++ === 0) throw new Error("connection reset");
      return response;
    }) as typeof fetch;
    const agent = startAgent(url, agentKey, { fetch: losingFetch });
    for (let b = 0; b < 5; b++) agent.writer.write({ requests: Array.from({ length: 20 }, (_, i) => request(`/b${b}/${i}`)), verdicts: Array.from({ length: 20 }, () => benign), now: Date.now() });
    agent.shipper.start();
    await waitFor("the outbox to drain", () => depth(agent.store).batches === 0, 20_000);
    expect(hubCount(s.ctx.store, "select count(*) as n from traffic where agent = 'web-1'")).toBe(100);
    expect(hubCount(s.ctx.store, "select count(distinct path) as n from traffic")).toBe(100);
    expect(hubCount(s.ctx.store, "select count(*) as n from agent_batches")).toBe(5);
    expect(lost).toBeGreaterThan(1);
  });

  test("a hub that is away: batches wait (reported once), then drain when it is back", async () => {
    const hub = await startHub();
    const port = hub.app.server!.port;
    await hub.app.stop();
    const agent = startAgent(hub.url, hub.agentKey);
    agent.shipper.start();
    agent.writer.write({ requests: [request("/while-away")], verdicts: [benign], now: Date.now() });
    await waitFor("the hub reported unreachable", () => agent.activities().includes("hub.unreachable"), 10_000);
    expect(depth(agent.store)).toMatchObject({ batches: 1, requests: 1 });
    hub.app.listen({ hostname: "127.0.0.1", port });
    await waitFor("the outbox to drain", () => depth(agent.store).batches === 0, 40_000);
    expect(agent.activities().filter((t) => t.startsWith("hub."))).toEqual(["hub.unreachable", "hub.reached"]);
    expect(hubCount(hub.s.ctx.store, "select count(*) as n from traffic where path = '/while-away'")).toBe(1);
  }, 60_000);

  test("batches the hub refuses for good are dropped and counted, and the ones after them still go", async () => {
    const { s, url, agentKey } = await startHub();
    let refused = 0;
    const refusingFetch = (async (input: string | URL | Request, init?: RequestInit) => {
      if (String(input).endsWith("/batches") && refused++ === 0) return new Response(JSON.stringify({ success: false, data: null, message: "invalid entries" }), { status: 400 });
      return fetch(input, init);
    }) as typeof fetch;
    const agent = startAgent(url, agentKey, { fetch: refusingFetch });
    agent.writer.write({ requests: [request("/refused")], verdicts: [benign], now: Date.now() });
    agent.shipper.start();
    await waitFor("the refused batch dropped", () => depth(agent.store).dropped === 1, 10_000);
    agent.writer.write({ requests: [request("/after")], verdicts: [benign], now: Date.now() });
    await waitFor("the next batch stored", () => hubCount(s.ctx.store, "select count(*) as n from traffic where path = '/after'") === 1, 10_000);
    expect(hubCount(s.ctx.store, "select count(*) as n from traffic where path = '/refused'")).toBe(0);
  });

  test("an attacker the hub bans from one agent's threats reaches the agent's deny list, and leaves it when the hub lifts the ban", async () => {
    const { s, url, agentKey } = await startHub();
    const agent = startAgent(url, agentKey);
    agent.shipper.start();
    const attacker = "203.0.113.66";
    agent.writer.write({ requests: [1, 2, 3].map((i) => request(`/item?id=${i}'--`, attacker)), verdicts: [sqli, sqli, sqli], now: Date.now() });
    await waitFor("the hub to ban the attacker", () => s.denyList!.get(attacker) !== null, 10_000);
    await waitFor("the agent to adopt the ban", () => agent.denyList.get(attacker)?.source === "hub", 10_000);
    await agent.denyList.sync();
    expect(readFileSync(agent.config.ban.file, "utf8")).toContain(`deny ${attacker};`);
    // A ban the agent made itself is never touched by the hub's list.
    agent.denyList.ban("198.51.100.99", { source: "manual", reason: "by hand", durationMs: null });
    s.denyList!.unban(attacker);
    await waitFor("the agent to lift it", () => agent.denyList.get(attacker) === null, 10_000);
    expect(agent.denyList.get("198.51.100.99")?.source).toBe("manual");
  });
});
