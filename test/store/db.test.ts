import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openStore } from "../../src/store/db.ts";
import { JOURNAL, MIGRATION_SQL } from "../../src/store/migrations/index.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { rawHttpParser } from "../../src/parse/raw-http.ts";
import type { HttpRequest } from "../../src/core/http-request.ts";
import type { Verdict } from "../../src/detect/verdict.ts";
import { tempDir } from "../helpers/tmp.ts";

const req = (target: string, time: number) => ({ ...(rawHttpParser.parse(`GET ${target} HTTP/1.1\nHost: x\n`, { source: "t", line: 1 }) as HttpRequest), time });
const verdict = (isAnomaly: boolean): Verdict => ({ score: isAnomaly ? 0.99 : 0.01, isAnomaly, threshold: 0.5, attackType: isAnomaly ? "sqli" : null, severity: isAnomaly ? "critical" : "none", reasons: [], modelVersion: "m" });

describe("store", () => {
  test("every migration drizzle-kit wrote is embedded, and only those", () => {
    const dir = join(import.meta.dir, "../../src/store/migrations");
    const files = readdirSync(dir).filter((f) => f.endsWith(".sql")).map((f) => f.slice(0, -4)).sort();
    expect(JOURNAL.entries.map((e) => e.tag).sort()).toEqual(files);
    expect(Object.keys(MIGRATION_SQL).sort()).toEqual(files);
  });

  test("opens in WAL mode, migrates, and reopens an existing database", () => {
    const path = join(tempDir(), "sub", "moat.db");
    const first = openStore(path);
    expect(first.sqlite!.query<{ journal_mode: string }, []>("pragma journal_mode").get()?.journal_mode).toBe("wal");
    first.close();
    const again = openStore(path);
    expect(again.sqlite!.query<{ n: number }, []>("select count(*) as n from __drizzle_migrations").get()?.n).toBe(JOURNAL.entries.length);
    again.close();
  });

  test("a database from before key scopes upgrades in place: its keys become admin keys under the server's rate limit", () => {
    const path = join(tempDir(), "old.db");
    // The database as the release before 0003 left it: migrated by the journal's first three entries.
    const before = JOURNAL.entries.slice(0, 3);
    const folder = tempDir("moat-old-migrations-");
    mkdirSync(join(folder, "meta"));
    writeFileSync(join(folder, "meta", "_journal.json"), JSON.stringify({ ...JOURNAL, entries: before }));
    for (const e of before) writeFileSync(join(folder, `${e.tag}.sql`), MIGRATION_SQL[e.tag]!);
    const old = new Database(path, { create: true });
    migrate(drizzle(old), { migrationsFolder: folder });
    old.run("insert into api_keys (name, prefix, hash, created_at) values ('ci', 'abcdefgh', 'hash', 1)");
    old.close();

    const store = openStore(path);
    expect(store.sqlite!.query("select name, scope, rate_limit from api_keys").all()).toEqual([{ name: "ci", scope: "admin", rate_limit: null }]);
    expect(store.sqlite!.query<{ n: number }, []>("select count(*) as n from __drizzle_migrations").get()?.n).toBe(JOURNAL.entries.length);
    store.close();
  });

  test("waits for a lock another process holds for a moment (a reader, or a restart's WAL recovery) instead of failing", async () => {
    const path = join(tempDir(), "moat.db");
    openStore(path).close();
    // The holder takes the lock, and keeps it for 300 ms from the moment this process says it is opening.
    const holder = Bun.spawn([process.execPath, "-e", `
      const { Database } = require("bun:sqlite");
      const db = new Database(process.argv.at(-1));
      db.exec("BEGIN EXCLUSIVE");
      db.exec("create table held (x)");
      console.log("locked");
      for await (const chunk of Bun.stdin.stream()) break;
      await Bun.sleep(300);
      db.exec("COMMIT");
      db.close();`, path], { stdin: "pipe", stdout: "pipe" });
    const { value } = await holder.stdout.getReader().read();
    expect(new TextDecoder().decode(value)).toBe("locked\n");
    holder.stdin.write("opening\n");
    await holder.stdin.flush();
    const store = openStore(path);
    // Opened once the holder had committed: its table is there.
    expect(store.sqlite!.query<{ n: number }, []>("select count(*) as n from sqlite_master where name = 'held'").get()?.n).toBe(1);
    store.close();
    expect(await holder.exited).toBe(0);
  });

  test("a batch is written whole: traffic, threats, minute rollups, totals and the checkpoint", () => {
    const store = openStore(join(tempDir(), "w.db"));
    const writer = new StoreWriter(store);
    const t0 = Date.UTC(2026, 10, 24, 12, 0, 10);
    writer.write({
      requests: [req("/a", t0), req("/b?x=%27", t0 + 5_000), req("/c", t0 + 61_000)],
      verdicts: [verdict(false), verdict(true), verdict(false)],
      rejected: 2,
      checkpoint: { path: "/var/log/a.log", files: [{ path: "/var/log/a.log", dev: 1, ino: 2, fingerprint: "f", offset: 300, line: 6 }] },
    });
    const rows = (sql: string) => store.sqlite!.query(sql).all();
    expect(rows("select count(*) as n from traffic")).toEqual([{ n: 3 }]);
    expect(rows("select attack_type, endpoint from threats")).toEqual([{ attack_type: "sqli", endpoint: "/b" }]);
    expect(rows("select bucket, requests, flagged, by_type from metric_rollups order by bucket")).toEqual([
      { bucket: Date.UTC(2026, 10, 24, 12, 0), requests: 2, flagged: 1, by_type: '{"sqli":1}' },
      { bucket: Date.UTC(2026, 10, 24, 12, 1), requests: 1, flagged: 0, by_type: "{}" },
    ]);
    expect(rows("select key, value from counters order by key")).toEqual([{ key: "rejected", value: 2 }, { key: "requests", value: 3 }, { key: "threats", value: 1 }]);
    expect(writer.checkpoints()).toEqual([{ path: "/var/log/a.log", files: [{ path: "/var/log/a.log", dev: 1, ino: 2, fingerprint: "f", offset: 300, line: 6 }] }]);
    writer.write({ requests: [req("/d", t0 + 1000)], verdicts: [verdict(true)] });
    expect(rows("select requests, flagged, by_type from metric_rollups order by bucket limit 1")).toEqual([{ requests: 3, flagged: 2, by_type: '{"sqli":2}' }]);
    store.close();
  });
});
