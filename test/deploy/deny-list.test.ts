/**
 * Deny lists (passive blocking): strict address parsing (the file is nginx configuration, the
 * addresses come from log lines), the file's rendering and atomic writing, bans, expiry and failures
 * in process, and end to end with a real nginx: an attacking source lands in the deny file, gets 403
 * after the reload while another source still gets 200, and gets 200 again once the ban expires.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { canonicalIp, parseCidr, parseIp, rangeContains } from "../../src/core/ip.ts";
import { createLogger } from "../../src/core/log.ts";
import { Activities } from "../../src/services/activities.ts";
import { Bus } from "../../src/pipeline/bus.ts";
import { type ThreatRow } from "../../src/store/rows.ts";
import type { AlertDraft } from "../../src/services/alert-rules.ts";
import { DenyList } from "../../src/services/deny-list/service.ts";
import { denyListCheck } from "../../src/services/deny-list/check.ts";
import { banProblem, parseDuration, renderDenyFile, splitCommand } from "../../src/services/deny-list/rules.ts";
import { runCommand, writeFileAtomically } from "../../src/services/deny-list/apply.ts";
import { denyFileTest } from "../../src/services/deny-list/file-test.ts";
import { runCli } from "../helpers/cli.ts";
import { openStore } from "../../src/store/db.ts";
import { bans } from "../../src/store/schema.ts";
import { denyingSite, NGINX_BIN, startNginx, statusFor, type NginxInstance } from "../helpers/nginx.ts";
import { serveDetail, startServe, waitFor, type ServeProcess } from "../helpers/serve.ts";
import { openReadonly } from "../helpers/db.ts";
import { tempDir } from "../helpers/tmp.ts";

const denyLines = (file: string) => readFileSync(file, "utf8").split("\n").filter((l) => l.startsWith("deny "));

describe("addresses are parsed strictly", () => {
  test("hostile or malformed text is never an address", () => {
    const hostile = [
      "1.2.3.4; include /etc/passwd",
      "1.2.3.4;",
      "1.2.3.4\ndeny all",
      " 1.2.3.4",
      "1.2.3.4 ",
      "1.2.3.4/32",
      "1.2.3.4:80",
      "all",
      "unix:",
      "-",
      "",
      "1.2.3.256",
      "01.2.3.4",
      "1.2.3",
      "1.2.3.4.5",
      "fe80::1%eth0",
      "::1%25",
      "1::2::3",
      ":::",
      "1:2:3:4:5:6:7:8:9",
      "12345::1",
      "g::1",
      "::ffff:1.2.3.4;",
      "[::1]",
      "1".repeat(46),
    ];
    for (const text of hostile) expect([text, parseIp(text)]).toEqual([text, null]);
  });

  test("addresses get one canonical form (RFC 5952; IPv4-mapped as IPv4)", () => {
    expect(canonicalIp("203.0.113.7")).toBe("203.0.113.7");
    expect(canonicalIp("0.0.0.0")).toBe("0.0.0.0");
    expect(canonicalIp("2001:DB8:0:0:0:0:0:1")).toBe("2001:db8::1");
    expect(canonicalIp("2001:db8:0:0:1:0:0:1")).toBe("2001:db8::1:0:0:1");
    expect(canonicalIp("2001:0db8:0000:0001:0001:0001:0001:0001")).toBe("2001:db8:0:1:1:1:1:1");
    expect(canonicalIp("::")).toBe("::");
    expect(canonicalIp("::1")).toBe("::1");
    expect(canonicalIp("::ffff:198.51.100.9")).toBe("198.51.100.9");
    expect(canonicalIp("64:ff9b::192.0.2.33")).toBe("64:ff9b::c000:221");
  });

  test("CIDR ranges: containment, IPv4-mapped addresses, bad prefixes", () => {
    const loopback = parseCidr("127.0.0.0/8")!;
    expect(rangeContains(loopback, parseIp("127.9.9.9")!)).toBe(true);
    expect(rangeContains(loopback, parseIp("128.0.0.1")!)).toBe(false);
    expect(rangeContains(loopback, parseIp("::ffff:127.0.0.1")!)).toBe(true);
    expect(rangeContains(parseCidr("2001:db8::/32")!, parseIp("2001:db8:ffff::1")!)).toBe(true);
    expect(rangeContains(parseCidr("2001:db8::/32")!, parseIp("2001:db9::1")!)).toBe(false);
    expect(rangeContains(parseCidr("10.0.0.0/12")!, parseIp("10.15.255.255")!)).toBe(true);
    expect(rangeContains(parseCidr("10.0.0.0/12")!, parseIp("10.16.0.0")!)).toBe(false);
    expect(rangeContains(parseCidr("0.0.0.0/0")!, parseIp("8.8.8.8")!)).toBe(true);
    expect(rangeContains(parseCidr("::1")!, parseIp("::1")!)).toBe(true);
    for (const bad of ["1.2.3.4/33", "1.2.3.4/", "1.2.3.4/08", "::/129", "1.2.3.4/8/8", "x/8"]) expect([bad, parseCidr(bad)]).toEqual([bad, null]);
  });

  test("only unicast addresses, and prefixes no wider than an IPv4 /8 or an IPv6 /32, may be banned", () => {
    const problem = (text: string) => banProblem(parseCidr(text)!);
    const refused: [string, RegExp][] = [
      ["255.255.255.255", /^not a unicast address \(the broadcast address\)/],
      ["0.0.0.0", /"this network"/],
      ["0.1.2.3", /"this network"/],
      ["224.0.0.1", /multicast \(224\.0\.0\.0\/4\)/],
      ["239.255.255.250", /multicast/],
      ["240.0.0.1", /reserved \(240\.0\.0\.0\/4\)/],
      ["::", /unspecified/],
      ["ff02::1", /multicast \(ff00::\/8\)/],
      ["ff0e::1:3", /multicast/],
      ["255.255.255.0/24", /broadcast/],
      ["ff02::/48", /multicast/],
      ["1.0.0.0/7", /^too wide: prefixes wider than \/8/],
      ["0.0.0.0/0", /^too wide/],
      ["2001:db8::/31", /^too wide: prefixes wider than \/32/],
      ["::/0", /^too wide/],
    ];
    for (const [text, why] of refused) expect([text, problem(text)]).toEqual([text, expect.stringMatching(why)]);
    for (const text of ["203.0.113.7", "1.0.0.0", "223.255.255.255", "10.0.0.0/8", "2001:db8::1", "2001:db8::/32", "2001:db8:1:2::/64", "::1", "fe80::1", "64:ff9b::c000:221"]) {
      expect([text, problem(text)]).toEqual([text, null]);
    }
  });

  test("never_ban entries are validated with the configuration, naming the key", () => {
    expect(() => loadConfig({ env: { MOAT_BAN_NEVER_BAN: "10.0.0.0/8,1.2.3.4; include x" } })).toThrow(/ban\.never_ban\.1: .*ip-range.*MOAT_BAN_NEVER_BAN/);
    expect(loadConfig({ env: { MOAT_BAN_ENABLED: "true", MOAT_STORAGE_DATA_DIR: "/srv/moat" } }).config.ban).toMatchObject({ enabled: true, file: "/srv/moat/deny.conf" });
  });
});

describe("the deny file", () => {
  const now = Date.UTC(2026, 10, 24, 12, 0, 0);

  test("lists active bans only, sorted, one canonical deny line each, and refuses rows that are not addresses", () => {
    const { text, addresses, refused, overCap } = renderDenyFile(
      [
        { ip: "203.0.113.9", expiresAt: now + 60_000 },
        { ip: "198.51.100.1", expiresAt: null },
        { ip: "2001:DB8::1", expiresAt: null },
        { ip: "192.0.2.1", expiresAt: now }, // expired just now
        { ip: "1.2.3.4; include /etc/passwd", expiresAt: null },
        { ip: "10.0.0.1\ndeny all", expiresAt: null },
      ],
      now,
      10,
    );
    expect(addresses).toEqual(["198.51.100.1", "2001:db8::1", "203.0.113.9"]);
    expect(refused).toEqual([
      { ip: "1.2.3.4; include /etc/passwd", why: "not an IP address" },
      { ip: "10.0.0.1\ndeny all", why: "not an IP address" },
    ]);
    expect(overCap).toEqual([]);
    // Rows an older version stored, or someone wrote to the table: what nginx rejects (or would deny no client with) stays out.
    const old = renderDenyFile(["255.255.255.255", "0.0.0.0", "::", "ff02::1", "224.0.0.251", "198.51.100.2"].map((ip) => ({ ip, expiresAt: null })), now, 10);
    expect(old.addresses).toEqual(["198.51.100.2"]);
    expect(old.refused.map((r) => r.ip)).toEqual(["255.255.255.255", "0.0.0.0", "::", "ff02::1", "224.0.0.251"]);
    expect(old.text).not.toMatch(/255\.255|0\.0\.0\.0|ff02|224\.|deny ::/);
    const directives = text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
    expect(directives).toEqual(["deny 198.51.100.1; # until removed", "deny 2001:db8::1; # until removed", "deny 203.0.113.9; # until 2026-11-24T12:01:00.000Z"]);
    expect(text).not.toContain("passwd");
  });

  test("holds at most max_entries lines: the oldest bans stay, the newest beyond the cap are reported", () => {
    const rows = ["192.0.2.5", "192.0.2.1", "192.0.2.9", "192.0.2.3"].map((ip) => ({ ip, expiresAt: null })); // oldest first
    const { addresses, overCap, text } = renderDenyFile(rows, now, 2);
    expect(addresses).toEqual(["192.0.2.1", "192.0.2.5"]);
    expect(overCap).toEqual(["192.0.2.9", "192.0.2.3"]);
    expect(text.split("\n").filter((l) => l.startsWith("deny "))).toHaveLength(2);
  });

  test("is written atomically, only when its content changes, leaving no temporary file", () => {
    const dir = tempDir();
    const file = join(dir, "sub", "deny.conf");
    expect(writeFileAtomically(file, "deny 192.0.2.1;\n")).toBe(true);
    expect(writeFileAtomically(file, "deny 192.0.2.1;\n")).toBe(false);
    expect(writeFileAtomically(file, "deny 192.0.2.2;\n")).toBe(true);
    expect(readFileSync(file, "utf8")).toBe("deny 192.0.2.2;\n");
    expect(readdirSync(join(dir, "sub"))).toEqual(["deny.conf"]);
  });

  test("a place that cannot be written is an error, not a crash", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "plain-file"), "");
    expect(() => writeFileAtomically(join(dir, "plain-file", "deny.conf"), "x")).toThrow(/ENOTDIR|EEXIST/);
  });

  test("reload command: argv without a shell, exit codes, missing programs and timeouts", async () => {
    expect(splitCommand(`nginx -p "/srv/my nginx" -s reload`)).toEqual(["nginx", "-p", "/srv/my nginx", "-s", "reload"]);
    expect(splitCommand("nginx -s reload; rm -rf /")).toEqual(["nginx", "-s", "reload;", "rm", "-rf", "/"]);
    expect(splitCommand("   ")).toEqual([]);
    expect(await runCommand(["true"])).toBeNull();
    expect(await runCommand(["sh", "-c", "echo nginx: bad config >&2; exit 3"])).toBe("sh -c echo nginx: bad config >&2; exit 3 exited with 3: nginx: bad config");
    expect(await runCommand(["/nonexistent/reload"])).toMatch(/^cannot run \/nonexistent\/reload/);
    expect(await runCommand(["sleep", "30"], 200)).toMatch(/stopped by SIGKILL \(no answer within 0\.2 s\)/);
  });

  test("durations", () => {
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("15m")).toBe(900_000);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(parseDuration("7d")).toBe(604_800_000);
    expect(parseDuration("0")).toBeNull();
    for (const bad of ["", "1", "-1h", "1.5h", "1w", "h"]) expect(() => parseDuration(bad)).toThrow(/invalid duration/);
  });
});

describe("DenyList in process", () => {
  function setup(env: Record<string, string> = {}) {
    const dir = tempDir();
    const config = loadConfig({ env: { MOAT_STORAGE_DATA_DIR: dir, MOAT_SECURITY_NGINX_CONF: "", MOAT_BAN_ENABLED: "true", MOAT_BAN_THRESHOLD: "3", MOAT_BAN_WINDOW_SECONDS: "60", MOAT_BAN_DURATION_SECONDS: "600", ...env } }).config;
    const store = openStore(join(dir, "moat.db"));
    const clock = { now: Date.UTC(2026, 10, 24, 12, 0, 0) };
    const activities = new Activities(store, new Bus());
    /** Another DenyList on the same database: moat serve after a restart, or moat ban. */
    /** Moat's own log lines, parsed; and the alerts raised (moat serve passes its AlertService). */
    const logs: Record<string, unknown>[] = [];
    const alerts: AlertDraft[] = [];
    const log = createLogger({ level: "info", format: "json", write: (line) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
    const restart = () => new DenyList({ config, store, activities, log, now: () => clock.now, monotonic: () => performance.now() }, { alerts: { raiseAlert: (d) => (alerts.push(d), null!) } });
    const activityTypes = () => activities.list({ limit: 100 }).map((a) => `${a.type} ${a.ip ?? ""}`.trim()).reverse();
    return { dir, config, store, clock, logs, alerts, activities, denyList: restart(), restart, activityTypes, ctx: { config, store, now: () => clock.now } };
  }
  let id = 0;
  const threat = (clientIp: string, time: number): ThreatRow => ({
    id: ++id, time, clientIp, method: "GET", endpoint: "/search", attackType: "xss", severity: "high", score: 0.99, threshold: 0.9,
    blocked: false, reasons: "[]", request: "{}", modelVersion: "test", source: "test", requestId: null, incidentId: null, acknowledgedAt: null, agent: null,
  });

  test("a source over the threshold is banned, written, and lifted when the ban expires", async () => {
    const { config, clock, denyList, activityTypes, ctx } = setup();
    const attacker = "203.0.113.50";
    denyList.onThreat(threat(attacker, clock.now - 2000));
    denyList.onThreat(threat(attacker, clock.now - 1000));
    expect(denyList.get(attacker)).toBeNull();
    denyList.onThreat(threat(attacker, clock.now));
    expect(denyList.get(attacker)).toMatchObject({ source: "auto", expiresAt: clock.now + 600_000 });
    expect(denyList.get(attacker)!.reason).toBe("3 threats within 60 s, latest xss (high) on GET /search");
    await denyList.idle();
    expect(readFileSync(config.ban.file, "utf8")).toContain(`deny ${attacker};`);
    expect(await denyListCheck(ctx)).toMatchObject([{ key: "deny-list", status: "pass" }]);

    clock.now += 599_000;
    expect(await denyList.sweep(clock.now)).toBeNull(); // nothing expired: the file is not touched
    clock.now += 1000;
    expect(await denyList.sweep(clock.now)).toMatchObject({ written: true, addresses: 0, error: null });
    expect(readFileSync(config.ban.file, "utf8")).not.toContain("deny ");
    expect(activityTypes()).toEqual([`ban.added ${attacker}`, `ban.expired ${attacker}`]);
  });

  test("a ban added, lifted or expired is seen together with its record: one transaction, whoever reads the database", async () => {
    const { dir, store, clock, denyList, activities } = setup();
    // What another connection (another hub, the console) sees of the bans while each record is written.
    const other = openReadonly(join(dir, "moat.db"));
    const bansSeen = () => (other.query("select count(*) as n from bans").get() as { n: number }).n;
    const seenWhileRecording: string[] = [];
    const record = activities.record.bind(activities);
    activities.record = (a) => {
      seenWhileRecording.push(`${a.type} ${bansSeen()}`);
      record(a);
    };
    denyList.ban("203.0.113.60", { reason: "test", source: "manual", durationMs: 600_000 });
    denyList.ban("203.0.113.61", { reason: "test", source: "manual", durationMs: null });
    denyList.unban("203.0.113.61");
    clock.now += 600_000;
    expect((await denyList.sweep(clock.now))?.addresses).toBe(0);
    // Not yet committed while each record is written: the other connection sees the bans as before the change.
    expect(seenWhileRecording).toEqual(["ban.added 0", "ban.added 1", "ban.removed 2", "ban.expired 1"]);
    expect(bansSeen()).toBe(0);
    expect(other.query("select type from activities order by id").all()).toEqual([{ type: "ban.added" }, { type: "ban.added" }, { type: "ban.removed" }, { type: "ban.expired" }]);
    other.close();
    store.close();
  });

  test("the reason quotes a bounded piece of the path, without control characters", () => {
    const { clock, denyList } = setup({ MOAT_BAN_THRESHOLD: "1" });
    denyList.onThreat({ ...threat("192.0.2.30", clock.now), endpoint: `/\u001b]0;pwned\u0007${"a".repeat(300)}` });
    const reason = denyList.get("192.0.2.30")!.reason;
    expect(reason).toStartWith("1 threats within 60 s, latest xss (high) on GET /\ufffd]0;pwned\ufffdaaa");
    expect(reason).toEndWith("a…");
    expect(reason).not.toMatch(/[\u0000-\u001f]/);
  });

  test("guard rails: threats under ban.min_severity, of other attack types, or anomalies never count toward a ban", async () => {
    const { clock, denyList } = setup({ MOAT_BAN_THRESHOLD: "2", MOAT_BAN_ATTACK_TYPES: "sqli,xss,open-redirect" });
    for (let i = 0; i < 3; i++) {
      denyList.onThreat({ ...threat("198.51.100.1", clock.now), attackType: "open-redirect", severity: "medium" }); // listed, but under the floor
      denyList.onThreat({ ...threat("198.51.100.2", clock.now), attackType: "cmdi", severity: "critical" }); // not a listed type
    }
    const anomalies = setup({ MOAT_BAN_THRESHOLD: "2" });
    for (let i = 0; i < 3; i++) anomalies.denyList.onThreat({ ...threat("198.51.100.3", clock.now), attackType: "anomaly", severity: "high" });
    denyList.onThreat(threat("198.51.100.4", clock.now));
    denyList.onThreat(threat("198.51.100.4", clock.now));
    await denyList.idle();
    expect(denyList.list().map((b) => b.ip)).toEqual(["198.51.100.4"]);
    expect(anomalies.denyList.list()).toEqual([]);
  });

  test("ban.simulate: the decision is recorded (and says so), nothing is written, and it never takes effect later", async () => {
    const { config, clock, denyList, activities, restart } = setup({ MOAT_BAN_THRESHOLD: "1", MOAT_BAN_SIMULATE: "true" });
    denyList.onThreat(threat("203.0.113.9", clock.now));
    await denyList.idle();
    expect(denyList.get("203.0.113.9")).toMatchObject({ simulated: true, source: "auto" });
    expect(existsSync(config.ban.file)).toBe(false);
    expect(activities.list({ limit: 5 })[0]!.title).toBe("Would ban 203.0.113.9 (ban.simulate)");
    // Simulation turned off: a real ban is written, the simulated decision still is not.
    config.ban.simulate = false;
    const enforcing = restart();
    enforcing.ban("192.0.2.77", { source: "manual", reason: "by hand", durationMs: null });
    await enforcing.sync();
    const file = readFileSync(config.ban.file, "utf8");
    expect(file).toContain("deny 192.0.2.77;");
    expect(file).not.toContain("203.0.113.9");
  });

  test("prefix bans: addresses rotating inside one /24 or /64 ban the prefix, unless it holds a never_ban address", async () => {
    const { config, clock, denyList } = setup({ MOAT_BAN_THRESHOLD: "5", MOAT_BAN_PREFIX_THRESHOLD: "4", MOAT_BAN_NEVER_BAN: "198.51.100.77" });
    for (const last of [1, 2, 3, 4]) denyList.onThreat(threat(`203.0.113.${last}`, clock.now));
    for (const last of ["a", "b", "c", "d"]) denyList.onThreat(threat(`2001:db8:1:2::${last}`, clock.now));
    for (const last of [1, 2, 3, 4]) denyList.onThreat(threat(`198.51.100.${last}`, clock.now));
    await denyList.idle();
    expect(denyList.list().map((b) => b.ip).sort()).toEqual(["2001:db8:1:2::/64", "203.0.113.0/24"]);
    expect(denyList.get("203.0.113.0/24")!.reason).toStartWith("4 threats from 203.0.113.0/24 within 60 s, latest xss");
    const file = readFileSync(config.ban.file, "utf8");
    expect(file).toContain("deny 203.0.113.0/24;");
    expect(file).toContain("deny 2001:db8:1:2::/64;");
  });

  test("never_ban sources, threats older than the window and non-addresses are not banned", async () => {
    const { clock, denyList, activityTypes } = setup({ MOAT_BAN_NEVER_BAN: "127.0.0.0/8,::1,10.0.0.0/8" });
    for (let i = 0; i < 5; i++) {
      denyList.onThreat(threat("10.1.2.3", clock.now));
      denyList.onThreat(threat("::ffff:127.0.0.1", clock.now));
      denyList.onThreat(threat("198.51.100.7", clock.now - 120_000)); // a backlog read at start-up
      denyList.onThreat(threat("1.2.3.4; include /etc/passwd", clock.now));
    }
    await denyList.idle();
    expect(denyList.list()).toEqual([]);
    expect(activityTypes()).toEqual([]);
    expect(() => denyList.ban("10.9.9.9", { source: "manual", reason: "x", durationMs: null })).toThrow("10.9.9.9 is protected by ban.never_ban (10.0.0.0/8)");
  });

  test("an unwritable deny file is an error, one activity and a security check warning, never a crash", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "not-a-dir"), "");
    const { denyList, activityTypes, ctx } = setup({ MOAT_BAN_FILE: join(dir, "not-a-dir", "deny.conf") });
    denyList.ban("192.0.2.10", { source: "manual", reason: "test", durationMs: null });
    const first = await denyList.sync();
    expect(first.error).toMatch(/^cannot write the deny file .*not-a-dir\/deny\.conf: .*(ENOTDIR|EEXIST)/);
    expect((await denyList.sync()).error).toBe(first.error); // still failing: reported once
    expect(activityTypes()).toEqual(["ban.added 192.0.2.10", "ban.failed"]);
    expect(denyList.problem).toBe(first.error);
    const [check] = await denyListCheck(ctx);
    expect(check).toMatchObject({ key: "deny-list", status: "warning" });
    expect(check!.message).toStartWith(first.error!);
  });

  test("a full file system: the bans the file misses show in the security check", async () => {
    const { config, denyList, ctx } = setup();
    await denyList.sync();
    expect(await denyListCheck(ctx)).toMatchObject([{ status: "pass" }]);
    denyList.ban("192.0.2.11", { source: "manual", reason: "test", durationMs: null }); // stored, but the file was not rewritten (as when the write fails)
    const [check] = await denyListCheck(ctx);
    expect(check).toMatchObject({ status: "warning" });
    expect(check!.message).toContain(`1 active ban(s) missing from ${config.ban.file} (192.0.2.11)`);
  });

  test("a failing reload command is reported and retried by the sweep until it succeeds", async () => {
    const dir = tempDir();
    const flag = join(dir, "reload-ok");
    // The command fails until the flag file exists, and records each run.
    const script = join(dir, "reload.sh");
    writeFileSync(script, `#!/bin/sh\necho run >> ${dir}/runs\n[ -e ${flag} ] || { echo "nginx: [emerg] unexpected" >&2; exit 1; }\n`, { mode: 0o755 });
    const { clock, denyList, restart, activityTypes, ctx } = setup({ MOAT_BAN_RELOAD_COMMAND: script });
    denyList.ban("192.0.2.12", { source: "manual", reason: "test", durationMs: null });
    expect(await denyList.sync()).toMatchObject({ written: true, reload: "failed" });
    expect((await denyList.sync()).reload).toBe("failed"); // content unchanged, but the reload is still owed
    expect((await denyListCheck(ctx))[0]).toMatchObject({ status: "warning" });
    // After a restart the file is already written: the stored problem says the reload is still owed.
    const restarted = restart();
    expect(restarted.problem).toStartWith("the deny file was written but the reload command failed");
    writeFileSync(flag, "");
    expect(await restarted.sweep(clock.now)).toMatchObject({ written: false, reload: "ok", error: null });
    expect(restarted.problem).toBeNull();
    expect(await restarted.sweep(clock.now)).toBeNull(); // nothing owed any more
    expect(readFileSync(join(dir, "runs"), "utf8").trim().split("\n")).toHaveLength(3);
    expect(activityTypes()).toEqual(["ban.added 192.0.2.12", "ban.failed"]);
    expect((await denyListCheck(ctx))[0]).toMatchObject({ status: "pass" });
  });

  test("broadcast, multicast and unspecified sources (a forged client_ip or X-Forwarded-For) are refused, counted and logged, never written", async () => {
    const { config, clock, store, denyList, logs, alerts, ctx } = setup({ MOAT_BAN_THRESHOLD: "1" });
    const hostile = ["255.255.255.255", "::ffff:255.255.255.255", "0.0.0.0", "::", "224.0.0.251", "ff02::1"];
    for (const ip of hostile) denyList.onThreat(threat(ip, clock.now));
    denyList.onThreat(threat("203.0.113.80", clock.now));
    await denyList.idle();
    expect(denyList.list().map((r) => r.ip)).toEqual(["203.0.113.80"]);
    expect(denyLines(config.ban.file)).toEqual(["deny 203.0.113.80; # until 2026-11-24T12:10:00.000Z"]);
    expect(logs.filter((l) => l.msg === "automatic bans refused")).toEqual([
      expect.objectContaining({ level: "warn", count: 6, kind: "unbannable", example: "255.255.255.255 is not a unicast address (the broadcast address): only unicast addresses are banned" }),
    ]);
    expect(alerts).toEqual([]); // harmless once refused: logged, not alerted
    for (const ip of hostile) expect(() => denyList.ban(ip, { source: "manual", reason: "x", durationMs: null })).toThrow(/ is not a unicast address \(/);

    // A row an older version stored is left out of the file, which nginx then still accepts.
    store.db.insert(bans).values({ ip: "255.255.255.255", reason: "old", source: "manual", createdAt: clock.now, expiresAt: null }).run();
    denyList.ban("203.0.113.81", { source: "manual", reason: "x", durationMs: null });
    expect(await denyList.sync()).toMatchObject({ written: true, addresses: 2, error: null });
    expect(readFileSync(config.ban.file, "utf8")).not.toContain("255.255.255.255");
    expect(logs.filter((l) => l.msg === "a stored ban may not be written: left out of the deny file")).toEqual([expect.objectContaining({ ip: "255.255.255.255" })]);
    const [check] = await denyListCheck(ctx);
    expect(check!.status).toBe("warning");
    expect(check!.message).toStartWith(`1 stored ban(s) are never written to ${config.ban.file} ("255.255.255.255": not a unicast address (the broadcast address)`);
  });

  test("max_entries: past it a ban is refused (an error by hand; logged and alerted when automatic), and the file keeps its lines", async () => {
    const { config, clock, denyList, logs, alerts } = setup({ MOAT_BAN_THRESHOLD: "1", MOAT_BAN_MAX_ENTRIES: "3" });
    for (const ip of ["192.0.2.1", "192.0.2.2", "192.0.2.3"]) denyList.ban(ip, { source: "manual", reason: "x", durationMs: null });
    expect(() => denyList.ban("192.0.2.4", { source: "manual", reason: "x", durationMs: null })).toThrow(
      "the deny list is full (3 active bans, ban.max_entries = 3): 192.0.2.4 is not banned; lift bans with moat ban remove, or raise ban.max_entries",
    );
    expect(denyList.ban("192.0.2.3", { source: "manual", reason: "again", durationMs: 60_000 }).reason).toBe("again"); // replacing a ban adds no line
    for (let i = 10; i < 15; i++) denyList.onThreat(threat(`198.51.100.${i}`, clock.now));
    await denyList.idle();
    expect(denyList.list()).toHaveLength(3);
    expect(denyLines(config.ban.file)).toHaveLength(3);
    expect(logs.filter((l) => l.msg === "automatic bans refused")).toEqual([expect.objectContaining({ count: 5, kind: "full" })]);
    expect(alerts).toEqual([expect.objectContaining({ type: "warning", title: "Deny list full: attackers are not banned", groupKey: "deny-list:full", occurrences: 5 })]);
    // An expired ban frees its place.
    clock.now += 60_000;
    denyList.ban("192.0.2.4", { source: "manual", reason: "x", durationMs: null });
  });

  test("a new file that fails ban.test_command never replaces the live one: the old file stays, an alert is raised, and it is retried", async () => {
    const dir = tempDir();
    const broken = join(dir, "broken");
    // Stands in for nginx -t: says what nginx says and fails while `broken` exists; keeps each candidate it was given.
    const script = join(dir, "test.sh");
    writeFileSync(script, `#!/bin/sh\ncat "$1" >> ${dir}/candidates\n[ -e ${broken} ] && { echo 'nginx: [emerg] invalid parameter "x" in '"$1"':3' >&2; exit 1; }\nexit 0\n`, { mode: 0o755 });
    const reloads = join(dir, "reloads");
    const reload = join(dir, "reload.sh");
    writeFileSync(reload, `#!/bin/sh\necho run >> ${reloads}\n`, { mode: 0o755 });
    const { config, clock, denyList, alerts, activityTypes, ctx } = setup({ MOAT_BAN_TEST_COMMAND: script, MOAT_BAN_RELOAD_COMMAND: reload });
    denyList.ban("192.0.2.20", { source: "manual", reason: "x", durationMs: null });
    expect(await denyList.sync()).toMatchObject({ written: true, reload: "ok", error: null });
    const live = readFileSync(config.ban.file, "utf8");
    expect(readFileSync(join(dir, "candidates"), "utf8")).toBe(live); // what was tested is what was written

    writeFileSync(broken, "");
    denyList.ban("192.0.2.21", { source: "manual", reason: "x", durationMs: null });
    const failed = await denyList.sync();
    expect(failed).toMatchObject({ written: false, reload: "skipped" });
    expect(failed.error).toBe(`the new deny file failed its test (${script}), so ${config.ban.file} was left as it was: ${script} <test dir>/deny.conf exited with 1: nginx: [emerg] invalid parameter "x" in <test dir>/deny.conf:3`);
    expect(readFileSync(config.ban.file, "utf8")).toBe(live);
    expect(readFileSync(reloads, "utf8")).toBe("run\n"); // no reload for a file that was not swapped in
    expect(alerts).toEqual([expect.objectContaining({ type: "warning", severity: "high", title: "Deny list not applied", description: failed.error, groupKey: "deny-list:problem" })]);
    expect(activityTypes()).toEqual(["ban.added 192.0.2.20", "ban.added 192.0.2.21", "ban.failed"]);
    expect((await denyListCheck(ctx))[0]).toMatchObject({ status: "warning", message: expect.stringContaining("failed its test") });
    expect((await denyList.sweep(clock.now))?.error).toBe(failed.error); // retried: the same failure is not raised again
    expect(alerts).toHaveLength(1);

    rmSync(broken);
    expect(await denyList.sweep(clock.now)).toMatchObject({ written: true, addresses: 2, reload: "ok", error: null });
    expect(denyLines(config.ban.file)).toEqual(["deny 192.0.2.20; # until removed", "deny 192.0.2.21; # until removed"]);
    expect((await denyListCheck(ctx))[0]).toMatchObject({ status: "pass" });
  });

  test("a burst of 300 bans from one IPv6 /64 is gathered into one or two writes and reloads, and never more lines than max_entries", async () => {
    const dir = tempDir();
    const reloads = join(dir, "reloads");
    const reload = join(dir, "reload.sh");
    writeFileSync(reload, `#!/bin/sh\necho run >> ${reloads}\n`, { mode: 0o755 });
    const { config, clock, denyList, alerts } = setup({ MOAT_BAN_THRESHOLD: "1", MOAT_BAN_MAX_ENTRIES: "100", MOAT_BAN_RELOAD_COMMAND: reload });
    // As the bus delivers them: in batches, with the event loop turning between them.
    for (let batch = 0; batch < 30; batch++) {
      for (let i = 0; i < 10; i++) denyList.onThreat(threat(`2001:db8:1:2::${(batch * 10 + i).toString(16)}`, clock.now));
      await Bun.sleep(5);
    }
    await denyList.idle();
    const runs = readFileSync(reloads, "utf8").trim().split("\n");
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs.length).toBeLessThanOrEqual(2);
    expect(denyLines(config.ban.file)).toHaveLength(100);
    expect(alerts.filter((a) => a.groupKey === "deny-list:full").reduce((n, a) => n + a.occurrences, 0)).toBe(200);
  });
});

const describeNginx = NGINX_BIN ? describe : describe.skip;
if (!NGINX_BIN) console.warn("deny-list.test.ts: the end-to-end test is skipped: nginx is not installed (Debian package nginx; .ci/dev-setup installs it)");

let nginx: NginxInstance | null = null;
let serve: ServeProcess | null = null;
afterAll(async () => {
  serve?.proc.kill("SIGTERM");
  await serve?.proc.exited;
  await nginx?.stop();
});

describeNginx("deny list with a real nginx", () => {
  test("an attacking source lands in the deny file, gets 403 after the reload while others get 200, and 200 again once the ban expires", async () => {
    const dir = tempDir();
    const denyFile = join(dir, "deny.conf");
    writeFileSync(denyFile, ""); // nginx needs the include to exist before Moat first writes it
    nginx = await startNginx(denyingSite(denyFile));
    const attacker = "203.0.113.66";
    const bystander = "198.51.100.23";
    const status = (ip: string, target = "/") => statusFor(nginx!.port, ip, target);
    /** Polls nginx (the reload is asynchronous) until `ip` gets `expected`. */
    const statusBecomes = async (ip: string, expected: number, what: string) => {
      let last = 0;
      await waitFor(what, async () => (last = await status(ip)) === expected, 30_000, serveDetail(serve!, () => ({ ip, status: last })));
    };
    const db = join(dir, "moat.db");
    serve = startServe([], {
      MOAT_STORAGE_DATA_DIR: dir,
      MOAT_INGEST_LOGS: nginx.path("logs/access.log"),
      MOAT_SECURITY_NGINX_CONF: nginx.path("nginx.conf"),
      MOAT_BAN_ENABLED: "true",
      MOAT_BAN_FILE: denyFile,
      MOAT_BAN_THRESHOLD: "3",
      MOAT_BAN_WINDOW_SECONDS: "60",
      // Longer than the wait before automatic bans are written (they are gathered, at most one reload every 2 s).
      MOAT_BAN_DURATION_SECONDS: "6",
      MOAT_BAN_RELOAD_COMMAND: `${NGINX_BIN} -p ${nginx.prefix} -c ${nginx.path("nginx.conf")} -s reload`,
    });
    await waitFor("moat to write the deny file at start", () => readFileSync(denyFile, "utf8").startsWith("# Written by Moat"));
    expect(await status(attacker)).toBe(200);
    expect(await status(bystander)).toBe(200);

    for (const target of ["/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "/item?id=1%27%20UNION%20SELECT%20password%20FROM%20users--", "/search?q=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E", "/item?id=1%27%20OR%20%271%27%3D%271"]) {
      expect(await status(attacker, target)).toBe(200);
    }
    await waitFor("the attacker in the deny file", () => readFileSync(denyFile, "utf8").includes(`deny ${attacker};`), 30_000, serveDetail(serve, () => readFileSync(denyFile, "utf8")));
    await statusBecomes(attacker, 403, "the reload to deny the attacker");
    expect(await status(bystander)).toBe(200);
    expect(readFileSync(denyFile, "utf8")).not.toContain(bystander);

    // Workers of an earlier generation may still answer for a moment after a reload: wait for the file first.
    await waitFor("the ban to expire", () => !readFileSync(denyFile, "utf8").includes(attacker));
    await statusBecomes(attacker, 200, "nginx to let the attacker in again");

    const sqlite = openReadonly(db);
    try {
      expect(sqlite.query("select count(*) as n from bans").get()).toEqual({ n: 0 });
      const activities = sqlite.query<{ type: string; ip: string | null }, []>("select type, ip from activities where type like 'ban.%' order by id").all();
      expect(activities).toEqual([{ type: "ban.added", ip: attacker }, { type: "ban.expired", ip: attacker }]);
      expect(sqlite.query("select status from security_checks where key = 'deny-list'").get()).toEqual({ status: "pass" });
    } finally {
      sqlite.close();
    }
    expect(existsSync(denyFile)).toBe(true);
  }, 90_000);
});

describeNginx("deny list safety with a real nginx", () => {
  test("moat ban add 255.255.255.255 is refused and nginx keeps reloading; a file that fails its test is never swapped in", async () => {
    const dir = tempDir();
    const denyFile = join(dir, "deny.conf");
    writeFileSync(denyFile, "");
    const site = await startNginx(`
      set_real_ip_from 127.0.0.1;
      real_ip_header X-Forwarded-For;
      server {
        listen 127.0.0.1:{{PORT}};
        access_log off;
        include ${denyFile};
        location / { empty_gif; }
      }`);
    try {
      const reloadCommand = `${NGINX_BIN} -p ${site.prefix} -c ${site.path("nginx.conf")} -s reload`;
      const moatConfig = (extra: string) => {
        const file = join(dir, `moat-${Bun.hash(extra)}.toml`);
        writeFileSync(file, `[storage]\ndata_dir = "${dir}"\n\n[ban]\nfile = "${denyFile}"\nreload_command = "${reloadCommand}"\n${extra}`);
        return file;
      };
      const config = moatConfig(""); // test_command "auto": this nginx, on a throwaway configuration
      const statusBecomes = async (ip: string, expected: number) => {
        let last = 0;
        await waitFor(`${ip} to get ${expected}`, async () => (last = await statusFor(site.port, ip)) === expected, 30_000, () => `last status ${last}`);
      };

      const refused = runCli(["ban", "add", "255.255.255.255", "--config", config]);
      expect(refused).toMatchObject({ code: 2, stderr: "moat: 255.255.255.255 is not a unicast address (the broadcast address): only unicast addresses are banned\n" });
      for (const ip of ["0.0.0.0", "::", "224.0.0.1", "ff02::1"]) expect([ip, runCli(["ban", "add", ip, "--config", config]).code]).toEqual([ip, 2]);
      expect(readFileSync(denyFile, "utf8")).toBe("");
      // nginx still takes the file and reloads: a real ban after them works.
      const banned = runCli(["ban", "add", "203.0.113.90", "--config", config]);
      expect(banned.stderr).toBe("");
      expect(banned.code).toBe(0);
      await statusBecomes("203.0.113.90", 403);
      expect(await statusFor(site.port, "198.51.100.90")).toBe(200);

      // The default test is this nginx: it accepts a good candidate and says why it rejects a bad one.
      const nginxTest = denyFileTest("auto", splitCommand(reloadCommand))!;
      expect(nginxTest.describe).toBe(`${NGINX_BIN} -t`);
      expect(await nginxTest.run("deny 203.0.113.90;\ndeny 2001:db8::1;\n")).toBeNull();
      expect(await nginxTest.run("deny 203.0.113.90;\ndeny 255.255.255.255;\n")).toMatch(/nginx: \[emerg\] invalid parameter "255\.255\.255\.255" in <test dir>\/deny\.conf:2/);

      // A candidate that fails its test (here an injected one) never replaces the live file: nginx keeps the bans it had.
      const live = readFileSync(denyFile, "utf8");
      const failingTest = join(dir, "failing-test.sh");
      writeFileSync(failingTest, `#!/bin/sh\necho "nginx: [emerg] rejected for the test" >&2\nexit 1\n`, { mode: 0o755 });
      const failing = runCli(["ban", "add", "203.0.113.91", "--config", moatConfig(`test_command = "${failingTest}"\n`)]);
      expect(failing.code).toBe(74);
      expect(failing.stderr).toContain(`moat: banned 203.0.113.91 until removed, but the deny list is not applied: the new deny file failed its test (${failingTest}), so ${denyFile} was left as it was:`);
      expect(failing.stderr).toContain("nginx: [emerg] rejected for the test");
      expect(readFileSync(denyFile, "utf8")).toBe(live);
      expect(await statusFor(site.port, "203.0.113.91")).toBe(200);
      expect(await statusFor(site.port, "203.0.113.90")).toBe(403);
      // With the test passing again, the next change brings the stored ban in.
      expect(runCli(["ban", "add", "203.0.113.92", "--config", config]).code).toBe(0);
      await statusBecomes("203.0.113.91", 403);
    } finally {
      await site.stop();
    }
  }, 90_000);
});

