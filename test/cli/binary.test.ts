/** The single executable works from another directory, with no Bun and no node_modules in reach. */
import { beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { ROOT } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { freePort } from "../helpers/nginx.ts";
import { waitFor } from "../helpers/serve.ts";
import { postgres, PG_SKIP } from "../helpers/postgres.ts";

const dir = tempDir("moat-bin-");
const bin = join(dir, "moat");

function run(args: string[]) {
  const r = Bun.spawnSync([bin, ...args], { cwd: dir, env: { PATH: join(dir, "empty-path"), HOME: dir }, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe("compiled dist/moat", () => {
  beforeAll(() => {
    const build = Bun.spawnSync([process.execPath, "run", "build"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    if (!build.success) throw new Error(`bun run build failed:\n${build.stderr.toString()}`);
    copyFileSync(join(ROOT, "dist", "moat"), bin);
  });

  test("--version names the version, the commit and the embedded model", () => {
    const r = run(["--version"]);
    expect(r.code).toBe(0);
    const [first, generic, site] = r.stdout.trim().split("\n");
    expect(first).toMatch(/^moat \d+\.\d+\.\d+ \(commit [0-9a-f]{7,}\)$/);
    expect(generic).toMatch(/^generic model\s+generic-\S+ \(shipped\)$/);
    expect(site).toBe(`site model     none in ${join(dir, ".local", "share", "moat", "model")} (the generic model judges alone)`);
  });

  test("scan reads a gzip log from its own directory", () => {
    const line = '192.0.2.1 - - [24/Nov/2026:11:54:54 +0000] "GET /x?a=1 HTTP/1.1" 200 3 "-" "ua"';
    writeFileSync(join(dir, "access.log.gz"), gzipSync(`${line}\n${line}\n`));
    const r = run(["scan", "access.log.gz", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ requests: 2, rejected: 0, topPaths: [["/x", 2]], detection: { flagged: 0 } });
  });

  test("the embedded migrations create a database", () => {
    const r = run(["db", "stats", "--json", "--db", join(dir, "moat.db"), "--config", "/dev/null"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ requests: 0, threats: 0, alerts: 0, activities: 0 });
  });

  test("db check runs SQLite's check on its worker thread, embedded as a second entry point", () => {
    const r = run(["db", "check", "--db", join(dir, "moat.db"), "--config", "/dev/null"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toStartWith(`ok: integrity_check found no problem in ${join(dir, "moat.db")}`);
  });

  (PG_SKIP ? test.skip : test)("a postgres:// database: its connection's worker thread is embedded too, and PostgreSQL's migrations", async () => {
    const url = await (await postgres()).database();
    const r = run(["db", "stats", "--json", "--db", url, "--config", "/dev/null"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(JSON.parse(r.stdout)).toMatchObject({ requests: 0, threats: 0, db: url });
  });

  test("the offline training code stays out: no faker in the binary, and train --generic points to a source checkout", () => {
    // package.json (read for the version) names faker among the devDependencies; the library itself is absent.
    expect(readFileSync(bin).includes("fakerjs.dev")).toBe(false);
    const r = run(["train", "--generic", "--data", dir, "--out", join(dir, "generic")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("moat train --generic runs from a source checkout");
  });

  test("check runs the embedded model through the embedded onnxruntime library", () => {
    const r = run(["check", "--json", "GET /search?q=%3Cscript%3Ealert(1)%3C/script%3E"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).verdict).toMatchObject({ isAnomaly: true, attackType: "xss" });
  });

  test("serve answers /health, /check, its embedded docs and dashboard, and takes a mirrored copy on its listener's thread, with nothing unexpected on stderr", async () => {
    const port = await freePort();
    const mirrorPort = await freePort();
    const proc = Bun.spawn([bin, "serve", "--port", String(port), "-c", "/dev/null", "--db", join(dir, "serve.db")], { cwd: dir, env: { PATH: join(dir, "empty-path"), HOME: dir, MOAT_MIRROR_PORT: String(mirrorPort), MOAT_MIRROR_JOIN_WAIT_MS: "0" }, stdout: "ignore", stderr: "pipe" });
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitFor("the binary's serve to answer /health", () => fetch(`${base}/health`).then((r) => r.ok, () => false), 20_000);
      const check = await fetch(`${base}/check`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ method: "GET", path: "/search", query_params: { q: "<script>alert(1)</script>" } }) });
      expect(await check.json()).toMatchObject({ is_anomaly: true, attack_type: "xss" });
      expect((await fetch(`${base}/docs/swagger-ui-bundle.js`)).status).toBe(200);
      expect(((await (await fetch(`${base}/openapi.json`)).json()) as { paths: object }).paths).toHaveProperty(["/api/metrics/realtime"]);
      // The dashboard: its page (with its Content-Security-Policy) and its bundled script, embedded in the binary.
      const page = await fetch(`${base}/`);
      expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
      const script = /<script[^>]* src="([^"]+\.js)"/.exec(await page.text())?.[1];
      const js = await fetch(new URL(script ?? "/missing.js", base));
      expect({ status: js.status, type: js.headers.get("content-type") }).toEqual({ status: 200, type: "text/javascript;charset=utf-8" });
      expect(await js.text()).toContain("Minified React error"); // React's production build
      // The mirror's listener and judging threads, embedded as entry points of their own.
      const copy = await fetch(`http://127.0.0.1:${mirrorPort}/mirror`, { method: "POST", headers: { "x-original-method": "POST", "x-original-uri": "/login", "content-type": "application/x-www-form-urlencoded" }, body: "user=admin' OR '1'='1' --" });
      expect(copy.status).toBe(204);
      await waitFor("the copy judged and stored", async () => ((await (await fetch(`${base}/api/waf/stats`)).json()) as { data: { anomalies_detected: number } }).data.anomalies_detected === 2, 10_000);
    } finally {
      proc.kill("SIGTERM");
      await proc.exited;
    }
    const stderr = await new Response(proc.stderr).text();
    const unexpected = stderr.split("\n").filter((l) => l.trim() && !l.startsWith("time="));
    expect(unexpected).toEqual([]);
    expect(stderr).not.toContain("level=error");
  });
});
