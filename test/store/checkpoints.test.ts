import { describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { openStore } from "../../src/store/db.ts";
import { startBackgroundCheckpoints } from "../../src/store/checkpoints.ts";
import { tempDir } from "../helpers/tmp.ts";
import { waitFor } from "../helpers/serve.ts";

describe("background WAL checkpoints", () => {
  test("a worker copies what the writer commits into the database file", async () => {
    const path = join(tempDir(), "moat.db");
    const store = openStore(path);
    // Only the worker may checkpoint in this test: the writer's own automatic checkpoint is off.
    store.sqlite!.exec("PRAGMA wal_autocheckpoint = 0");
    const problems: string[] = [];
    const checkpoints = startBackgroundCheckpoints(store, { warn: (m) => problems.push(m), info: (m) => problems.push(m) }, 50);
    const before = statSync(path).size;
    store.sqlite!.exec("create table filler (x text)");
    const insert = store.sqlite!.prepare("insert into filler values (?)");
    store.sqlite!.transaction(() => {
      for (let i = 0; i < 5000; i++) insert.run("x".repeat(500));
    })();
    // Only a checkpoint moves committed pages from the WAL into the database file.
    await waitFor("the worker's checkpoint", () => statSync(path).size > before + 2_000_000, 20_000);
    checkpoints.stop();
    expect(problems).toEqual([]);
    store.close();
  });

  test("a worker that cannot open the database says why, and the store keeps working", async () => {
    const store = openStore(join(tempDir(), "moat.db"));
    const problems: string[] = [];
    const broken = { ...store, path: join(tempDir(), "missing-dir", "nope", "moat.db") };
    startBackgroundCheckpoints(broken, { warn: (m) => problems.push(m), info: (m) => problems.push(m) }, 50);
    await waitFor("the failure report", () => problems.length > 0, 20_000);
    expect(problems[0]).toContain("SQLite's own checkpoints carry on");
    store.sqlite!.exec("create table t (x); insert into t values (1)");
    expect(store.sqlite!.query<{ n: number }, []>("select count(*) as n from t").get()?.n).toBe(1);
    store.close();
  });
});
