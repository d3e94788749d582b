import { describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { openStore } from "../../src/store/db.ts";
import { startBackgroundCheckpoints } from "../../src/store/checkpoints.ts";
import { tempDir } from "../helpers/tmp.ts";
import { waitFor } from "../helpers/serve.ts";

const autoCheckpointPages = (store: ReturnType<typeof openStore>) => store.sqlite.query<{ wal_autocheckpoint: number }, []>("pragma wal_autocheckpoint").get()?.wal_autocheckpoint;

describe("background WAL checkpoints", () => {
  test("a worker checkpoints what the writer commits, and stopping restores automatic checkpoints", async () => {
    const path = join(tempDir(), "moat.db");
    const store = openStore(path);
    const problems: string[] = [];
    const checkpoints = startBackgroundCheckpoints(store, (m) => problems.push(m), 50);
    expect(autoCheckpointPages(store)).toBe(0);
    const before = statSync(path).size;
    store.sqlite.exec("create table filler (x text)");
    const insert = store.sqlite.prepare("insert into filler values (?)");
    store.sqlite.transaction(() => {
      for (let i = 0; i < 5000; i++) insert.run("x".repeat(500));
    })();
    // Only a checkpoint moves committed pages from the WAL into the database file.
    await waitFor("the worker's checkpoint", () => statSync(path).size > before + 2_000_000, 20_000);
    checkpoints.stop();
    expect(autoCheckpointPages(store)).toBe(1000);
    expect(problems).toEqual([]);
    store.close();
  });

  test("a worker that cannot open the database hands checkpoints back to SQLite and says why", async () => {
    const store = openStore(join(tempDir(), "moat.db"));
    const problems: string[] = [];
    const broken = { ...store, path: join(tempDir(), "missing-dir", "nope", "moat.db") };
    const checkpoints = startBackgroundCheckpoints(broken, (m) => problems.push(m), 50);
    await waitFor("the failure report", () => problems.length > 0, 20_000);
    expect(problems[0]).toContain("back to automatic checkpoints");
    expect(autoCheckpointPages(store)).toBe(1000);
    checkpoints.stop();
    store.close();
  });
});
