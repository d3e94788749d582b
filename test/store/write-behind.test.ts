import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openStore } from "../../src/store/db.ts";
import { WriteBehind } from "../../src/pipeline/sinks/write-behind.ts";
import { Bus, type BusEvent } from "../../src/pipeline/bus.ts";
import { rawHttpParser } from "../../src/parse/raw-http.ts";
import type { HttpRequest } from "../../src/core/http-request.ts";
import type { Verdict } from "../../src/detect/verdict.ts";
import { tempDir } from "../helpers/tmp.ts";

const req = (target: string) => rawHttpParser.parse(`GET ${target} HTTP/1.1\nHost: x\n`, { source: "inline", line: 1 }) as HttpRequest;
const verdict = (isAnomaly: boolean): Verdict => ({ score: isAnomaly ? 0.99 : 0.01, isAnomaly, threshold: 0.5, attackType: isAnomaly ? "sqli" : null, severity: isAnomaly ? "critical" : "none", reasons: [], modelVersion: "m" });

describe("write-behind of inline checks", () => {
  test("stores and publishes what was checked; a failed write is counted and reported, never thrown", () => {
    const store = openStore(join(tempDir(), "moat.db"));
    const bus = new Bus();
    const events: BusEvent["type"][] = [];
    bus.subscribe((e) => void events.push(e.type));
    const errors: string[] = [];
    const writer = new WriteBehind(store, bus, (e) => errors.push(e.message));

    writer.add([req("/a"), req("/b?id=1'--")], [verdict(false), verdict(true)], [false, false]);
    writer.flush();
    expect(events).toEqual(["traffic", "traffic", "threat"]);
    expect(store.sqlite!.query<{ n: number }, []>("select count(*) as n from traffic").get()?.n).toBe(2);

    // A database that refuses writes (as a full disk does) loses these rows: they are counted, not thrown.
    store.sqlite!.exec("PRAGMA query_only = ON");
    writer.add([req("/c"), req("/d")], [verdict(false), verdict(false)], [false, false]);
    expect(() => writer.flush()).not.toThrow();
    expect(writer.failures).toBe(2);
    expect(errors).toHaveLength(1);
    expect(events).toHaveLength(3); // nothing published for rows that were not stored

    store.sqlite!.exec("PRAGMA query_only = OFF");
    writer.add([req("/e")], [verdict(false)], [false]);
    writer.flush();
    expect(store.sqlite!.query<{ n: number }, []>("select count(*) as n from traffic").get()?.n).toBe(3);
    store.close();
  });
});
