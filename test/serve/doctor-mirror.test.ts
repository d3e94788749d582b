/** `moat doctor` on the mirror path: the snippet, $request_id on both sides, copies arriving. */
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { checkMirror } from "../../src/serve/doctor-mirror.ts";
import { DEPLOY_NGINX_DIR, mirrorLogFormat } from "../helpers/nginx.ts";
import { tempDir } from "../helpers/tmp.ts";

function nginxConf(site: string): string {
  const dir = tempDir("moat-doctor-mirror-");
  writeFileSync(join(dir, "site.conf"), site);
  writeFileSync(join(dir, "nginx.conf"), "events {}\nhttp {\n  include site.conf;\n}\n");
  return join(dir, "nginx.conf");
}

const SNIPPET = readFileSync(join(DEPLOY_NGINX_DIR, "mirror.conf"), "utf8");
const config = (nginx: string, env: Record<string, string> = {}) =>
  loadConfig({ env: { MOAT_STORAGE_DATA_DIR: tempDir(), MOAT_SECURITY_NGINX_CONF: nginx, MOAT_INGEST_FORMAT: "nginx", MOAT_INGEST_LOG_FORMAT: mirrorLogFormat(), ...env } }).config;
const arriving = async () => ({ status: "ok", uptime: 9, mirror: { received: 12, dropped: 0, last_copy_at: Date.UTC(2026, 11, 4, 10, 0, 0) } });

describe("moat doctor: mirror", () => {
  test("the documented snippet, the snippet's log format, copies arriving: all ok", async () => {
    const findings = await checkMirror(config(nginxConf(SNIPPET)), arriving);
    expect(findings.map((f) => f.status)).toEqual(["ok", "ok", "ok"]);
    expect(findings[0]!.message).toContain("site.conf:");
    expect(findings[2]!.message).toBe("12 copies received since moat serve started, the last at 2026-12-04T10:00:00.000Z");
  });

  test("no mirror in nginx and no copy arriving: one warning, nothing failed (passive or auth_request set-ups)", async () => {
    const noMirror = nginxConf("server { listen 80; location / { return 200; } }");
    const findings = await checkMirror(config(noMirror, { MOAT_INGEST_FORMAT: "auto", MOAT_INGEST_LOG_FORMAT: "" }), () => Promise.reject(new Error("refused")));
    expect(findings).toEqual([{ check: "mirror", status: "warn", message: `no \`mirror\` to Moat's /mirror in ${noMirror} and its includes: install assets/deploy/nginx/mirror.conf to judge request bodies` }]);
  });

  test("the snippet installed but Moat follows a format without $request_id, and nothing running: said, with what to do", async () => {
    const findings = await checkMirror(config(nginxConf(SNIPPET), { MOAT_INGEST_LOG_FORMAT: '$remote_addr [$time_local] "$request" $status' }), () => Promise.reject(new Error("refused")));
    expect(findings.map((f) => [f.status, f.message.split(":")[0]])).toEqual([
      ["ok", "nginx copies requests to Moat (" + findings[0]!.message.split("(")[1]!.split(":")[0]],
      ["fail", "ingest.format is nginx but ingest.log_format has no $request_id"],
      ["warn", "no moat serve answers on 127.0.0.1"],
    ]);
  });

  test("the snippet with its log format stripped of $request_id fails: each request would be stored twice", async () => {
    const findings = await checkMirror(config(nginxConf(SNIPPET.replaceAll(" $request_id'", "'"))), arriving);
    expect(findings.find((f) => f.status === "fail")?.message).toContain("no log_format");
  });

  test("a snippet that does not pass the client's Authorization on is said, with what to add", async () => {
    const older = SNIPPET.split("\n").filter((line) => !line.includes("X-Original-Authorization")).join("\n");
    const findings = await checkMirror(config(nginxConf(older)), arriving);
    expect(findings.map((f) => f.status)).toEqual(["ok", "warn", "ok", "ok"]);
    expect(findings[1]!.message).toContain("does not pass X-Original-Authorization: the client's tokens and Basic credentials are not judged");
  });

  test("mirror.enabled = false: nothing to check", async () => {
    expect(await checkMirror(config(nginxConf(SNIPPET), { MOAT_MIRROR_ENABLED: "false" }), arriving)).toEqual([]);
  });
});
