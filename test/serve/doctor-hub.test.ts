/** `moat doctor` on an agent: the key, the hub's answer to it, and what the outbox holds or lost. */
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createApi } from "../../src/api/app.ts";
import { createKey } from "../../src/api/auth/keys.ts";
import { loadConfig } from "../../src/config/load.ts";
import { checkHub } from "../../src/serve/doctor-hub.ts";
import { openStore } from "../../src/store/db.ts";
import { countDropped, enqueue } from "../../src/store/outbox.ts";
import { freePort } from "../helpers/nginx.ts";
import { makeApiServices } from "../helpers/api.ts";
import { tempDir } from "../helpers/tmp.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function hub() {
  const s = await makeApiServices();
  s.acceptsAgents = true;
  const app = createApi(s);
  app.listen({ hostname: "127.0.0.1", port: 0 });
  cleanups.push(async () => {
    await app.stop();
    s.ctx.store.close();
  });
  return { url: `http://127.0.0.1:${app.server!.port}`, agent: createKey(s.ctx.store, "web-1", { scope: "agent" }).key, admin: createKey(s.ctx.store, "ops").key };
}

const agentConfig = (url: string, key: string, dir = tempDir("moat-doctor-agent-")) => loadConfig({ env: { MOAT_STORAGE_DATA_DIR: dir, MOAT_HUB_URL: url, MOAT_HUB_KEY: key } }).config;

describe("moat doctor on an agent", () => {
  test("a Moat of its own has no hub check", async () => {
    expect(await checkHub(loadConfig({ env: { MOAT_STORAGE_DATA_DIR: tempDir() } }).config)).toEqual([]);
  });

  test("no key, a hub that does not answer, a key it refuses, a key of another scope, and the right key", async () => {
    const { url, agent, admin } = await hub();
    expect(await checkHub(agentConfig(url, ""))).toEqual([{ check: "hub", status: "fail", message: expect.stringContaining("hub.key is empty") }]);
    expect(await checkHub(agentConfig(`http://127.0.0.1:${await freePort()}`, agent))).toEqual([{ check: "hub", status: "fail", message: expect.stringContaining("cannot reach the hub") }]);
    expect(await checkHub(agentConfig(url, `${agent}x`))).toEqual([{ check: "hub", status: "fail", message: expect.stringContaining("refuses hub.key") }]);
    expect(await checkHub(agentConfig(url, admin))).toEqual([{ check: "hub", status: "fail", message: expect.stringContaining("its scope must be agent") }]);
    expect(await checkHub(agentConfig(url, agent))).toEqual([{ check: "hub", status: "ok", message: `${url} answers and takes this agent's key` }]);
  });

  test("the outbox: what waits, and what never reached the hub", async () => {
    const { url, agent } = await hub();
    const dir = tempDir("moat-doctor-agent-");
    const config = agentConfig(url, agent, dir);
    const store = openStore(config.storage.db);
    enqueue(store, "run-aaaaaaaa", [{ requests: 7, payload: "{}" }], 7, Date.UTC(2026, 11, 5));
    store.close();
    expect((await checkHub(config))[1]).toEqual({ check: "outbox", status: "ok", message: "7 request(s) waiting for the hub, the oldest since 2026-12-05T00:00:00.000Z" });
    const again = openStore(join(dir, "moat.db"));
    countDropped(again, 3);
    again.close();
    expect((await checkHub(config))[1]).toEqual({ check: "outbox", status: "warn", message: expect.stringMatching(/^3 request\(s\) never reached the hub .*; 7 waiting/) });
  });
});
