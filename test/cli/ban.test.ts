/**
 * `moat ban list|add|remove` as a user runs it, without `moat serve`: the CLI stores the ban, rewrites
 * the deny file and runs the reload command itself. And `moat --version` from source.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { openReadonly } from "../helpers/db.ts";
import { shopLogLines } from "../helpers/site-traffic.ts";

const dir = tempDir();
const denyFile = join(dir, "deny.conf");
const db = join(dir, "moat.db");
const reloads = join(dir, "reloads");
// A stand-in for `nginx -s reload` that records its arguments, and fails while `broken` exists.
const reloadScript = join(dir, "reload.sh");
writeFileSync(reloadScript, `#!/bin/sh\n[ -e ${dir}/broken ] && { echo "nginx: [emerg] broken config" >&2; exit 1; }\necho "$@" >> ${reloads}\n`, { mode: 0o755 });
const config = join(dir, "moat.toml");
writeFileSync(config, `[storage]\ndata_dir = "${dir}"\n\n[ban]\nfile = "${denyFile}"\nreload_command = "${reloadScript} -s reload"\nnever_ban = ["127.0.0.0/8", "::1", "10.0.0.0/8"]\n`);

const ban = (...args: string[]) => runCli(["ban", ...args, "--config", config, "--db", db]);
const denyLines = () => readFileSync(denyFile, "utf8").split("\n").filter((l) => l.startsWith("deny "));
const reloadRuns = () => (existsSync(reloads) ? readFileSync(reloads, "utf8").trim().split("\n") : []);
const activities = () => {
  const sqlite = openReadonly(db);
  try {
    return sqlite.query<{ type: string; ip: string | null }, []>("select type, ip from activities order by id").all();
  } finally {
    sqlite.close();
  }
};

describe("moat ban", () => {
  test("add bans an address, rewrites the deny file and runs the reload command", () => {
    const r = ban("add", "203.0.113.7", "--duration", "1h", "--reason", "scanning /wp-admin");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^banned 203\.0\.113\.7 until \d{4}-\d\d-\d\dT/);
    expect(r.stdout).toContain(`wrote ${denyFile} (1 address); reload command ran`);
    expect(denyLines()).toEqual([expect.stringMatching(/^deny 203\.0\.113\.7; # until \d{4}-/)]);
    expect(reloadRuns()).toEqual(["-s reload"]);

    const v6 = ban("add", "2001:DB8:0:0::5");
    expect(v6.code).toBe(0);
    expect(v6.stdout).toMatch(/^banned 2001:db8::5 until removed/);
    expect(denyLines()).toEqual(["deny 2001:db8::5; # until removed", expect.stringMatching(/^deny 203\.0\.113\.7;/)]);
  });

  test("list shows the active bans, newest first, as text or JSON", () => {
    const text = ban("list");
    expect(text.code).toBe(0);
    expect(text.stdout.split("\n")[0]).toMatch(/^IP\s+SOURCE\s+EXPIRES\s+REASON$/);
    expect(text.stdout.split("\n")[1]).toMatch(/^2001:db8::5\s+manual\s+until removed\s+banned by hand$/);
    expect(text.stdout.split("\n")[2]).toMatch(/^203\.0\.113\.7\s+manual\s+until \S+\s+scanning \/wp-admin$/);
    const rows = JSON.parse(ban("list", "--json").stdout) as { ip: string; source: string; reason: string; createdAt: number; expiresAt: number | null }[];
    expect(rows.map((r) => r.ip)).toEqual(["2001:db8::5", "203.0.113.7"]);
    expect(rows[1]).toMatchObject({ source: "manual", reason: "scanning /wp-admin" });
    expect(rows[1]!.expiresAt! - rows[1]!.createdAt).toBe(3_600_000);
  });

  test("what is not exactly an address, or is protected by never_ban, is refused and nothing is written", () => {
    const before = readFileSync(denyFile, "utf8");
    const runsBefore = reloadRuns().length;
    for (const hostile of ["1.2.3.4; include /etc/passwd", "1.2.3.4\ndeny all", "all", "10.0.0.1/8", "fe80::1%eth0", "999.1.1.1"]) {
      const r = ban("add", hostile);
      expect([hostile, r.code]).toEqual([hostile, 2]);
      expect(r.stderr).toContain("is not an IP address");
    }
    const protectedIp = ban("add", "10.20.30.40");
    expect(protectedIp.code).toBe(2);
    expect(protectedIp.stderr).toBe("moat: 10.20.30.40 is protected by ban.never_ban (10.0.0.0/8)\n");
    expect(ban("add", "192.0.2.1", "--duration", "soon").stderr).toContain('invalid duration "soon"');
    expect(readFileSync(denyFile, "utf8")).toBe(before);
    expect(reloadRuns()).toHaveLength(runsBefore);
    expect(ban("list", "--json").stdout).not.toContain("192.0.2.1");
  });

  test("broadcast, multicast and unspecified addresses are refused (exit 2), saying what they are, and nothing is written", () => {
    const before = readFileSync(denyFile, "utf8");
    const runsBefore = reloadRuns().length;
    const cases: [string, string][] = [
      ["255.255.255.255", "255.255.255.255 is not a unicast address (the broadcast address)"],
      ["::ffff:255.255.255.255", "255.255.255.255 is not a unicast address (the broadcast address)"],
      ["0.0.0.0", '0.0.0.0 is not a unicast address ("this network" (0.0.0.0/8)'],
      ["::", "is not a unicast address (the unspecified address (::))"],
      ["224.0.0.1", "224.0.0.1 is not a unicast address (multicast (224.0.0.0/4))"],
      ["FF02::1", "ff02::1 is not a unicast address (multicast (ff00::/8))"],
    ];
    for (const [ip, message] of cases) {
      const r = ban("add", ip);
      expect([ip, r.code, r.stdout]).toEqual([ip, 2, ""]);
      expect(r.stderr).toContain(message);
    }
    expect(readFileSync(denyFile, "utf8")).toBe(before);
    expect(reloadRuns()).toHaveLength(runsBefore);
  });

  test("past ban.max_entries add is refused (exit 2) with what to do, and the file keeps its lines", () => {
    const own = tempDir();
    const ownConfig = join(own, "moat.toml");
    writeFileSync(ownConfig, `[storage]\ndata_dir = "${own}"\n\n[ban]\nmax_entries = 2\n`);
    const add = (ip: string) => runCli(["ban", "add", ip, "--config", ownConfig]);
    expect(add("192.0.2.1").code).toBe(0);
    expect(add("192.0.2.2").code).toBe(0);
    const full = add("192.0.2.3");
    expect(full.code).toBe(2);
    expect(full.stderr).toBe("moat: the deny list is full (2 active bans, ban.max_entries = 2): 192.0.2.3 is not banned; lift bans with moat ban remove, or raise ban.max_entries\n");
    expect(readFileSync(join(own, "deny.conf"), "utf8").split("\n").filter((l) => l.startsWith("deny "))).toEqual(["deny 192.0.2.1; # until removed", "deny 192.0.2.2; # until removed"]);
  });

  test("remove lifts a ban and rewrites the file; removing an address that is not banned says so", () => {
    const r = ban("remove", "203.0.113.7");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("removed the ban on 203.0.113.7");
    expect(denyLines()).toEqual(["deny 2001:db8::5; # until removed"]);
    const again = ban("remove", "203.0.113.7");
    expect(again.code).toBe(66);
    expect(again.stderr).toContain("203.0.113.7 is not banned");
    expect(activities().filter((a) => a.type.startsWith("ban."))).toEqual([
      { type: "ban.added", ip: "203.0.113.7" },
      { type: "ban.added", ip: "2001:db8::5" },
      { type: "ban.removed", ip: "203.0.113.7" },
    ]);
  });

  test("a failing reload command: the ban is stored and written, the command says it is not applied (exit 74)", () => {
    writeFileSync(join(dir, "broken"), "");
    const r = ban("add", "198.51.100.99");
    expect(r.code).toBe(74);
    expect(r.stderr).toContain("moat: banned 198.51.100.99 until removed, but the deny list is not applied: the deny file was written but the reload command failed:");
    expect(r.stderr).toContain("nginx: [emerg] broken config");
    expect(denyLines()).toContain("deny 198.51.100.99; # until removed");
    expect(activities().at(-1)).toEqual({ type: "ban.failed", ip: null });
  });

  test("an expired ban leaves the file at the next change", async () => {
    rmSync(join(dir, "broken"));
    const r = ban("add", "192.0.2.77", "--duration", "1s");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("the next moat ban add|remove will"); // ban.enabled is false: serve would not lift it
    expect(denyLines().some((l) => l.startsWith("deny 192.0.2.77;"))).toBe(true);
    await Bun.sleep(1100);
    expect(ban("list", "--json").stdout).not.toContain("192.0.2.77");
    expect(ban("remove", "198.51.100.99").code).toBe(0);
    expect(denyLines()).toEqual(["deny 2001:db8::5; # until removed"]);
    expect(activities().filter((a) => a.type === "ban.expired")).toEqual([{ type: "ban.expired", ip: "192.0.2.77" }]);
  });
});

describe("moat doctor with ban.enabled", () => {
  test("checks that the deny file can be written and the reload command exists", () => {
    const doctor = (reload: string) => {
      const file = join(dir, `doctor-${reload ? "with" : "without"}.toml`);
      writeFileSync(file, `[storage]\ndata_dir = "${dir}"\n\n[ban]\nenabled = true\nfile = "${denyFile}"\nreload_command = "${reload}"\n`);
      const r = runCli(["doctor", "--config", file, "--port", "0", "--nginx", "127.0.0.1:1", "--json"]);
      return (JSON.parse(r.stdout) as { check: string; status: string; message: string }[]).find((f) => f.check === "deny list");
    };
    expect(doctor(`${reloadScript} -s reload`)).toEqual({ check: "deny list", status: "ok", message: `${denyFile}, reloaded with: ${reloadScript} -s reload (add "include ${denyFile};" to your nginx server block)` });
    expect(doctor("/nonexistent/nginx -s reload")).toMatchObject({ status: "fail", message: expect.stringContaining("/nonexistent/nginx is not found") });
    expect(doctor("")).toMatchObject({ status: "warn", message: expect.stringContaining("no ban.reload_command") });
  });
});

describe("moat --version (from source)", () => {
  test("names the version, the commit, the shipped generic model and the active site model", () => {
    const cwd = tempDir();
    const none = runCli(["--version"], { cwd });
    expect(none.code).toBe(0);
    const [first, generic, site] = none.stdout.trim().split("\n");
    expect(first).toMatch(/^moat \d+\.\d+\.\d+ \(commit ([0-9a-f]{7,}|unknown)\)$/);
    expect(generic).toMatch(/^generic model\s+generic-\S+ \(shipped\)$/);
    expect(site).toMatch(/^site model\s+none in .* \(the generic model judges alone\)$/);

    const log = join(cwd, "train.log");
    writeFileSync(log, shopLogLines(1500, 3).join("\n") + "\n");
    expect(runCli(["train", "--from", log, "--out", join(cwd, "model"), "--target-fpr", "0.01"]).code).toBe(0);
    writeFileSync(join(cwd, "moat.toml"), `[detect]\nmodel_dir = "${join(cwd, "model")}"\n`);
    const info = JSON.parse(runCli(["model", "info", join(cwd, "model")]).stdout) as { version: string };
    const active = runCli(["--version"], { cwd });
    expect(active.stdout.trim().split("\n")[2]).toBe(`site model     ${info.version} (active: ${join(cwd, "model", "site.onnx")})`);
  }, 60_000);
});

describe("moat decisions (moat ban's own name)", () => {
  test("list marks simulated decisions and shows prefixes; delete lifts a prefix ban", async () => {
    const decisionsDb = join(tempDir(), "moat.db");
    const { openStore } = await import("../../src/store/db.ts");
    const store = openStore(decisionsDb);
    const now = Date.now();
    store.sqlite!.query("insert into bans (ip, reason, source, created_at, expires_at, simulated) values (?, ?, 'auto', ?, null, ?)").run("203.0.113.0/24", "4 threats from 203.0.113.0/24 within 300 s", now, 0);
    store.sqlite!.query("insert into bans (ip, reason, source, created_at, expires_at, simulated) values (?, ?, 'auto', ?, null, ?)").run("198.51.100.9", "5 threats within 300 s", now - 1, 1);
    store.close();
    const decisions = (...args: string[]) => runCli(["decisions", ...args, "--config", config, "--db", decisionsDb]);
    const listed = decisions("list");
    expect(listed.code).toBe(0);
    expect(listed.stdout.split("\n")[1]).toMatch(/^203\.0\.113\.0\/24\s+auto\s/);
    expect(listed.stdout).toMatch(/198\.51\.100\.9\s+auto \(simulated: not written\)/);
    const lifted = decisions("delete", "203.0.113.0/24");
    expect([lifted.code, lifted.stdout.split("\n")[0]]).toEqual([0, "removed the ban on 203.0.113.0/24"]);
    expect(decisions("list", "--json").stdout).not.toContain("203.0.113.0/24");
  });
});
