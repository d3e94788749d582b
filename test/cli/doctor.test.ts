import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { NGINX_BIN, freePort, startNginx, type NginxInstance } from "../helpers/nginx.ts";
import { startServe, waitForListening, waitForMirrorListening } from "../helpers/serve.ts";

const dir = tempDir();
let nginx: NginxInstance | null = null;
afterAll(() => nginx?.stop());

describe("moat doctor", () => {
  test("a good log, a missing one, the database, the port and nginx, each with what to do", async () => {
    const log = join(dir, "access.log");
    writeFileSync(log, '1.2.3.4 - - [24/Nov/2026:11:54:54 +0000] "GET / HTTP/1.1" 200 3 "-" "ua"\n'.repeat(5));
    const args = ["doctor", "--log", log, join(dir, "later.log"), "--db", join(dir, "db", "moat.db"), "-c", "/dev/null", "--port", "0", "--json"];
    if (NGINX_BIN) {
      nginx = await startNginx(`server { listen 127.0.0.1:{{PORT}}; location / { return 200; } }`);
      args.push("--nginx", `127.0.0.1:${nginx.port}`);
    }
    const mirrorPort = await freePort();
    const r = runCli(args, { env: { MOAT_MIRROR_PORT: String(mirrorPort) } });
    expect(r.code).toBe(0);
    const findings = JSON.parse(r.stdout) as { check: string; status: string; message: string }[];
    const by = (check: string) => findings.find((f) => f.check === check)!;
    expect(by(`log ${log}`)).toMatchObject({ status: "ok", message: "format combined: 5 of the first 5 lines parse" });
    expect(by(`log ${join(dir, "later.log")}`).status).toBe("warn");
    expect(by("database").status).toBe("ok");
    expect(by("port").status).toBe("ok");
    expect(by("mirror port")).toMatchObject({ status: "ok", message: `127.0.0.1:${mirrorPort} is free` });
    if (NGINX_BIN) expect(by("nginx").status).toBe("ok");
  });

  test("a log in no known format and a port in use fail, and the exit code says so", () => {
    const log = join(dir, "odd.log");
    writeFileSync(log, "hello\nworld\n");
    const busy = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const busyMirror = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const r = runCli(["doctor", "--log", log, "-c", "/dev/null", "--db", join(dir, "moat.db"), "--port", String(busy.port), "--nginx", "127.0.0.1:1"], { env: { MOAT_MIRROR_PORT: String(busyMirror.port) } });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/FAIL\s+log .*odd\.log: .*no known format fits/);
      expect(r.stdout).toMatch(/FAIL\s+port: 127\.0\.0\.1:\d+ cannot be used/);
      expect(r.stdout).toMatch(/FAIL\s+mirror port: 127\.0\.0\.1:\d+ cannot be used .*: set mirror\.port, or mirror\.enabled = false/);
      expect(r.stdout).toMatch(/WARN\s+nginx: nothing answers on 127\.0\.0\.1:1/);
    } finally {
      busy.stop(true);
      busyMirror.stop(true);
    }
  });

  test("a port taken by a running moat serve is ok, with its pid; one taken by another web server still fails", async () => {
    const log = join(dir, "served.log");
    writeFileSync(log, '1.2.3.4 - - [24/Nov/2026:11:54:54 +0000] "GET / HTTP/1.1" 200 3 "-" "ua"\n');
    const db = join(dir, "served", "moat.db");
    const serve = startServe(["--log", log, "--db", db]);
    try {
      const port = new URL(await waitForListening(serve)).port;
      const mirrorPort = await waitForMirrorListening(serve);
      const r = runCli(["doctor", "--log", log, "--db", db, "-c", "/dev/null", "--port", port, "--nginx", "127.0.0.1:1", "--json"], { env: { MOAT_MIRROR_PORT: String(mirrorPort) } });
      const findings = JSON.parse(r.stdout) as { check: string; status: string; message: string }[];
      expect(findings.find((f) => f.check === "port")).toEqual({ check: "port", status: "ok", message: `127.0.0.1:${port} is in use by moat serve, pid ${serve.proc.pid}` });
      // Its mirror listener holds the mirror port: not a port taken by another program.
      expect(findings.find((f) => f.check === "mirror port")).toEqual({ check: "mirror port", status: "ok", message: `127.0.0.1:${mirrorPort}: moat serve's mirror listener` });
      expect(r.code).toBe(0);
    } finally {
      serve.proc.kill("SIGTERM");
      await serve.proc.exited;
    }
    // Another program that answers /health (status ok, but not Moat's answer) is not taken for Moat.
    const other = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => Response.json({ status: "ok" }) });
    try {
      const r = runCli(["doctor", "--log", log, "--db", join(dir, "other.db"), "-c", "/dev/null", "--port", String(other.port), "--nginx", "127.0.0.1:1", "--json"]);
      expect(r.code).toBe(1);
      expect((JSON.parse(r.stdout) as { check: string; status: string; message: string }[]).find((f) => f.check === "port")).toMatchObject({ status: "fail", message: expect.stringContaining(`127.0.0.1:${other.port} cannot be used`) });
    } finally {
      other.stop(true);
    }
  });
});
