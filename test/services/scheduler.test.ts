import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Scheduler } from "../../src/jobs/scheduler.ts";
import { Activities } from "../../src/services/activities.ts";
import { Bus } from "../../src/pipeline/bus.ts";
import { openStore } from "../../src/store/db.ts";
import { createLogger } from "../../src/core/log.ts";
import { tempDir } from "../helpers/tmp.ts";
import { postgres, PG_SKIP } from "../helpers/postgres.ts";

describe("scheduler", () => {
  const store = openStore(join(tempDir(), "s.db"));
  const activities = new Activities(store, new Bus());
  const lines: string[] = [];
  const scheduler = new Scheduler({ activities, store, log: createLogger({ level: "debug", format: "json", write: (l) => lines.push(l) }), now: () => 1000 });

  test("a run with a summary and every failure become activities; a quiet run does not", async () => {
    let calls = 0;
    scheduler.add({ name: "quiet", pattern: "0 0 1 1 *", run: () => (calls++, null) });
    scheduler.add({ name: "busy", pattern: "0 0 1 1 *", run: () => "pruned 5 rows" });
    scheduler.add({ name: "broken", pattern: "0 0 1 1 *", run: () => { throw new Error("disk full"); } });
    expect(await scheduler.runNow("quiet")).toBeNull();
    expect(await scheduler.runNow("busy")).toBe("pruned 5 rows");
    expect(await scheduler.runNow("broken")).toBeNull();
    expect(calls).toBe(1);
    const recorded = activities.list({ limit: 10 }).map((a) => [a.type, a.title]);
    expect(recorded).toContainEqual(["job.run", "Job busy"]);
    expect(recorded).toContainEqual(["job.failed", "Job broken failed"]);
    expect(recorded.some(([, t]) => t === "Job quiet")).toBe(false);
    expect(lines.some((l) => l.includes('"job":"broken"') && l.includes("disk full"))).toBe(true);
    expect(scheduler.nextRun("busy")?.getUTCMonth()).toBe(0);
  });

  test("a failure that cannot be stored as an activity either (a full disk) is reported, and the run still ends", async () => {
    const full = openStore(join(tempDir(), "full.db"));
    const pages = full.sqlite!.query<{ page_count: number }, []>("pragma page_count").get()!.page_count;
    full.sqlite!.exec(`PRAGMA max_page_count = ${pages}`);
    // Full up to the last byte of the activities table's last page: smaller and smaller rows.
    const filler = new Activities(full, new Bus());
    for (const size of [200, 20, 0]) {
      expect(() => {
        for (;;) filler.record({ type: "job.run", title: "", details: "x".repeat(size) });
      }).toThrow("database or disk is full");
    }
    const dropped: string[] = [];
    const onFullDisk = new Scheduler({ activities: new Activities(full, new Bus(), (e, a) => dropped.push(`${a.type}: ${e.message}`)), store: full, log: createLogger({ level: "error", format: "json", write: () => {} }), now: () => 1000 });
    const job = { name: "writer", pattern: "", run: () => { throw new Error("database or disk is full"); } };
    expect(await onFullDisk.run(job)).toBeNull();
    expect(dropped).toEqual(["job.failed: database or disk is full"]);
    full.close();
  });

  test("a job scheduled every second runs by itself and never overlaps itself", async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    scheduler.add({
      name: "slow",
      pattern: "* * * * * *",
      run: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        runs++;
        await Bun.sleep(1500);
        running--;
        return null;
      },
    });
    const until = Date.now() + 10_000;
    while (runs < 2 && Date.now() < until) await Bun.sleep(100);
    scheduler.stop();
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(maxRunning).toBe(1);
  }, 20_000);

  (PG_SKIP ? test.skip : test)("two hubs on one PostgreSQL: a shared job runs on one of them, a per-process job on both; when that hub goes, the other takes its jobs", async () => {
    const url = await (await postgres()).database();
    const quiet = createLogger({ level: "error", format: "json", write: () => {} });
    const hubs = [openStore(url), openStore(url)];
    const runs: string[] = [];
    const jobs = (i: number) => ({
      retention: { name: "retention", pattern: "", run: () => (runs.push(`retention@${i}`), null) },
      metrics: { name: "metrics", pattern: "", run: () => (runs.push(`metrics@${i}`), null), perProcess: true },
    });
    const schedulers = hubs.map((store) => new Scheduler({ activities: new Activities(store, new Bus()), store, log: quiet, now: () => 1000 }));
    for (let tick = 0; tick < 3; tick++) for (const [i, s] of schedulers.entries()) for (const job of Object.values(jobs(i))) await s.run(job);
    expect(runs.filter((r) => r.startsWith("retention"))).toEqual(["retention@0", "retention@0", "retention@0"]);
    expect(runs.filter((r) => r.startsWith("metrics")).length).toBe(6);
    // Hub 0 is gone (its connection with it): hub 1 runs retention from its next tick, and alone.
    hubs[0]!.close();
    runs.length = 0;
    for (let tick = 0; tick < 50 && !runs.length; tick++) {
      await schedulers[1]!.run(jobs(1).retention);
      if (!runs.length) await Bun.sleep(100); // PostgreSQL notices the closed connection
    }
    await schedulers[1]!.run(jobs(1).retention);
    expect(runs).toEqual(["retention@1", "retention@1"]);
    hubs[1]!.close();
  });

  (PG_SKIP ? test.skip : test)("a hub whose connection drops holds its jobs again only once it has taken them again: never two hubs running one", async () => {
    const url = await (await postgres()).database();
    const quiet = createLogger({ level: "error", format: "json", write: () => {} });
    const [a, b] = [openStore(url), openStore(url)];
    const runs: string[] = [];
    const job = (name: string) => ({ name: "retention", pattern: "", run: () => (runs.push(name), null) });
    const [ha, hb] = [a, b].map((store) => new Scheduler({ activities: new Activities(store, new Bus()), store, log: quiet, now: () => 1000 }));
    await ha!.run(job("a"));
    await ha!.run(job("a"));
    // a's connection ends (PostgreSQL restarted, the network dropped): its lock with it.
    expect(() => a.sql.exec("select pg_terminate_backend(pg_backend_pid())")).toThrow();
    await ha!.run(job("a")); // a new connection: a takes the lock again, and holds it
    await hb!.run(job("b"));
    await ha!.run(job("a"));
    await hb!.run(job("b"));
    expect(runs).toEqual(["a", "a", "a", "a"]);
    a.close();
    b.close();
  });
});
