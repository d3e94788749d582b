/** The mirror source's queue: bounded, batched, and a failed judge is counted, never thrown. */
import { describe, expect, test } from "bun:test";
import { MirrorSource } from "../../src/pipeline/sources/mirror.ts";
import { MirrorJoin, type JudgedCopy } from "../../src/pipeline/join.ts";
import type { Pipeline } from "../../src/pipeline/pipeline.ts";
import { rawHttpParser } from "../../src/parse/raw-http.ts";
import type { HttpRequest } from "../../src/core/http-request.ts";

const copy = (n: number): HttpRequest => ({ ...(rawHttpParser.parse(`POST /p/${n} HTTP/1.1\nHost: x\n\na=${n}`, { source: "mirror" }) as HttpRequest), extra: { request_id: `${n}`.padStart(32, "0") } });

function setup(pipeline: Pipeline, maxQueued = 5) {
  const alone: JudgedCopy[] = [];
  const errors: string[] = [];
  const join = new MirrorJoin({ waitMs: 60_000, maxPending: 1000, monotonic: () => 0, storeAlone: (c) => alone.push(...c) });
  const source = new MirrorSource({ pipeline, join, maxQueued, batchSize: 2, now: () => 1000, onError: (e) => errors.push(e.message) });
  return { source, join, alone, errors };
}

const judgeAll: Pipeline & { batches: number[] } = {
  batches: [],
  async run({ requests }) {
    judgeAll.batches.push(requests.length);
    const verdicts = requests.map(() => ({ score: 0.1, isAnomaly: false, threshold: 0.9, attackType: null, severity: "none" as const, reasons: [], modelVersion: "m" }));
    return { requests, verdicts, blocked: requests.map(() => false), redacted: requests };
  },
};

describe("MirrorSource", () => {
  test("copies arriving together are judged together, in batches, after the answer; past the queue's bound they are dropped and counted", async () => {
    const { source, join } = setup(judgeAll);
    const accepted = [1, 2, 3, 4, 5, 6, 7].map((n) => source.accept(copy(n)));
    expect(accepted).toEqual([true, true, true, true, true, false, false]);
    expect(judgeAll.batches).toEqual([]); // nothing judged before the senders are answered
    await source.close();
    expect(judgeAll.batches).toEqual([2, 2, 1]);
    expect(source.status()).toMatchObject({ received: 7, dropped: 2, judged: 5, queued: 0, storedAlone: 5, lastCopyAt: 1000 });
    expect(join.size).toBe(0);
  });

  test("a judge that fails loses its batch to a counted failure, and the source keeps going", async () => {
    let calls = 0;
    const flaky: Pipeline = { run: async (batch) => (++calls === 1 ? Promise.reject(new Error("model failed")) : judgeAll.run(batch)) };
    const { source, errors, alone } = setup(flaky);
    [1, 2, 3].forEach((n) => source.accept(copy(n)));
    await source.close();
    expect(errors).toEqual(["model failed"]);
    expect(source.status()).toMatchObject({ failures: 2, judged: 1 });
    expect(alone).toHaveLength(1);
  });
});
