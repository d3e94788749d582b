/** The join of mirrored copies and their log lines, in memory and bounded. */
import { describe, expect, test } from "bun:test";
import { MirrorJoin, type JudgedCopy } from "../../src/pipeline/join.ts";
import { rawHttpParser } from "../../src/parse/raw-http.ts";
import type { HttpRequest } from "../../src/core/http-request.ts";
import type { Verdict } from "../../src/detect/verdict.ts";

const verdict: Verdict = { score: 0.99, isAnomaly: true, threshold: 0.9, attackType: "sqli", severity: "critical", reasons: [], modelVersion: "m" };

function request(id: string | null, extra: Partial<HttpRequest> = {}): HttpRequest {
  const r = rawHttpParser.parse("POST /login HTTP/1.1\nHost: shop.example\n\nuser=admin'--", { source: "mirror" }) as HttpRequest;
  return { ...r, ...extra, extra: id ? { request_id: id } : {} };
}
const copy = (id: string | null): JudgedCopy => ({ request: request(id), verdict, blocked: true });
const ID = (n: number) => `${n}`.padStart(32, "a");

function setup(waitMs = 1000, maxPending = 100) {
  const clock = { now: 0 };
  const alone: JudgedCopy[] = [];
  const join = new MirrorJoin({ waitMs, maxPending, monotonic: () => clock.now, storeAlone: (c) => alone.push(...c) });
  return { clock, alone, join };
}

describe("MirrorJoin", () => {
  test("a log line claims its copy: the copy's body and verdict, the line's status, bytes, time and origin", () => {
    const { join, alone } = setup();
    join.offer([copy(ID(1))]);
    const line = request(ID(1), { body: null, status: 302, bytesSent: 10, requestTime: 0.2, time: 1234, origin: { source: "tail:/x.log", line: 7 } });
    const joined = join.claim(line)!;
    expect(joined.verdict).toBe(verdict);
    expect(joined.blocked).toBe(true);
    expect(joined.request).toMatchObject({ body: "user=admin'--", status: 302, bytesSent: 10, requestTime: 0.2, time: 1234, origin: { source: "tail:/x.log", line: 7 } });
    expect(join.claim(line)).toBeUndefined(); // once
    expect([join.size, join.joined, alone.length]).toEqual([0, 1, 0]);
    join.close();
  });

  test("a copy that comes after its line was stored is stored at once, for the store to merge into the line's row", () => {
    const { join, alone, clock } = setup(1000);
    expect(join.claim(request(ID(1), { status: 200 }))).toBeUndefined();
    clock.now = 10;
    join.offer([copy(ID(1))]);
    expect([alone.length, join.size]).toEqual([1, 0]);
    // A line forgotten after the wait: its copy waits as any other.
    expect(join.claim(request(ID(2), { status: 200 }))).toBeUndefined();
    clock.now = 2000;
    join.sweep();
    join.offer([copy(ID(2))]);
    expect([alone.length, join.size]).toEqual([1, 1]);
    join.close();
  });

  test("a copy waits its time, then is stored alone; one without an id at once", () => {
    const { join, alone, clock } = setup(1000);
    join.offer([copy(ID(1)), copy(null)]);
    expect(alone.map((c) => c.request.extra.request_id)).toEqual([undefined]);
    clock.now = 999;
    join.sweep();
    expect(alone).toHaveLength(1);
    clock.now = 1000;
    join.sweep();
    expect(alone.map((c) => c.request.extra.request_id)).toEqual([undefined, ID(1)]);
    expect(join.claim(request(ID(1)))).toBeUndefined();
    join.close();
  });

  test("memory is bounded: past maxPending the oldest copies are stored alone; close stores the rest", () => {
    const { join, alone } = setup(60_000, 3);
    join.offer([1, 2, 3, 4, 5].map((n) => copy(ID(n))));
    expect(alone.map((c) => c.request.extra.request_id)).toEqual([ID(1), ID(2)]);
    expect(join.size).toBe(3);
    join.close();
    expect(alone).toHaveLength(5);
    expect(join.alone).toBe(5);
  });

  test("memory is bounded for lines without their copy too: past maxPending the oldest is forgotten", () => {
    const { join, alone } = setup(60_000, 3);
    for (const n of [1, 2, 3, 4]) expect(join.claim(request(ID(n), { status: 200 }))).toBeUndefined();
    // The line of 1 was forgotten: its copy waits as any other; 4's line is remembered, its copy stored at once.
    join.offer([copy(ID(1)), copy(ID(4))]);
    expect(alone.map((c) => c.request.extra.request_id)).toEqual([ID(4)]);
    expect(join.size).toBe(1);
    join.close();
  });

  test("a second copy with an id already waiting is stored alone, not lost", () => {
    const { join, alone } = setup();
    join.offer([copy(ID(1)), copy(ID(1))]);
    expect([join.size, alone.length]).toEqual([1, 1]);
    join.close();
  });
});

describe("a log line read while its copy is still being judged", () => {
  test("waits for the copy and takes its verdict; a copy whose judging failed no longer holds it", async () => {
    const { join } = setup();
    const judged = request(ID(1));
    join.expect(judged);
    join.expect(request(ID(2)));
    const claimed = join.claimAll([request(ID(1), { status: 200 }), request(ID(3))]);
    join.offer([{ request: judged, verdict, blocked: false }]);
    join.forget([request(ID(2))]);
    const [first, other] = await claimed;
    expect(first?.verdict).toBe(verdict);
    expect(first?.request.status).toBe(200);
    expect(other).toBeUndefined();
    expect(await join.claimAll([request(ID(2))])).toEqual([undefined]); // settled: no wait
    join.close();
  });
});
