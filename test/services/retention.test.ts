import { describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { openStore } from "../../src/store/db.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { compactIfDue, enforceRetention, usedBytes } from "../../src/services/retention.ts";
import { DAY_MS } from "../../src/services/range.ts";
import { rawHttpParser } from "../../src/parse/raw-http.ts";
import type { HttpRequest } from "../../src/core/http-request.ts";
import type { Verdict } from "../../src/detect/verdict.ts";
import { tempDir } from "../helpers/tmp.ts";

const now = Date.UTC(2026, 10, 24, 12);
const req = (i: number, time: number) => ({ ...(rawHttpParser.parse(`GET /p/${i}?pad=${"x".repeat(200)} HTTP/1.1\nHost: x\nUser-Agent: ua-${i}\n`, { source: "t" }) as HttpRequest), time });
const verdict = (bad: boolean): Verdict => ({ score: bad ? 0.9 : 0.1, isAnomaly: bad, threshold: 0.5, attackType: bad ? "xss" : null, severity: bad ? "high" : "none", reasons: [], modelVersion: "m" });

function fill(writer: StoreWriter, from: number, count: number, time: (i: number) => number, bad: (i: number) => boolean) {
  for (let i = from; i < from + count; i += 500) {
    const ids = Array.from({ length: Math.min(500, from + count - i) }, (_, k) => i + k);
    writer.write({ requests: ids.map((j) => req(j, time(j))), verdicts: ids.map((j) => verdict(bad(j))) });
  }
}

describe("retention", () => {
  test("age: old rows go, recent rows stay; the totals survive", () => {
    const store = openStore(join(tempDir(), "age.db"));
    const writer = new StoreWriter(store);
    fill(writer, 0, 1000, (i) => (i < 400 ? now - 40 * DAY_MS : now - DAY_MS), (i) => i % 10 === 0);
    const r = enforceRetention(store, { trafficRows: 1_000_000, maxAgeDays: 30, maxDbMb: 1024 }, now);
    expect(r.trafficDeleted).toBe(400);
    expect(r.threatsDeleted).toBe(40);
    const count = (t: string) => (store.sqlite!.query(`select count(*) as n from ${t}`).get() as { n: number }).n;
    expect([count("traffic"), count("threats")]).toEqual([600, 60]);
    expect((store.sqlite!.query("select value from counters where key = 'requests'").get() as { value: number }).value).toBe(1000);
    store.close();
  });

  test("rows: the traffic window keeps its limit, flagged rows outlast benign ones", () => {
    const store = openStore(join(tempDir(), "rows.db"));
    fill(new StoreWriter(store), 0, 3000, () => now, (i) => i % 100 === 0);
    enforceRetention(store, { trafficRows: 1000, maxAgeDays: 30, maxDbMb: 1024 }, now);
    expect(store.sqlite!.query("select count(*) as n, sum(is_anomaly) as bad from traffic").get()).toEqual({ n: 1000, bad: 30 });
    expect((store.sqlite!.query("select count(*) as n from threats").get() as { n: number }).n).toBe(30);
    store.close();
  });

  test("size: the database file is brought under its limit", () => {
    const path = join(tempDir(), "size.db");
    const store = openStore(path);
    fill(new StoreWriter(store), 0, 40_000, () => now, (i) => i % 50 === 0);
    const fileBytes = () => statSync(path).size + (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0);
    expect(usedBytes(store)).toBeGreaterThan(8 * 1024 * 1024);
    const r = enforceRetention(store, { trafficRows: 1_000_000, maxAgeDays: 30, maxDbMb: 8 }, now);
    expect(r.usedBytesAfter).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(fileBytes()).toBeLessThanOrEqual(9 * 1024 * 1024);
    expect(r.threatsTrimmedForSize).toBe(false);
    expect(compactIfDue(store, true).vacuumed).toBe(true);
    store.close();
  });
});
