/**
 * A damaged database is noticed: a real database written by the store's writer has pages in the
 * middle of the file overwritten (not the header, so it still opens), and then `moat serve`'s start
 * check (its log, /ready, an activity and an alert), `moat doctor` and `moat db check` all report it.
 */
import { describe, expect, test } from "bun:test";
import { closeSync, copyFileSync, openSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { openStore } from "../../src/store/db.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { rawHttpParser } from "../../src/parse/raw-http.ts";
import type { HttpRequest } from "../../src/core/http-request.ts";
import type { Verdict } from "../../src/detect/verdict.ts";
import { startServe, serveDetail, waitFor, waitForListening } from "../helpers/serve.ts";
import { openReadonly } from "../helpers/db.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { DatabaseIntegrity } from "../../src/services/db-integrity.ts";
import type { Logger } from "../../src/core/log.ts";
import type { Activities } from "../../src/services/activities.ts";

const benign: Verdict = { score: 0.01, isAnomaly: false, threshold: 0.5, attackType: "none", severity: "low", reasons: [], modelVersion: "m" };
const request = (i: number): HttpRequest => ({ ...(rawHttpParser.parse(`GET /products?id=${i} HTTP/1.1\nHost: shop.test\n`, { source: "t", line: i }) as HttpRequest), time: Date.now(), clientIp: "192.0.2.7" });

/** A sound database of 10,000 requests (some 280 pages), checkpointed into the main file. */
function soundDatabase(path: string): void {
  const store = openStore(path);
  const writer = new StoreWriter(store);
  for (let batch = 0; batch < 20; batch++) {
    const requests = Array.from({ length: 500 }, (_, i) => request(batch * 500 + i));
    writer.write({ requests, verdicts: requests.map(() => benign) });
  }
  store.sqlite!.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  store.close();
}

/** Overwrites three pages spread over the file's middle and end with garbage; page 1 (the header and the schema) is spared. */
function damage(path: string): void {
  const pageSize = 4096;
  const pages = statSync(path).size / pageSize;
  const fd = openSync(path, "r+");
  try {
    // Pages are numbered from 1: page n starts at (n - 1) * pageSize.
    for (const page of [Math.floor(pages * 0.5), Math.floor(pages * 0.7), Math.floor(pages * 0.9)]) writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (page - 1) * pageSize);
  } finally {
    closeSync(fd);
  }
}

const dir = tempDir();
const sound = join(dir, "sound.db");
soundDatabase(sound);
const damaged = join(dir, "damaged.db");
copyFileSync(sound, damaged);
damage(damaged);

describe("a damaged database", () => {
  test("moat db check: a sound database is ok (exit 0); a damaged one is DAMAGED with SQLite's findings (exit 65)", () => {
    const ok = runCli(["db", "check", "--db", sound, "-c", "/dev/null"]);
    expect([ok.code, ok.stderr]).toEqual([0, ""]);
    expect(ok.stdout).toStartWith(`ok: integrity_check found no problem in ${sound}`);

    const bad = runCli(["db", "check", "--db", damaged, "-c", "/dev/null"]);
    expect(bad.code).toBe(65);
    expect(bad.stdout).toMatch(new RegExp(`^DAMAGED: integrity_check found \\d+ problems? in ${damaged}`));
    expect(bad.stdout).toMatch(/\n {2}Tree \d+ page \d+/);
    expect(bad.stdout).toContain("README, Troubleshooting");

    const json = runCli(["db", "check", "--db", damaged, "-c", "/dev/null", "--json", "--max-errors", "2"]);
    expect(json.code).toBe(65);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ db: damaged, pragma: "integrity_check", ok: false });
    expect(report.problems).toHaveLength(2);

    const missing = runCli(["db", "check", "--db", join(dir, "none.db"), "-c", "/dev/null"]);
    expect([missing.code, missing.stderr.trim()]).toEqual([66, `moat: ${join(dir, "none.db")} does not exist (set storage.db or --db)`]);
  });

  test("moat doctor fails on it and says what to do", () => {
    const args = (db: string) => ["doctor", "--db", db, "-c", "/dev/null", "--log", "/dev/null", "--port", "0", "--nginx", "127.0.0.1:1", "--json"];
    const finding = (db: string) => (JSON.parse(runCli(args(db)).stdout) as { check: string; status: string; message: string }[]).find((f) => f.check === "database integrity");
    expect(finding(sound)?.status).toBe("ok");
    const bad = finding(damaged);
    expect(bad?.status).toBe("fail");
    expect(bad?.message).toMatch(/^quick_check found \d+ problems \(first: .+\): run moat db check/);
    expect(runCli(args(damaged)).code).toBe(1);
  });

  test("moat serve checks it at start: logs it, /ready answers 503 with the reason, and records an activity and a critical alert", async () => {
    const db = join(tempDir(), "moat.db");
    copyFileSync(damaged, db);
    const moat = startServe(["--db", db]);
    const url = await waitForListening(moat);
    let ready: { status: number; body: { ready: boolean; problems: string[] } } | null = null;
    await waitFor(
      "/ready to fail",
      async () => {
        const r = await fetch(`${url}/ready`);
        ready = { status: r.status, body: (await r.json()) as { ready: boolean; problems: string[] } };
        return r.status === 503;
      },
      30_000,
      serveDetail(moat, () => ready),
    );
    expect(ready!.body.ready).toBe(false);
    expect(ready!.body.problems).toHaveLength(1);
    expect(ready!.body.problems[0]).toMatch(/^database damaged \(quick_check\): .*Run moat db check; recovery: README, Troubleshooting$/);
    expect(moat.stderr()).toMatch(/level=error msg="the database is damaged" db=\S+ problems=\d+/);

    const sqlite = openReadonly(db);
    expect(sqlite.query("select type, title from activities where type = 'db.damaged'").all()).toEqual([{ type: "db.damaged", title: "Database damaged" }]);
    expect(sqlite.query("select type, severity, title, source from alerts").all()).toEqual([{ type: "critical", severity: "high", title: "Database damaged", source: "database" }]);
    sqlite.close();
    moat.proc.kill("SIGTERM");
    await moat.proc.exited;
  }, 60_000);

  test.skipIf(!Bun.which("sqlite3"))("README's recovery (sqlite3 .dump into a new file) gives a sound database moat opens, with the readable rows", () => {
    const work = tempDir();
    copyFileSync(damaged, join(work, "moat.db"));
    const recover = `(umask 077; { echo "PRAGMA auto_vacuum = INCREMENTAL;"; sqlite3 moat.db .dump | sed 's/^ROLLBACK; -- due to errors$/COMMIT;/'; } | sqlite3 moat-recovered.db)`;
    expect(Bun.spawnSync(["bash", "-c", recover], { cwd: work }).exitCode).toBe(0);
    const recovered = join(work, "moat-recovered.db");
    expect(runCli(["db", "check", "--db", recovered, "-c", "/dev/null"]).code).toBe(0);
    const stats = JSON.parse(runCli(["db", "stats", "--db", recovered, "-c", "/dev/null", "--json"]).stdout);
    expect(stats.requests).toBe(10_000); // the counters survive
    expect(stats.trafficRows).toBeGreaterThan(1000); // what the damaged pages held is lost
    expect(stats.trafficRows).toBeLessThan(10_000);
    expect((statSync(recovered).mode & 0o777).toString(8)).toBe("600");
  });

  test("a sound database is ready", async () => {
    const db = join(tempDir(), "moat.db");
    copyFileSync(sound, db);
    const moat = startServe(["--db", db]);
    const url = await waitForListening(moat);
    const startCheck = () => {
      const sqlite = openReadonly(db);
      try {
        return sqlite.query<{ details: string }, []>("select details from activities where title = 'Job integrity-check'").get()?.details ?? null;
      } finally {
        sqlite.close();
      }
    };
    await waitFor("the start check", () => startCheck() !== null, 30_000, serveDetail(moat, startCheck));
    expect(startCheck()).toMatch(/^database sound \(quick_check of 1\.\d MB\)/);
    const r = await fetch(`${url}/ready`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ ready: true, problems: [] });
    moat.proc.kill("SIGTERM");
    await moat.proc.exited;
  }, 60_000);
});

describe("a check under way when moat serve stops", () => {
  test("is ended with its worker, and its result never reaches the closed store", async () => {
    const dir = tempDir();
    const store = openStore(join(dir, "moat.db"));
    const recorded: string[] = [];
    const log = { error: (msg: string) => recorded.push(msg) } as unknown as Logger;
    const activities = { record: (a: { type: string }) => recorded.push(a.type) } as unknown as Activities;
    const integrity = new DatabaseIntegrity({ store, activities, log }, { raiseAlert: () => { recorded.push("alert"); throw new Error("no alert expected"); } });
    const running = integrity.check();
    integrity.close();
    store.close();
    expect(await running).toBe("stopped with moat serve");
    expect(recorded).toEqual([]);
  });
});
