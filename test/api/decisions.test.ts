/** GET|POST /api/decisions, DELETE /api/decisions/:ip: the Bans page's API, over the same deny list as moat serve. */
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { createApi } from "../../src/api/app.ts";
import type { DecisionT } from "../../src/api/console-contract.ts";
import { apiData, apiFailure, makeApiServices, type TestServices } from "../helpers/api.ts";

let open: TestServices[] = [];
afterEach(async () => {
  for (const s of open) {
    await s.denyList?.idle();
    s.ctx.store.close();
  }
  open = [];
});

async function setup(env: Record<string, string> = {}) {
  const s = await makeApiServices({ MOAT_BAN_ENABLED: "true", MOAT_BAN_TEST_COMMAND: "", ...env });
  open.push(s);
  return { s, app: createApi(s) };
}

describe("/api/decisions", () => {
  test("ban by hand, list, lift: the deny file follows each change", async () => {
    const { s, app } = await setup();
    const added = await apiData<DecisionT>(app, "POST", "/api/decisions", { ip: "203.0.113.7", duration: "1h", reason: "scanner" });
    expect(added).toMatchObject({ ip: "203.0.113.7", source: "manual", simulated: false });
    expect(Date.parse(added.expiresAt!) - Date.now()).toBeGreaterThan(3_500_000);
    expect(readFileSync(s.ctx.config.ban.file, "utf8")).toContain("deny 203.0.113.7;");
    expect((await apiData<DecisionT[]>(app, "GET", "/api/decisions")).map((d) => d.ip)).toEqual(["203.0.113.7"]);
    expect(await apiData(app, "DELETE", "/api/decisions/203.0.113.7")).toMatchObject({ ip: "203.0.113.7" });
    expect(readFileSync(s.ctx.config.ban.file, "utf8")).not.toContain("203.0.113.7");
    expect(await apiData(app, "GET", "/api/decisions")).toEqual([]);
    // A prefix ban is lifted by its prefix, its slash encoded.
    s.ctx.store.sqlite!.query("insert into bans (ip, reason, source, created_at, expires_at, simulated) values ('203.0.113.0/24', 'campaign', 'auto', ?, null, 0)").run(Date.now());
    expect(await apiData(app, "DELETE", "/api/decisions/203.0.113.0%2F24")).toMatchObject({ ip: "203.0.113.0/24" });
  });

  test("what may not be banned is a 400 saying why; lifting what is not banned a 404; with ban.enabled off a 409", async () => {
    const { app } = await setup();
    expect(await apiFailure(app, "POST", "/api/decisions", { ip: "1.2.3.4; include /etc/passwd" })).toMatchObject({ status: 400, message: expect.stringContaining("is not an IP address") });
    expect(await apiFailure(app, "POST", "/api/decisions", { ip: "127.0.0.1" })).toMatchObject({ status: 400, message: expect.stringContaining("ban.never_ban") });
    expect(await apiFailure(app, "POST", "/api/decisions", { ip: "192.0.2.1", duration: "soon" })).toMatchObject({ status: 400 });
    expect(await apiFailure(app, "DELETE", "/api/decisions/192.0.2.9")).toMatchObject({ status: 404 });
    expect(await apiFailure(app, "DELETE", "/api/decisions/%")).toMatchObject({ status: 400 });
    const off = await setup({ MOAT_BAN_ENABLED: "false" });
    expect(await apiData(off.app, "GET", "/api/decisions")).toEqual([]);
    expect(await apiFailure(off.app, "POST", "/api/decisions", { ip: "192.0.2.1" })).toMatchObject({ status: 409, message: expect.stringContaining("ban.enabled") });
  });

  test("/metrics counts the active decisions, enforced and simulated", async () => {
    const { s, app } = await setup();
    s.denyList!.ban("203.0.113.7", { source: "manual", reason: "x", durationMs: null });
    s.ctx.store.sqlite!.query("insert into bans (ip, reason, source, created_at, expires_at, simulated) values ('198.51.100.9', 'y', 'auto', ?, null, 1)").run(Date.now());
    const text = await (await app.handle(new Request("http://127.0.0.1/metrics"))).text();
    expect(text).toContain('moat_bans_active{simulated="false"} 1');
    expect(text).toContain('moat_bans_active{simulated="true"} 1');
  });
});
