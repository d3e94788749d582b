/** Where a hub stores its agents' batches: in its own thread on SQLite, on threads of their own on PostgreSQL. */
import { afterEach, describe, expect, test } from "bun:test";
import { agentBatchStore, type AgentBatchStore } from "../../src/services/agent-batch-store.ts";
import { AgentBatchError } from "../../src/services/agents.ts";
import { toWireEntries } from "../../src/agent/wire-entries.ts";
import { rawHttpParser } from "../../src/parse/raw-http.ts";
import { openStore, type Store } from "../../src/store/db.ts";
import type { HttpRequest } from "../../src/core/http-request.ts";
import type { Verdict } from "../../src/detect/verdict.ts";
import type { WireEntry } from "../../src/core/agent-wire.ts";
import { postgres, PG_SKIP } from "../helpers/postgres.ts";

const BENIGN: Verdict = { score: 0.01, isAnomaly: false, threshold: 0.99, attackType: null, severity: "none", reasons: [], modelVersion: "test" };

/** An agent run's entry `seq` of `n` benign requests. */
function entry(instance: string, seq: number, n: number): WireEntry {
  const requests = Array.from({ length: n }, (_, i) => rawHttpParser.parse(`GET /p/${seq}/${i}?q=${i} HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: Mozilla/5.0\r\n\r\n`, { source: "test" }) as HttpRequest);
  const [wire] = toWireEntries({ requests, verdicts: requests.map(() => BENIGN), now: 1_765_000_000_000 });
  return { instance, seq, ...(JSON.parse(wire!.payload) as Omit<WireEntry, "instance" | "seq">) };
}

let open: { batches: AgentBatchStore; store: Store }[] = [];
afterEach(async () => {
  for (const { batches, store } of open) {
    await batches.close();
    store.close();
  }
  open = [];
});

function start(target: string) {
  const store = openStore(target);
  const batches = agentBatchStore(store, target);
  open.push({ batches, store });
  return { store, batches };
}

async function storesEachBatchOnce(target: string) {
  const { store, batches } = start(target);
  const now = 1_765_000_100_000;
  // Two agents at once, one of them sending a batch again (a lost answer): each stored once.
  const results = await Promise.all([
    batches.store("web-1", [entry("run-aaaaaaaa", 1, 3), entry("run-aaaaaaaa", 2, 2)], now),
    batches.store("web-2", [entry("run-bbbbbbbb", 1, 4)], now),
    batches.store("web-2", [entry("run-bbbbbbbb", 2, 1)], now),
  ]);
  expect(results.map((r) => [r.stored, r.duplicates, r.traffic.length])).toEqual([
    [2, 0, 5],
    [1, 0, 4],
    [1, 0, 1],
  ]);
  expect(results[0]!.traffic.map((row) => row.path)).toEqual(["/p/1/0", "/p/1/1", "/p/1/2", "/p/2/0", "/p/2/1"]);
  const again = await batches.store("web-2", [entry("run-bbbbbbbb", 1, 4)], now);
  expect([again.stored, again.duplicates, again.traffic.length]).toEqual([0, 1, 0]);
  expect(store.sql.query("select count(*) as n from traffic").get()).toEqual({ n: 10 });
  // A malformed entry is the agent's error (its 400), from whichever thread stored it; nothing of it is kept.
  const bad = { ...entry("run-cccccccc", 1, 2), verdicts: [] };
  const refused = await batches.store("web-3", [bad], now).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(AgentBatchError);
  expect((refused as Error).message).toContain("2 requests, 0 verdicts");
  expect(store.sql.query("select count(*) as n from traffic").get()).toEqual({ n: 10 });
}

describe("a hub's store of agents' batches", () => {
  test("on SQLite: each batch stored once, in order, with its rows for the live bus; a malformed one refused", async () => {
    await storesEachBatchOnce(":memory:");
  });

  (PG_SKIP ? test.skip : test)("on PostgreSQL, on threads of their own: the same, batches of several agents stored at once", async () => {
    await storesEachBatchOnce(await (await postgres()).database());
  });
});
