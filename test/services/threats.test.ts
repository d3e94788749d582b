import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { HttpRequest } from "../../src/core/http-request.ts";
import type { Verdict } from "../../src/detect/verdict.ts";
import { clampLimit, MAX_THREAT_ROWS, ThreatQueries } from "../../src/services/threats.ts";
import { openStore, type Store } from "../../src/store/db.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { tempDir } from "../helpers/tmp.ts";

const T0 = Date.UTC(2026, 10, 24, 12, 0);
const A = "203.0.113.1";
const B = "203.0.113.2";
const C = "198.51.100.9";

interface Hit {
  time: number;
  ip: string;
  path: string;
  attack?: string;
}

function request(hit: Hit): HttpRequest {
  return {
    time: hit.time, clientIp: hit.ip, method: "GET", path: hit.path, query: "", params: [], protocol: "HTTP/1.1", status: 200,
    bytesSent: 10, referer: "", userAgent: "test", host: "shop.test", requestTime: 0.01, headers: [], cookies: [], body: null, extra: {}, origin: { source: "test" },
  };
}

function verdict(attack: string | undefined): Verdict {
  return { score: attack ? 0.99 : 0.01, isAnomaly: attack !== undefined, threshold: 0.5, attackType: attack ?? null, severity: attack ? "critical" : "none", reasons: [], modelVersion: "m" };
}

function write(store: Store, hits: Hit[]): void {
  new StoreWriter(store).write({ requests: hits.map(request), verdicts: hits.map((h) => verdict(h.attack)), blocked: hits.map((h) => h.attack !== undefined) });
}

/** Five threats from three clients, one minute apart, and a benign request (not a threat). */
const HITS: Hit[] = [
  { time: T0 + 1 * 60_000, ip: A, path: "/login", attack: "sqli" },
  { time: T0 + 2 * 60_000, ip: A, path: "/search", attack: "xss" },
  { time: T0 + 3 * 60_000, ip: B, path: "/login", attack: "sqli" },
  { time: T0 + 4 * 60_000, ip: C, path: "/files", attack: "traversal" },
  { time: T0 + 5 * 60_000, ip: A, path: "/login", attack: "sqli" },
  { time: T0 + 6 * 60_000, ip: C, path: "/" },
];

let store: Store;
let queries: ThreatQueries;

beforeEach(() => {
  store = openStore(join(tempDir(), "threats.db"));
  queries = new ThreatQueries(store);
  write(store, HITS);
});
afterEach(() => store.close());

const times = (rows: { time: number }[]) => rows.map((r) => (r.time - T0) / 60_000);

describe("threat lists", () => {
  test("recent: the newest first, at most limit", () => {
    expect(times(queries.recent(2))).toEqual([5, 4]);
    expect(times(queries.recent(100))).toEqual([5, 4, 3, 2, 1]);
  });

  test("list pages with beforeId until every threat has been seen once", () => {
    const seen: number[] = [];
    let beforeId: number | undefined;
    for (;;) {
      const page = queries.list({ since: T0, limit: 2, beforeId });
      if (!page.length) break;
      expect(page.length).toBeLessThanOrEqual(2);
      seen.push(...times(page));
      beforeId = page.at(-1)!.id;
    }
    expect(seen).toEqual([5, 4, 3, 2, 1]);
  });

  test("list keeps to [since, until] and to one attack type", () => {
    expect(times(queries.list({ since: T0 + 2 * 60_000, until: T0 + 4 * 60_000, limit: 10 }))).toEqual([4, 3, 2]);
    expect(times(queries.list({ since: T0, type: "sqli", limit: 10 }))).toEqual([5, 3, 1]);
    expect(queries.list({ since: T0 + 10 * 60_000, limit: 10 })).toEqual([]);
  });

  test("byId finds a threat with its verdict, and nothing for an unknown id", () => {
    const [newest] = queries.recent(1);
    expect(queries.byId(newest!.id)).toMatchObject({ clientIp: A, endpoint: "/login", attackType: "sqli", blocked: true, severity: "critical" });
    expect(queries.byId(newest!.id + 1000)).toBeUndefined();
  });

  test("sameSource: the client's other threats, newest first", () => {
    const [newest] = queries.recent(1);
    expect(times(queries.sameSource(A, 10, newest!.id))).toEqual([2, 1]);
    expect(times(queries.sameSource(A, 1))).toEqual([5]);
    expect(queries.sameSource("192.0.2.1", 10)).toEqual([]);
  });
});

describe("threat figures", () => {
  test("stats counts each attack type since a time", () => {
    expect(queries.stats(T0)).toEqual({ sqli: 3, xss: 1, traversal: 1 });
    expect(queries.stats(T0 + 3 * 60_000)).toEqual({ sqli: 2, traversal: 1 });
    expect(queries.stats(T0 + 60 * 60_000)).toEqual({});
  });

  test("groups by client, with first and last seen and the types it used", () => {
    expect(queries.groups(T0, "ip", 10)).toEqual([
      { key: A, count: 3, firstSeen: T0 + 60_000, lastSeen: T0 + 5 * 60_000, types: ["sqli", "xss"] },
      { key: C, count: 1, firstSeen: T0 + 4 * 60_000, lastSeen: T0 + 4 * 60_000, types: ["traversal"] },
      { key: B, count: 1, firstSeen: T0 + 3 * 60_000, lastSeen: T0 + 3 * 60_000, types: ["sqli"] },
    ]);
  });

  test("groups by attack type (without a types list) and by endpoint, largest first, limited", () => {
    expect(queries.groups(T0, "type", 10)).toEqual([
      { key: "sqli", count: 3, firstSeen: T0 + 60_000, lastSeen: T0 + 5 * 60_000 },
      { key: "traversal", count: 1, firstSeen: T0 + 4 * 60_000, lastSeen: T0 + 4 * 60_000 },
      { key: "xss", count: 1, firstSeen: T0 + 2 * 60_000, lastSeen: T0 + 2 * 60_000 },
    ]);
    expect(queries.groups(T0, "endpoint", 2)).toEqual([
      { key: "/login", count: 3, firstSeen: T0 + 60_000, lastSeen: T0 + 5 * 60_000, types: ["sqli"] },
      { key: "/files", count: 1, firstSeen: T0 + 4 * 60_000, lastSeen: T0 + 4 * 60_000, types: ["traversal"] },
    ]);
    expect(queries.groups(T0 + 4 * 60_000, "endpoint", 10).map((g) => g.key)).toEqual(["/files", "/login"]);
  });
});

describe("limits", () => {
  test("a limit is a whole number between 1 and the cap", () => {
    expect(clampLimit(5000)).toBe(MAX_THREAT_ROWS);
    expect(clampLimit(0)).toBe(1);
    expect(clampLimit(-3)).toBe(1);
    expect(clampLimit(2.7)).toBe(2);
    expect(clampLimit(Number.POSITIVE_INFINITY)).toBe(MAX_THREAT_ROWS);
  });

  test("no query returns more than the cap", () => {
    const many = Array.from({ length: MAX_THREAT_ROWS + 5 }, (_, i): Hit => ({ time: T0 + 10 * 60_000 + i, ip: `192.0.2.${i % 250}`, path: `/p${i}`, attack: "xss" }));
    write(store, many);
    expect(queries.recent(10_000)).toHaveLength(MAX_THREAT_ROWS);
    expect(queries.list({ since: T0, limit: 10_000 })).toHaveLength(MAX_THREAT_ROWS);
    expect(queries.groups(T0, "endpoint", 10_000)).toHaveLength(MAX_THREAT_ROWS);
    expect(queries.list({ since: T0, limit: 0 })).toHaveLength(1);
  });
});
