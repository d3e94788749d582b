/**
 * `moat db vacuum` reports the database file and its write-ahead log each on its own, before and
 * after, as they are on disk (it used to add the log to the database and call the sum the database).
 */
import { describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { openStore } from "../../src/store/db.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { rawHttpParser } from "../../src/parse/raw-http.ts";
import type { HttpRequest } from "../../src/core/http-request.ts";
import type { Verdict } from "../../src/detect/verdict.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

const benign: Verdict = { score: 0.01, isAnomaly: false, threshold: 0.5, attackType: "none", severity: "low", reasons: [], modelVersion: "m" };
const request = (i: number): HttpRequest => ({ ...(rawHttpParser.parse(`GET /products?id=${i}&q=${"x".repeat(200)} HTTP/1.1\nHost: shop.test\n`, { source: "t", line: i }) as HttpRequest), time: Date.now(), clientIp: "192.0.2.7" });
const size = (path: string) => statSync(path, { throwIfNoEntry: false })?.size ?? 0;

describe("moat db vacuum", () => {
  test("database and write-ahead log sizes, each before and after, match the files", () => {
    const db = join(tempDir(), "moat.db");
    const store = openStore(db);
    const writer = new StoreWriter(store);
    for (let batch = 0; batch < 10; batch++) {
      const requests = Array.from({ length: 500 }, (_, i) => request(batch * 500 + i));
      writer.write({ requests, verdicts: requests.map(() => benign) });
    }
    store.sqlite!.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    // Free pages in the database file, and changes still in the write-ahead log (this connection stays open, as moat serve's would).
    store.sqlite!.exec("delete from traffic where id % 10 != 0");
    const before = { database: size(db), wal: size(`${db}-wal`) };
    expect(before.wal).toBeGreaterThan(0);
    try {
      const r = runCli(["db", "vacuum", "--db", db, "-c", "/dev/null", "--json"]);
      expect([r.code, r.stderr]).toEqual([0, ""]);
      const report = JSON.parse(r.stdout);
      // Opening the store (its migrations check) may add a frame to the log before the command measures it.
      expect(report).toEqual({ db, database: { before: before.database, after: size(db) }, wal: { before: expect.any(Number), after: size(`${db}-wal`) }, checkpointed: true });
      expect(report.wal.before).toBeGreaterThanOrEqual(before.wal);
      expect(report.wal.before).toBeLessThan(before.wal + 2 * 4096);
      expect(report.database.after).toBeLessThan(before.database / 2);
      expect(report.wal.after).toBe(0);

      const text = runCli(["db", "vacuum", "--db", db, "-c", "/dev/null"]);
      const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
      expect(text.stdout).toBe(`vacuumed ${db}: database ${mb(report.database.after)} → ${mb(size(db))}, write-ahead log 0.0 MB → 0.0 MB\n`);
    } finally {
      store.close();
    }
  });
});
