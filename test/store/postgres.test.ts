/**
 * The store on a real PostgreSQL (test/helpers/postgres.ts): the synchronous client, the schema made
 * from SQLite's, migrations, and the writer's one transaction per batch.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { getTableConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import { getTableConfig as pgTableConfig, PgTable } from "drizzle-orm/pg-core";
import { is } from "drizzle-orm";
import { openStore, type Store } from "../../src/store/db.ts";
import * as sqliteSchema from "../../src/store/schema.ts";
import * as pgSchema from "../../src/store/pg/schema.ts";
import { PG_JOURNAL, PG_MIGRATION_SQL } from "../../src/store/pg/migrations/index.ts";
import { numberPlaceholders, PgError, PgSyncClient, toPostgres } from "../../src/store/pg/sync-client.ts";
import { redactedDatabaseUrl } from "../../src/store/sql-client.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { dbStats } from "../../src/store/stats.ts";
import { enforceRetention } from "../../src/services/retention.ts";
import { rawHttpParser } from "../../src/parse/raw-http.ts";
import type { HttpRequest } from "../../src/core/http-request.ts";
import type { Verdict } from "../../src/detect/verdict.ts";
import { postgres, PG_SKIP } from "../helpers/postgres.ts";

const describePg = PG_SKIP ? describe.skip : describe;

test("placeholders become PostgreSQL's, outside literals, quoted names and comments; SQLite's instr is strpos", () => {
  expect(numberPlaceholders(`select * from "a?" where x = ? and y = '?' -- ?\nand z = ?`)).toBe(`select * from "a?" where x = $1 and y = '?' -- ?\nand z = $2`);
  expect(numberPlaceholders("select ?1 where a < ?2 limit ?1")).toBe("select $1 where a < $2 limit $1");
  expect(toPostgres("where instr(path, ?) > 0")).toBe("where strpos(path, $1) > 0");
  expect(toPostgres(`select json_group_array(distinct "t"."a") from t`)).toBe(`select json_agg(distinct "t"."a")::text from t`);
  expect(toPostgres(`insert into "m" ("a", "b") values (?, ?) on conflict ("m"."a", "m"."b") do update set "b" = "m"."b" + ?`)).toBe(`insert into "m" ("a", "b") values ($1, $2) on conflict ("a", "b") do update set "b" = "m"."b" + $3`);
});

test("an answer that reaches the client after its flag is waited for: each statement gets its own answer, never the one before's", () => {
  const client = new PgSyncClient("postgres://unused", { worker: join(import.meta.dir, "fixtures/late-answer-pg-worker.ts") });
  try {
    expect(client.execute("select 1").rows).toEqual([["select 1"]]);
    expect(client.execute("select 2").rows).toEqual([["select 2"]]);
    expect(client.execute("select ?", [3]).rows).toEqual([["select $1"]]);
  } finally {
    client.close();
  }
});

test("an answer that never arrives fails its statement and replaces the connection's thread: the next statement gets its own answer", async () => {
  const client = new PgSyncClient("postgres://unused", { worker: join(import.meta.dir, "fixtures/late-answer-pg-worker.ts"), answerTransitMs: 200 });
  try {
    expect(() => client.execute("lost")).toThrow(expect.objectContaining({ code: "no-answer" }));
    // The lost answer comes 500 ms after it was asked for, to the replaced thread's port, not to this statement.
    await Bun.sleep(600);
    expect(client.execute("select 2").rows).toEqual([["select 2"]]);
    expect(client.execute("select 3").rows).toEqual([["select 3"]]);
  } finally {
    client.close();
  }
});

test("a URL shown anywhere has no password", () => {
  expect(redactedDatabaseUrl("postgres://moat:s3cret@db.internal:5432/moat")).toBe("postgres://moat:***@db.internal:5432/moat");
  expect(redactedDatabaseUrl("/var/lib/moat/moat.db")).toBe("/var/lib/moat/moat.db");
});

test("every SQLite table has its PostgreSQL twin, column for column, and every migration drizzle-kit wrote is embedded", () => {
  const tables = Object.values(sqliteSchema).filter((v) => typeof v === "object" && v !== null && Symbol.for("drizzle:Name") in v) as SQLiteTable[];
  const twins = new Map(Object.values(pgSchema).flatMap((t) => (is(t, PgTable) ? [[pgTableConfig(t).name, pgTableConfig(t)] as const] : [])));
  expect(tables.length).toBeGreaterThan(10);
  for (const table of tables) {
    const config = getTableConfig(table);
    const twin = twins.get(config.name);
    expect([config.name, Boolean(twin)]).toEqual([config.name, true]);
    expect(twin!.columns.map((c) => [c.name, c.notNull]).sort()).toEqual(config.columns.map((c) => [c.name, c.notNull]).sort());
    expect(twin!.indexes.map((i) => i.config.name).sort()).toEqual(config.indexes.map((i) => i.config.name).sort());
  }
  const files = readdirSync(join(import.meta.dir, "../../src/store/pg/migrations")).filter((f) => f.endsWith(".sql")).map((f) => f.slice(0, -4)).sort();
  expect(PG_JOURNAL.entries.map((e) => e.tag).sort()).toEqual(files);
  expect(Object.keys(PG_MIGRATION_SQL).sort()).toEqual(files);
});

describePg("PostgreSQL", () => {
  let url = "";
  beforeAll(async () => {
    url = await (await postgres()).database();
  });

  test("the synchronous client: rows, numbers as numbers, transactions that roll back, savepoints, errors with their SQLSTATE", () => {
    const c = new PgSyncClient(url);
    try {
      c.exec("create table t (id bigint generated by default as identity primary key, v text, n bigint, r double precision)");
      const insert = c.prepare("insert into t (v, n, r) values (?, ?, ?) returning id");
      expect(insert.values("a?", 1764928800000, 1.5)).toEqual([[1]]);
      expect(c.query("select v, n, r, instr(v, '?') as at from t where v = ?").all("a?")).toEqual([{ v: "a?", n: 1764928800000, r: 1.5, at: 2 }]);
      expect(c.query("select count(*) as n, sum(n) as s, true as b from t").get()).toEqual({ n: 1, s: 1764928800000, b: true });
      const failing = c.transaction((k: number) => {
        for (let i = 0; i < k; i++) insert.run("b", i, 0);
        throw new Error("boom");
      });
      expect(() => failing.immediate(3)).toThrow("boom");
      const nested = c.transaction(() => {
        insert.run("kept", 1, 0);
        try {
          c.transaction(() => {
            insert.run("undone", 2, 0);
            throw new Error("inner");
          })();
        } catch {
          // the savepoint is rolled back, the outer transaction goes on
        }
      });
      nested();
      expect(c.query("select v from t order by id").all()).toEqual([{ v: "a?" }, { v: "kept" }]);
      expect(c.run("delete from t where v = ?", ["kept"])).toEqual({ changes: 1 });
      let error: unknown;
      try {
        c.exec("select nope");
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PgError);
      expect((error as PgError).code).toBe("42703");
    } finally {
      c.close();
    }
  });

  test("openStore takes a postgres:// URL: it migrates once (a second open, like a second hub, changes nothing) and shows no password", async () => {
    const target = await (await postgres()).database();
    const first = openStore(target);
    expect(first.dialect).toBe("postgres");
    expect(first.sqlite).toBeNull();
    expect(first.sql.query("select tag from moat_migrations").all()).toEqual(PG_JOURNAL.entries.map((e) => ({ tag: e.tag })));
    const second = openStore(target);
    expect(second.sql.query("select count(*) as n from moat_migrations").get()).toEqual({ n: PG_JOURNAL.entries.length });
    first.close();
    second.close();
    expect(() => openStore(target.replace("moat@", "moat:hunter2@").replace(/\/[^/]+$/, "/no_such_db"))).toThrow(/cannot connect to postgres:\/\/moat:\*\*\*@/);
  });

  describe("the writer", () => {
    let store: Store;
    const NOW = Date.UTC(2026, 11, 5, 10, 0, 0);
    const req = (target: string, extra: Partial<HttpRequest> = {}): HttpRequest => ({ ...(rawHttpParser.parse(`GET ${target} HTTP/1.1\nHost: shop.example\n`, { source: "t", line: 1 }) as HttpRequest), time: NOW, clientIp: "203.0.113.7", ...extra });
    const benign: Verdict = { score: 0.02, isAnomaly: false, threshold: 0.9, attackType: null, severity: "none", reasons: [], modelVersion: "m" };
    const sqli: Verdict = { score: 0.99, isAnomaly: true, threshold: 0.9, attackType: "sqli", severity: "critical", reasons: [{ field: "query.id", name: "sqli", evidence: "' or 1=1", detector: "generic", weight: 1, detail: "sql.tautology" }], modelVersion: "m" };
    beforeAll(async () => {
      store = openStore(await (await postgres()).database());
    });
    afterAll(() => store?.close());

    test("a batch is one transaction: traffic rows with their ids, the threat in full, the minute's rollup, the totals, the checkpoint", () => {
      const writer = new StoreWriter(store);
      const stored = writer.write({
        requests: [req("/a"), req("/items?id=1'+or+1=1", { status: 500 }), req("/b", { extra: { request_id: "0f3c9a2b7d41e5f68a9b0c1d2e3f4a5b" } })],
        verdicts: [benign, sqli, benign],
        blocked: [false, true, false],
        rejected: 2,
        checkpoint: { path: "/var/log/nginx/access.log", inode: 7, offset: 4096, headHash: "x" } as never,
        now: NOW,
      });
      expect(stored.traffic.map((t) => t.id)).toEqual([1, 2, 3]);
      expect(stored.threats).toEqual([expect.objectContaining({ id: 1, attackType: "sqli", blocked: true, endpoint: "/items" })]);
      expect(store.sql.query("select path, is_anomaly, blocked, status from traffic order by id").all()).toEqual([
        { path: "/a", is_anomaly: 0, blocked: 0, status: null },
        { path: "/items", is_anomaly: 1, blocked: 1, status: 500 },
        { path: "/b", is_anomaly: 0, blocked: 0, status: null },
      ]);
      expect(store.sql.query("select requests, flagged, blocked, errors_5xx from metric_rollups").all()).toEqual([{ requests: 3, flagged: 1, blocked: 1, errors_5xx: 1 }]);
      expect(dbStats(store)).toMatchObject({ requests: 3, threats: 1, trafficRows: 3, rejectedLines: 2 });
      expect(dbStats(store).dbBytes).toBeGreaterThan(0);
      expect(store.sql.query("select path from tail_checkpoints").all()).toEqual([{ path: "/var/log/nginx/access.log" }]);
      // The same request id again: one row, as on SQLite (src/pipeline/join.ts).
      writer.write({ requests: [req("/b", { extra: { request_id: "0f3c9a2b7d41e5f68a9b0c1d2e3f4a5b" } })], verdicts: [sqli], now: NOW });
      expect(store.sql.query("select count(*) as n from traffic").get()).toEqual({ n: 3 });
    });

    test("an agent's batch sent again is stored once", () => {
      const writer = new StoreWriter(store);
      const from = { agent: "web-1", instance: "run-aaaaaaaa", seq: 1, receivedAt: NOW };
      const first = writer.write({ requests: [req("/agent")], verdicts: [benign], from, now: NOW });
      const again = writer.write({ requests: [req("/agent")], verdicts: [benign], from, now: NOW });
      expect([first.duplicate, again.duplicate]).toEqual([false, true]);
      expect(store.sql.query("select agent, count(*) as n from traffic where agent is not null group by agent").all()).toEqual([{ agent: "web-1", n: 1 }]);
    });

    test("an agent's run moves only forward: a lower seq is a duplicate, a new run starting lower is not", () => {
      const writer = new StoreWriter(store);
      const write = (seq: number, instance = "run-cccccccc") => writer.write({ requests: [req(`/run/${instance}/${seq}`)], verdicts: [benign], from: { agent: "web-2", instance, seq, receivedAt: NOW }, now: NOW }).duplicate;
      expect([write(5), write(6), write(6), write(4), write(3, "run-dddddddd")]).toEqual([false, false, true, true, false]);
      expect(store.sql.query("select seq from agent_cursors where agent = 'web-2' order by instance").all()).toEqual([{ seq: 6 }, { seq: 3 }]);
      // The tests after this one count the traffic the ones before wrote.
      store.sql.run("delete from traffic where agent = 'web-2'", []);
    });

    test("rows go in as one array a column: text that looks like array syntax or NULL comes back as it was, and a batch over one statement keeps its rows' order", () => {
      const writer = new StoreWriter(store);
      const odd = ['a"b', "c,d", "{e}", "f\\g", "NULL", "", " sp ", "ü€😀", "x'y", "tab\tnl\nend"];
      const requests = Array.from({ length: 1_001 }, (_, i) => req(`/odd/${i}`, { userAgent: odd[i % odd.length]!, extra: { request_id: `odd-${i}` } }));
      const stored = writer.write({ requests, verdicts: requests.map((_, i) => (i === 1_000 ? sqli : benign)), now: NOW });
      expect(stored.traffic.map((t) => t.path)).toEqual(requests.map((r) => r.path));
      const rows = store.sql.query("select id, path, user_agent, status, request_time from traffic where path like '/odd/%' order by id").all() as { id: number; path: string; user_agent: string; status: number | null; request_time: number | null }[];
      expect(rows.map((r) => r.id)).toEqual(stored.traffic.map((t) => t.id));
      expect(rows.map((r) => r.path)).toEqual(requests.map((r) => r.path));
      expect(rows.slice(0, odd.length).map((r) => r.user_agent)).toEqual(odd);
      expect(rows[0]).toMatchObject({ status: null, request_time: null });
      expect(stored.threats).toEqual([expect.objectContaining({ endpoint: "/odd/1000" })]);
      // A fraction where a whole number is stored (a JSON log's `"size": 1.5`) is rounded, as PostgreSQL rounds a literal.
      writer.write({ requests: [req("/odd/fraction", { status: 200.5, bytesSent: 10.25, time: NOW + 0.5 })], verdicts: [benign], now: NOW });
      expect(store.sql.query("select status, bytes_sent, time from traffic where path = '/odd/fraction'").get()).toEqual({ status: 201, bytes_sent: 10, time: NOW + 1 });
      // The tests after this one count the traffic the ones before wrote.
      store.sql.run("delete from traffic where path like '/odd/%'", []);
      store.sql.run("delete from threats where endpoint like '/odd/%'", []);
    });

    test("retention prunes by age and rows; the size limit is SQLite's only", () => {
      const r = enforceRetention(store, { trafficRows: 2, maxAgeDays: 30, maxDbMb: 16 }, NOW);
      expect(r.trafficDeleted).toBe(2);
      expect(r.threatsTrimmedForSize).toBe(false);
      expect(store.sql.query("select count(*) as n from traffic").get()).toEqual({ n: 2 });
      expect(store.sql.query("select count(*) as n from threats").get()).toEqual({ n: 2 }); // threats are kept by age only
    });
  });
});
