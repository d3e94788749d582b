import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Scheduler } from "../../src/jobs/scheduler.ts";
import { Activities } from "../../src/services/activities.ts";
import { Bus } from "../../src/pipeline/bus.ts";
import { openStore } from "../../src/store/db.ts";
import { createLogger } from "../../src/core/log.ts";
import { tempDir } from "../helpers/tmp.ts";

describe("scheduler", () => {
  const store = openStore(join(tempDir(), "s.db"));
  const activities = new Activities(store, new Bus());
  const lines: string[] = [];
  const scheduler = new Scheduler({ activities, log: createLogger({ level: "debug", format: "json", write: (l) => lines.push(l) }), now: () => 1000 });

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
    const pages = full.sqlite.query<{ page_count: number }, []>("pragma page_count").get()!.page_count;
    full.sqlite.exec(`PRAGMA max_page_count = ${pages}`);
    // Full up to the last byte of the activities table's last page: smaller and smaller rows.
    const filler = new Activities(full, new Bus());
    for (const size of [200, 20, 0]) {
      expect(() => {
        for (;;) filler.record({ type: "job.run", title: "", details: "x".repeat(size) });
      }).toThrow("database or disk is full");
    }
    const dropped: string[] = [];
    const onFullDisk = new Scheduler({ activities: new Activities(full, new Bus(), (e, a) => dropped.push(`${a.type}: ${e.message}`)), log: createLogger({ level: "error", format: "json", write: () => {} }), now: () => 1000 });
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
});
