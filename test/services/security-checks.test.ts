import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { complianceScore, listSecurityChecks, runSecurityChecks, checkById } from "../../src/services/security/checks.ts";
import { Detector } from "../../src/detect/detector.ts";
import { openStore } from "../../src/store/db.ts";
import { loadConfig } from "../../src/config/load.ts";
import { tempDir } from "../helpers/tmp.ts";

describe("security checks", () => {
  test("posture checks say what is wrong, results are stored, the score follows them", async () => {
    const dir = tempDir();
    const log = join(dir, "access.log");
    writeFileSync(log, "");
    writeFileSync(join(dir, "nginx.conf"), "events {}\nhttp { server_tokens off; server { listen 8080; location / { return 200; } } }\n");
    const config = loadConfig({ env: { MOAT_STORAGE_DATA_DIR: dir, MOAT_SERVER_HOST: "0.0.0.0", MOAT_INGEST_LOGS: `${log},${join(dir, "missing.log")}`, MOAT_SECURITY_NGINX_CONF: join(dir, "nginx.conf") } }).config;
    const store = openStore(config.storage.db);
    const ctx = { config, store, detector: await Detector.load(), now: () => Date.now() };
    const rows = await runSecurityChecks(ctx);
    const byKey = Object.fromEntries(rows.map((r) => [r.key, r]));
    expect(byKey["log-source"]).toMatchObject({ status: "warning" });
    expect(byKey["log-source"]!.message).toContain("missing.log does not exist");
    expect(byKey["model-fresh"]).toMatchObject({ status: "warning" });
    expect(byKey["model-fresh"]!.message).toContain("running on the generic model alone");
    // Beyond loopback the API's guard requires a key (server.require_api_key = auto).
    expect(byKey["api-protected"]).toMatchObject({ status: "pass" });
    expect(byKey["api-protected"]!.message).toContain("listens on 0.0.0.0 and requires an API key");
    expect(byKey["retention"]).toMatchObject({ status: "pass" });
    expect(byKey["db-size"]).toMatchObject({ status: "pass" });
    expect(byKey["nginx-server-tokens"]).toMatchObject({ status: "pass" });
    expect(Object.keys(byKey).filter((k) => k.startsWith("nginx-"))).toEqual(["nginx-server-tokens", "nginx-tls-protocols", "nginx-tls-ciphers", "nginx-security-headers", "nginx-add-header-inheritance", "nginx-alias-traversal", "nginx-client-max-body-size"]);

    const stored = listSecurityChecks(ctx);
    expect(stored.map((r) => r.key)).toEqual(rows.map((r) => r.key));
    const score = complianceScore(stored);
    expect(score.total).toBe(stored.length);
    expect(score.passed + score.failed).toBeLessThanOrEqual(score.total);
    expect(score.score).toBeCloseTo((score.passed / score.total) * 100, 0);
    const sample = (status: "pass" | "warning" | "fail") => ({ ...stored[0]!, status });
    expect(complianceScore([sample("pass"), sample("pass"), sample("warning"), sample("fail"), sample("fail"), sample("pass")])).toEqual({ score: 50, total: 6, passed: 3, failed: 2 });
    expect(complianceScore([sample("pass"), sample("warning"), sample("fail")])).toEqual({ score: 33.3, total: 3, passed: 1, failed: 1 });
    expect(complianceScore([])).toEqual({ score: 0, total: 0, passed: 0, failed: 0 });

    // Running one check again updates its row in place.
    const [again] = await runSecurityChecks({ ...ctx, now: () => Date.now() + 5000 }, "api-protected");
    expect(again!.lastChecked).toBeGreaterThan(byKey["api-protected"]!.lastChecked);
    expect(again!.id).toBe(byKey["api-protected"]!.id);
    expect(checkById(ctx, again!.id)!.lastChecked).toBe(again!.lastChecked);
    expect(listSecurityChecks(ctx)).toHaveLength(stored.length);
    // Every check can be run alone, the nginx audit's included: each key gives back its own row only.
    for (const row of stored) expect((await runSecurityChecks(ctx, row.key)).map((r) => [r.id, r.key])).toEqual([[row.id, row.key]]);
    expect(await runSecurityChecks(ctx, "no-such-check")).toEqual([]);
    store.close();
  });

  test("the nginx audit and the deny-list check read one configuration; one nginx would reject is not audited", async () => {
    const dir = tempDir();
    const conf = join(dir, "nginx.conf");
    const denyFile = join(dir, "deny.conf");
    writeFileSync(denyFile, "");
    const config = loadConfig({ env: { MOAT_STORAGE_DATA_DIR: dir, MOAT_SECURITY_NGINX_CONF: conf, MOAT_BAN_ENABLED: "true", MOAT_BAN_FILE: denyFile } }).config;
    const store = openStore(config.storage.db);
    const ctx = { config, store, detector: await Detector.load(), now: () => Date.now() };
    const nginxAndDenyList = async () => (await runSecurityChecks(ctx)).filter((r) => r.key.startsWith("nginx-") || r.key === "deny-list").map((r) => [r.key, r.status, r.message]);

    writeFileSync(conf, `events {}\nhttp { server_tokens off; server { listen 8080; include ${denyFile}; location / { return 200; } } }\n`);
    const included = await nginxAndDenyList();
    expect(included.map(([key]) => key)).toEqual(["nginx-server-tokens", "nginx-tls-protocols", "nginx-tls-ciphers", "nginx-security-headers", "nginx-add-header-inheritance", "nginx-alias-traversal", "nginx-client-max-body-size", "deny-list"]);
    expect(included.at(-1)).toEqual(["deny-list", "pass", `0 active ban(s) in ${denyFile}, included by ${conf}`]);

    writeFileSync(conf, "events {}\nhttp { server { listen 8080; location / { return 200; } } }\n");
    expect((await nginxAndDenyList()).at(-1)).toEqual(["deny-list", "warning", `${conf} does not include ${denyFile}: add "include ${denyFile};" to the server block, or the bans have no effect`]);

    // The parse error is the audit's one result; the deny-list check leaves it to the audit.
    writeFileSync(conf, "http {\n");
    const rejected = await nginxAndDenyList();
    expect(rejected[0]).toEqual(["nginx-config", "fail", `${conf}:1: "http" block is never closed (missing "}")`]);
    expect(rejected.map(([key]) => key)).toEqual(["nginx-config", "deny-list"]);
    store.close();
  });
});
