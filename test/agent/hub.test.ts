/**
 * An agent and its hub in one process, over real HTTP: the agent routes' keys and limits, the shipper
 * draining the outbox exactly once and in order (a lost answer, a hub away, a batch the hub refuses,
 * answers that are not the hub's), and what the hub's heartbeat answer changes on the agent: its deny
 * list, its settings, its site model.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { existsSync, readFileSync } from "node:fs";
import { createApi } from "../../src/api/app.ts";
import { createKey, revokeKey } from "../../src/api/auth/keys.ts";
import { Shipper } from "../../src/agent/shipper.ts";
import { outboxWriterOptions, startShipper } from "../../src/agent/agent.ts";
import { loadConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/core/log.ts";
import { Bus } from "../../src/pipeline/bus.ts";
import { Activities } from "../../src/services/activities.ts";
import { DenyList } from "../../src/services/deny-list/service.ts";
import { WafSettings } from "../../src/services/waf-settings.ts";
import { Detector } from "../../src/detect/detector.ts";
import { promote } from "../../src/detect/site/model-dir.ts";
import { trainSiteModel } from "../../src/training/site/train.ts";
import { createCombinedParser } from "../../src/parse/variants.ts";
import { isParseError, type HttpRequest } from "../../src/core/http-request.ts";
import { openStore, type Store } from "../../src/store/db.ts";
import { depth } from "../../src/store/outbox.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { rawHttpParser } from "../../src/parse/raw-http.ts";
import type { Verdict } from "../../src/detect/verdict.ts";
import { makeApiServices, type TestServices } from "../helpers/api.ts";
import { shopLogLines } from "../helpers/site-traffic.ts";
import { siteModelDir, siteOfAgent, siteTraffic } from "../../src/services/site-models.ts";
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

async function startHub(env: Record<string, string> = {}): Promise<{ s: TestServices; app: App; url: string; agentKey: string }> {
  const dir = tempDir("moat-hub-");
  const s = await makeApiServices({ MOAT_BAN_ENABLED: "true", MOAT_BAN_THRESHOLD: "3", MOAT_BAN_FILE: join(dir, "deny.conf"), MOAT_BAN_TEST_COMMAND: "", ...env }, dir);
  s.acceptsAgents = true;
  const app = createApi(s);
  app.listen({ hostname: "127.0.0.1", port: 0 });
  cleanups.push(async () => {
    await app.stop();
    await s.denyList?.idle();
    s.ctx.store.close();
  });
  return { s, app, url: `http://127.0.0.1:${app.server!.port}`, agentKey: createKey(s.ctx.store, "web-1", { scope: "agent" }).key };
}

/** An agent's store, writer (with its outbox) and deny list, pointed at `url`; its shipper is the test's to make. */
function agentParts(url: string, key: string, env: Record<string, string> = {}, dir = tempDir("moat-agent-")) {
  const config = loadConfig({ env: { MOAT_STORAGE_DATA_DIR: dir, MOAT_HUB_URL: url, MOAT_HUB_KEY: key, MOAT_BAN_ENABLED: "true", MOAT_BAN_TEST_COMMAND: "", ...env } }).config;
  const store: Store = openStore(join(dir, "moat.db"));
  const bus = new Bus();
  const activities = new Activities(store, bus);
  const ctx = { config, store, bus, activities, log, now: () => Date.now(), monotonic: () => performance.now() };
  const denyList = new DenyList(ctx);
  const writerOf = (instance: string) => new StoreWriter(store, outboxWriterOptions(config, log, activities, instance));
  let writer = writerOf("run-aaaaaaaa");
  cleanups.push(async () => {
    await denyList.idle();
    store.close();
  });
  const write = (paths: string[], verdict = benign, clientIp?: string) => writer.write({ requests: paths.map((p) => request(p, clientIp)), verdicts: paths.map(() => verdict), now: Date.now() });
  /** A new run of this agent (a restart): what it writes next carries another instance. */
  const restart = (instance: string) => (writer = writerOf(instance));
  return { dir, store, write, restart, denyList, config, ctx, activities: () => store.sqlite!.query<{ type: string }, []>("select type from activities order by id").all().map((a) => a.type) };
}

/** A shipper of `parts` (the transport alone: the hub's answer only adopts bans). */
function ship(parts: ReturnType<typeof agentParts>, options: { fetch?: typeof fetch } = {}): Shipper {
  const shipper = new Shipper({ store: parts.store, url: parts.config.hub.url, key: parts.config.hub.key, heartbeatMs: 100, log, activities: parts.ctx.activities, sources: () => ({ logs: ["/var/log/nginx/access.log"], mirror: false }), site: parts.config.hub.site, onHubState: async (state) => void parts.denyList.adopt(state.bans), now: Date.now, ...options });
  cleanups.push(() => shipper.close());
  shipper.start();
  return shipper;
}

const hubPaths = (hub: Store, agent = "web-1") => hub.sqlite!.query<{ path: string }, [string]>("select path from traffic where agent = ? order by id").all(agent).map((r) => r.path);

describe("agent routes", () => {
  test("only a live agent key may call them, checked before the body is read; an agent key may call nothing else", async () => {
    const { s, url, agentKey } = await startHub();
    const admin = createKey(s.ctx.store, "ops").key;
    const check = createKey(s.ctx.store, "nginx", { scope: "check" }).key;
    const post = (key: string | null, body = JSON.stringify({ host: "h", version: "0", sources: { logs: [], mirror: false }, outbox: { batches: 0, requests: 0, dropped: 0, lagSeconds: 0 } })) =>
      fetch(`${url}/api/agent/heartbeat`, { method: "POST", headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) }, body });
    expect((await post(null)).status).toBe(401);
    expect((await post(admin)).status).toBe(403);
    expect((await post(admin, "not json at all")).status).toBe(403); // refused before the body is parsed
    expect((await post(check)).status).toBe(403);
    expect((await post(`${agentKey}x`)).status).toBe(401);
    const revoked = createKey(s.ctx.store, "web-9", { scope: "agent" });
    revokeKey(s.ctx.store, revoked.id);
    expect((await post(revoked.key)).status).toBe(401);
    const answer = await post(agentKey);
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { data: unknown }).data).toEqual({ bans: [], settings: { mode: "detect", threshold: 0 }, siteModel: null });
    const other = await fetch(`${url}/api/stats`, { headers: { authorization: `Bearer ${agentKey}` } });
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ success: false, message: expect.stringContaining("agent scope") });
    const agents = (await (await fetch(`${url}/api/agents`)).json()) as { data: unknown };
    expect(agents.data).toEqual([expect.objectContaining({ name: "web-1", host: "h", version: "0", reporting: true, outboxRequests: 0, lastBatchAt: null })]);
  });

  test("a Moat that is no hub has no agent routes, and keeps its body limit for every route", async () => {
    const s = await makeApiServices();
    cleanups.push(() => s.ctx.store.close());
    const key = createKey(s.ctx.store, "web-1", { scope: "agent" }).key;
    const app = createApi(s);
    const big = "x".repeat(1_200_000);
    expect((await app.handle(new Request("http://127.0.0.1/api/agent/heartbeat", { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: "{}" }))).status).toBe(404);
    expect((await app.handle(new Request("http://127.0.0.1/api/agent/batches", { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "content-length": String(big.length) }, body: big }))).status).toBe(413);
    expect(((await (await app.handle(new Request("http://127.0.0.1/api/agents"))).json()) as { data: unknown }).data).toEqual([]);
  });

  test("on a hub, an agent's POST may be larger than server.max_body_bytes; other routes keep the limit", async () => {
    const { url, agentKey } = await startHub({ MOAT_SERVER_MAX_BODY_BYTES: "65536" });
    const big = `{"entries":[],"pad":"${"x".repeat(500_000)}"}`;
    const batches = await fetch(`${url}/api/agent/batches`, { method: "POST", headers: { authorization: `Bearer ${agentKey}`, "content-type": "application/json" }, body: big });
    expect(batches.status).toBe(400); // read and found invalid (no entries), not refused for its size
    const check = await fetch(`${url}/api/waf/check`, { method: "POST", headers: { "content-type": "application/json" }, body: big });
    expect(check.status).toBe(413);
  });

  test("a malformed batch is a 400 that names the field, and stores nothing", async () => {
    const { s, url, agentKey } = await startHub();
    const response = await fetch(`${url}/api/agent/batches`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${agentKey}` }, body: JSON.stringify({ entries: [{ instance: "run-aaaaaaaa", seq: 1, now: 0, requests: [{ path: 1 }], verdicts: [], blocked: [], rejected: 0 }] }) });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/^invalid entries/);
    expect(s.ctx.store.sqlite!.query("select count(*) as n from agent_cursors").get()).toEqual({ n: 0 });
  });

  test("an agent's body that is no JSON, or nested too deep, is a 400 that says so, on every agent route", async () => {
    const { s, url, agentKey } = await startHub();
    const post = (route: string, body: string) => fetch(`${url}/api/agent/${route}`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${agentKey}` }, body });
    for (const route of ["batches", "heartbeat"]) {
      const broken = await post(route, '{"entries": [');
      expect([route, broken.status, ((await broken.json()) as { message: string }).message]).toEqual([route, 400, expect.stringContaining("could not be parsed")]);
      const deep = await post(route, `{"entries":${"[".repeat(100)}${"]".repeat(100)}}`);
      expect([route, deep.status, ((await deep.json()) as { message: string }).message]).toEqual([route, 400, expect.stringContaining("nested deeper than 64 levels")]);
    }
    expect(s.ctx.store.sqlite!.query("select count(*) as n from agent_cursors").get()).toEqual({ n: 0 });
  });

  test("an agent key cannot be named like the hub's own rows, or with characters an agent's name does not take", async () => {
    const { url } = await startHub();
    for (const name of ["local", "web 1", "a/b", "x".repeat(65)]) {
      const r = await fetch(`${url}/api/keys`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name, scope: "agent" }) });
      expect([name, r.status]).toEqual([name, 400]);
    }
    expect((await fetch(`${url}/api/keys`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "local", scope: "admin" }) })).status).toBe(200);
  });
});

describe("the shipper", () => {
  test("drains the outbox in order; each batch is stored once even when an answer is lost and it is sent again", async () => {
    const { s, url, agentKey } = await startHub();
    let lost = 0;
    // The first answer never reaches the agent: the hub stored the batches, the agent must send them again.
    const losingFetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const response = await fetch(input, init);
      if (String(input).endsWith("/batches") && lost++ === 0) throw new Error("connection reset");
      return response;
    }) as typeof fetch;
    const agent = agentParts(url, agentKey);
    const paths = Array.from({ length: 5 }, (_, b) => Array.from({ length: 20 }, (_, i) => `/b${b}/${i}`));
    for (const batch of paths) agent.write(batch);
    ship(agent, { fetch: losingFetch });
    await waitFor("the outbox to drain", () => depth(agent.store).batches === 0, 20_000);
    expect(hubPaths(s.ctx.store)).toEqual(paths.flat());
    expect(lost).toBeGreaterThan(1);
  });

  test("a hub that is away: batches wait (reported once), then drain when it is back", async () => {
    const hub = await startHub();
    const port = hub.app.server!.port;
    await hub.app.stop();
    const agent = agentParts(hub.url, hub.agentKey);
    ship(agent);
    agent.write(["/while-away"]);
    await waitFor("the hub reported unreachable", () => agent.activities().includes("hub.unreachable"), 10_000);
    expect(depth(agent.store)).toMatchObject({ batches: 1, requests: 1 });
    hub.app.listen({ hostname: "127.0.0.1", port });
    await waitFor("the outbox to drain", () => depth(agent.store).batches === 0, 40_000);
    expect(agent.activities().filter((t) => t.startsWith("hub."))).toEqual(["hub.unreachable", "hub.reached"]);
    expect(hubPaths(hub.s.ctx.store)).toEqual(["/while-away"]);
  }, 60_000);

  test("of a POST the hub refuses, only the batch it will never take is dropped and counted; the others are stored", async () => {
    const { s, url, agentKey } = await startHub();
    const agent = agentParts(url, agentKey);
    // The hub's own refusal (its envelope) of any POST that holds the poisoned batch.
    const poisoning = (async (input: string | URL | Request, init?: RequestInit) => {
      if (String(input).endsWith("/batches") && String(init?.body).includes("/poison")) return Response.json({ success: false, data: null, message: "invalid entries.0.requests", timestamp: "" }, { status: 400 });
      return fetch(input, init);
    }) as typeof fetch;
    agent.write(["/before"]);
    agent.write(["/poison"]);
    agent.write(["/after"]);
    ship(agent, { fetch: poisoning });
    await waitFor("the outbox to drain", () => depth(agent.store).batches === 0, 10_000);
    expect(hubPaths(s.ctx.store)).toEqual(["/before", "/after"]);
    expect(depth(agent.store).dropped).toBe(1);
    expect(agent.activities()).toContain("hub.refused");
  });

  test("a hub that refuses every batch (an older hub) costs one batch, not the outbox", async () => {
    const { s, url, agentKey } = await startHub();
    const agent = agentParts(url, agentKey);
    const refusing = (async (input: string | URL | Request, init?: RequestInit) => {
      if (String(input).endsWith("/batches")) return Response.json({ success: false, data: null, message: "invalid entries.0.verdicts", timestamp: "" }, { status: 400 });
      return fetch(input, init);
    }) as typeof fetch;
    for (const path of ["/a", "/b", "/c"]) agent.write([path]);
    ship(agent, { fetch: refusing });
    await waitFor("the systemic refusal reported", () => agent.activities().filter((t) => t === "hub.refused").length >= 2, 20_000);
    expect(depth(agent.store)).toMatchObject({ batches: 2, requests: 2, dropped: 1 });
    expect(hubPaths(s.ctx.store)).toEqual([]);
  }, 30_000);

  test("batches of an earlier run and of this one, sent in one POST after a restart, are each stored once", async () => {
    const { s, url, agentKey } = await startHub();
    const agent = agentParts(url, agentKey);
    agent.write(["/first-run"]);
    agent.restart("run-bbbbbbbb");
    agent.write(["/second-run"]);
    ship(agent);
    await waitFor("the outbox to drain", () => depth(agent.store).batches === 0, 10_000);
    expect(hubPaths(s.ctx.store)).toEqual(["/first-run", "/second-run"]);
    expect(s.ctx.store.sqlite!.query("select instance, seq from agent_cursors order by seq").all()).toEqual([{ instance: "run-aaaaaaaa", seq: 1 }, { instance: "run-bbbbbbbb", seq: 2 }]);
  });

  test("answers that are not the hub's (a proxy's error page, an empty 200) drop nothing and acknowledge nothing", async () => {
    const { s, url, agentKey } = await startHub();
    const agent = agentParts(url, agentKey);
    let answers = 0;
    const proxy = (async (input: string | URL | Request, init?: RequestInit) => {
      if (!String(input).endsWith("/batches") || answers > 1) return fetch(input, init);
      answers++;
      return answers % 2 ? new Response("<html>Bad Request</html>", { status: 400 }) : Response.json({});
    }) as typeof fetch;
    agent.write(["/kept"]);
    ship(agent, { fetch: proxy });
    await waitFor("the batch sent once the hub answers", () => depth(agent.store).batches === 0, 20_000);
    expect(answers).toBe(2);
    expect(hubPaths(s.ctx.store)).toEqual(["/kept"]);
    expect(depth(agent.store).dropped).toBe(0);
  }, 30_000);
});

describe("the hub's state on the agent", () => {
  /** An agent with the real follow-up of the hub's state (startShipper): bans, settings, site model. */
  async function followingAgent(url: string, key: string, env: Record<string, string> = {}) {
    const parts = agentParts(url, key, { MOAT_HUB_HEARTBEAT_SECONDS: "1", ...env });
    const detector = await Detector.load();
    const settings = new WafSettings({ ...parts.ctx, detector });
    const shipper = startShipper({ config: parts.config, store: parts.store, log, activities: parts.ctx.activities, detector, settings, denyList: parts.denyList, now: Date.now });
    cleanups.push(() => shipper.close());
    return { ...parts, settings, detector };
  }

  test("an attacker the hub bans from one agent's threats reaches the agent's deny file; the agent's own bans stand; the hub's lift reaches it", async () => {
    const { s, url, agentKey } = await startHub();
    const agent = await followingAgent(url, agentKey);
    const attacker = "203.0.113.66";
    agent.write(["/item?id=1'--", "/item?id=2'--", "/item?id=3'--"], sqli, attacker);
    await waitFor("the hub to ban the attacker", () => s.denyList!.get(attacker) !== null, 10_000);
    await waitFor("the agent to adopt the ban", () => agent.denyList.get(attacker)?.source === "hub", 10_000);
    await agent.denyList.sync();
    expect(readFileSync(agent.config.ban.file, "utf8")).toContain(`deny ${attacker};`);
    agent.denyList.ban("198.51.100.99", { source: "manual", reason: "by hand", durationMs: null });
    s.denyList!.unban(attacker);
    await waitFor("the agent to lift it", () => agent.denyList.get(attacker) === null, 10_000);
    expect(agent.denyList.get("198.51.100.99")?.source).toBe("manual");
  });

  test("a hub ban taken once is not taken again at later heartbeats, however the clock moves", () => {
    const agent = agentParts("http://127.0.0.1:9", "k");
    let now = Date.UTC(2026, 11, 5, 12);
    const denyList = new DenyList({ ...agent.ctx, now: () => now });
    const bans = [{ ip: "198.51.100.77", reason: "3 threats within 60 s", expiresAt: now + 3_600_000 }];
    expect(denyList.adopt(bans)).toBe(1);
    now += 1234;
    expect(denyList.adopt(bans)).toBe(0);
    expect(denyList.get("198.51.100.77")).toMatchObject({ source: "hub", expiresAt: bans[0]!.expiresAt });
    expect(agent.activities().filter((t) => t === "ban.added")).toHaveLength(1);
  });

  test("the agent's never_ban and ban.simulate hold against the hub's bans", async () => {
    const { s, url, agentKey } = await startHub();
    const agent = await followingAgent(url, agentKey, { MOAT_BAN_NEVER_BAN: "127.0.0.0/8,203.0.113.0/24", MOAT_BAN_SIMULATE: "true" });
    s.denyList!.ban("203.0.113.9", { source: "manual", reason: "by hand on the hub", durationMs: null });
    s.denyList!.ban("198.51.100.77", { source: "manual", reason: "by hand on the hub \u001b[31m", durationMs: 3_600_000 });
    await waitFor("the agent to take the hub's bans", () => agent.denyList.list().length > 0, 10_000);
    await Bun.sleep(300); // a few heartbeats more: a refused ban is not tried again, nor written
    const rows = agent.store.sqlite!.query("select ip, source, simulated, reason from bans").all();
    expect(rows).toEqual([{ ip: "198.51.100.77", source: "hub", simulated: 1, reason: "by hand on the hub \\x1b[31m" }]);
    await agent.denyList.sync();
    expect(existsSync(agent.config.ban.file) ? readFileSync(agent.config.ban.file, "utf8") : "").not.toContain("198.51.100.77");
  });

  test("the hub's mode and threshold, and its site model, reach the agent", async () => {
    const { s, url, agentKey } = await startHub();
    s.settings.update({ mode: "block", threshold: 0.97 });
    const requests = shopLogLines(1500, 5).map((l) => createCombinedParser().parse(l, { source: "shop" })).filter((r): r is HttpRequest => !isParseError(r));
    const model = await trainSiteModel(requests, s.ctx.detector.generic, { targetFpr: 0.01, seed: 5 });
    promote(s.ctx.config.detect.model_dir, model.bytes, model.meta.version);
    await s.ctx.detector.replaceSite(s.ctx.config.detect.model_dir);
    const agent = await followingAgent(url, agentKey);
    await waitFor("the agent to take the settings", () => agent.settings.mode === "block", 10_000);
    expect(agent.settings.thresholdSet).toBe(0.97);
    await waitFor("the hub's model in the agent's model directory", () => existsSync(join(agent.config.detect.model_dir, "site.onnx")), 20_000);
    expect(readFileSync(join(agent.config.detect.model_dir, "site.onnx"))).toEqual(Buffer.from(model.bytes));
  }, 60_000);

  test("an agent of a named site takes that site's model, an agent of no site the hub's own", async () => {
    const { s, url, agentKey } = await startHub();
    const blogKey = createKey(s.ctx.store, "blog-1", { scope: "agent" }).key;
    const parse = (lines: string[]) => lines.map((l) => createCombinedParser().parse(l, { source: "t" })).filter((r): r is HttpRequest => !isParseError(r));
    const shop = await trainSiteModel(parse(shopLogLines(1500, 5)), s.ctx.detector.generic, { targetFpr: 0.01, seed: 5 });
    const blog = await trainSiteModel(parse(shopLogLines(1500, 9)), s.ctx.detector.generic, { targetFpr: 0.01, seed: 9 });
    promote(s.ctx.config.detect.model_dir, shop.bytes, shop.meta.version);
    await s.ctx.detector.replaceSite(s.ctx.config.detect.model_dir);
    promote(siteModelDir(s.ctx.config.detect.model_dir, "blog"), blog.bytes, blog.meta.version);
    const shopAgent = await followingAgent(url, agentKey);
    const blogAgent = await followingAgent(url, blogKey, { MOAT_HUB_SITE: "blog" });
    const live = (a: { config: { detect: { model_dir: string } } }) => join(a.config.detect.model_dir, "site.onnx");
    await waitFor("both agents to take a model", () => existsSync(live(shopAgent)) && existsSync(live(blogAgent)), 20_000);
    expect(readFileSync(live(blogAgent))).toEqual(Buffer.from(blog.bytes));
    expect(readFileSync(live(shopAgent))).toEqual(Buffer.from(shop.bytes));
    expect(siteOfAgent(s.ctx.store, "blog-1")).toBe("blog");
    const listed = ((await (await fetch(`${url}/api/agents`)).json()) as { data: { name: string; site: string }[] }).data;
    expect(listed.map((a) => [a.name, a.site]).sort()).toEqual([["blog-1", "blog"], ["web-1", ""]]);
    expect(siteTraffic(s.ctx.store).named.get("blog")).toEqual({ agents: ["blog-1"] });
  }, 60_000);
});
