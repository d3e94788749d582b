/**
 * The database commands on a PostgreSQL URL (a hub's database), as scripts call them: `--db
 * postgres://...` or MOAT_STORAGE_DB, never showing the password.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { runCli } from "../helpers/cli.ts";
import { postgres, PG_SKIP } from "../helpers/postgres.ts";
import { readDatabase } from "../helpers/db.ts";

describe.skipIf(Boolean(PG_SKIP))("moat db on PostgreSQL", () => {
  let url = "";
  beforeAll(async () => {
    url = await (await postgres()).database();
  });
  const cli = (...args: string[]) => runCli([...args, "--db", url, "--config", "/dev/null"]);

  test("keys, bans and stats --json work on a postgres:// URL as on a file", () => {
    const key = cli("apikey", "create", "web-1", "--scope", "agent");
    expect(key.code).toBe(0);
    expect(key.stdout.trim()).toMatch(/^moat_/);
    expect(cli("decisions", "add", "203.0.113.9", "--duration", "1h", "--reason", "probe").code).toBe(0);
    expect(cli("decisions", "list", "-o", "json").stdout).toContain("203.0.113.9");
    const stats = cli("db", "stats", "--json");
    expect(stats.code).toBe(0);
    const json = JSON.parse(stats.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ requests: 0, threats: 0, alerts: 0, trafficRows: 0, rejectedLines: 0, db: url });
    expect(json.dbBytes).toBeGreaterThan(0);
  });

  test("prune and vacuum run; db check says it is SQLite's, and the export works", () => {
    expect(cli("db", "prune").code).toBe(0);
    const vacuum = cli("db", "vacuum", "--json");
    expect([vacuum.code, JSON.parse(vacuum.stdout)]).toEqual([0, { db: url, vacuumed: true }]);
    const check = cli("db", "check");
    expect(check.code).toBe(2);
    expect(check.stderr).toContain("SQLite's integrity_check");
    expect(cli("db", "export").code).toBe(0);
  });

  test("a password in the URL never shows: not in stats, not in an error", () => {
    const withPassword = url.replace("moat@", "moat:hunter2@");
    const stats = runCli(["db", "stats", "--json", "--db", withPassword, "--config", "/dev/null"]);
    expect(stats.code).toBe(0);
    expect(stats.stdout).not.toContain("hunter2");
    expect(JSON.parse(stats.stdout).db).toContain("moat:***@");
    const wrong = runCli(["db", "stats", "--db", withPassword.replace(/\/[^/]+$/, "/no_such_db"), "--config", "/dev/null"]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain("cannot connect to postgres://moat:***@");
    expect(`${wrong.stdout}${wrong.stderr}`).not.toContain("hunter2");
  });

  test("moat doctor on a URL says whether the schema is this build's, and migrates nothing", async () => {
    const empty = await (await postgres()).database();
    const doctor = (db: string) => {
      const r = runCli(["doctor", "--db", db, "--config", "/dev/null", "--json"]);
      return (JSON.parse(r.stdout) as { check: string; status: string; message: string }[]).find((f) => f.check === "database");
    };
    expect(doctor(empty)).toMatchObject({ status: "ok", message: expect.stringContaining("empty: moat makes its tables at its first start") });
    expect(readDatabase(empty, (db) => db.query("select to_regclass('moat_migrations') is not null as made").get())).toEqual({ made: false });
    expect(doctor(url)).toMatchObject({ status: "ok", message: expect.stringContaining("schema up to date") });
    expect(doctor(url.replace(/\/[^/]+$/, "/no_such_db"))).toMatchObject({ status: "fail" });
  });
});
