/**
 * An agent's outbox and a hub's exactly-once store: what the writer queues with each batch, what a
 * full outbox keeps and counts, what the wire carries, and how the hub stores a batch sent twice.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { openStore } from "../../src/store/db.ts";
import { StoreWriter, type JudgedBatch, type WriterOptions } from "../../src/store/writer.ts";
import { acknowledge, depth, peek } from "../../src/store/outbox.ts";
import { rawHttpParser } from "../../src/parse/raw-http.ts";
import type { HttpRequest } from "../../src/core/http-request.ts";
import type { Verdict } from "../../src/detect/verdict.ts";
import { hubRoute, WIRE_BODY_CHARS, WIRE_ENTRY_CHARS, WireEntry } from "../../src/core/agent-wire.ts";
import { toWireEntries } from "../../src/agent/wire-entries.ts";
import { storeAgentBatches } from "../../src/services/agents.ts";
import { tempDir } from "../helpers/tmp.ts";
import { agents } from "../../src/store/schema.ts";

const NOW = Date.UTC(2026, 11, 5, 10, 0, 0);
const benign: Verdict = { score: 0.02, isAnomaly: false, threshold: 0.9, attackType: null, severity: "none", reasons: [], modelVersion: "m" };
const sqli: Verdict = { score: 0.99, isAnomaly: true, threshold: 0.9, attackType: "sqli", severity: "critical", reasons: [{ field: "body.user", name: "sqli", evidence: "admin'--", detector: "generic", weight: 0.99, detail: "closes a string" }], modelVersion: "m" };
const checkEntry = TypeCompiler.Compile(WireEntry);

function request(path: string, extra: Partial<HttpRequest> = {}): HttpRequest {
  const r = rawHttpParser.parse(`POST ${path} HTTP/1.1\nHost: shop.example\nCookie: session=s3cr3t\nX-Trace: 1\n\nuser=admin'--`, { source: "tail:/var/log/nginx/access.log", line: 1 }) as HttpRequest;
  return { ...r, time: NOW, clientIp: "203.0.113.7", ...extra };
}

const batchOf = (n: number, verdict = benign, prefix = "/p"): JudgedBatch & { now: number } => ({ requests: Array.from({ length: n }, (_, i) => request(`${prefix}/${i}`)), verdicts: Array.from({ length: n }, () => verdict), now: NOW });

function agentWriter(maxRequests: number) {
  const store = openStore(join(tempDir(), "agent.db"));
  const dropped: number[] = [];
  const options: WriterOptions = { outbox: { maxRequests, instance: RUN, entries: (batch, now) => toWireEntries({ ...batch, now }), onDropped: (n) => dropped.push(n) } };
  return { store, writer: new StoreWriter(store, options), dropped };
}

const RUN = "run-aaaaaaaa";
/** An outbox entry as the hub receives it. */
const asReceived = (seq: number, payload: string, instance = RUN): WireEntry => ({ instance, seq, ...JSON.parse(payload) });

describe("the outbox", () => {
  test("each stored batch is queued in the same transaction, in order, and leaves only when acknowledged", () => {
    const { store, writer } = agentWriter(1000);
    writer.write(batchOf(3));
    writer.write(batchOf(2, sqli, "/q"));
    expect(depth(store)).toMatchObject({ batches: 2, requests: 5, dropped: 0, oldestAt: expect.any(Number) });
    const entries = peek(store, 1_000_000);
    expect(entries.map((e) => [e.seq, e.instance, e.requests])).toEqual([[1, RUN, 3], [2, RUN, 2]]);
    expect(peek(store, 1).map((e) => e.seq)).toEqual([1]); // at least one, whatever the limit
    acknowledge(store, 1);
    expect(peek(store, 1_000_000).map((e) => e.seq)).toEqual([2]);
    acknowledge(store, 2);
    expect(depth(store)).toMatchObject({ batches: 0, requests: 0, oldestAt: null });
    store.close();
  });

  test("a batch that fails to store is not queued either (one transaction)", () => {
    const { store, writer } = agentWriter(1000);
    store.sqlite!.exec("CREATE TRIGGER fail BEFORE INSERT ON traffic BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    expect(() => writer.write(batchOf(2))).toThrow(/disk full/);
    expect(depth(store).batches).toBe(0);
    store.close();
  });

  test("full: the oldest batches are kept, newer requests are counted as dropped and reported, and still stored locally", () => {
    const { store, writer, dropped } = agentWriter(1000);
    writer.write(batchOf(600));
    writer.write(batchOf(500, benign, "/b")); // 600 waiting < 1000: queued, now 1100
    writer.write(batchOf(7, benign, "/c")); // full: dropped
    expect(depth(store)).toMatchObject({ requests: 1100, dropped: 7 });
    expect(dropped).toEqual([7]);
    expect(store.sqlite!.query("select count(*) as n from traffic").get()).toEqual({ n: 1107 });
    acknowledge(store, peek(store, Infinity).at(-1)!.seq);
    writer.write(batchOf(4, benign, "/d"));
    expect(depth(store)).toMatchObject({ batches: 1, requests: 4, dropped: 7 });
    store.close();
  });
});

describe("the wire", () => {
  test("a benign request travels slim (no headers, cookies, body or parameters); a flagged one whole, within the hub's schema", () => {
    const [entry] = toWireEntries({ ...batchOf(1), requests: [request("/a"), request("/b")], verdicts: [benign, sqli] });
    const parsed = JSON.parse(entry!.payload);
    expect(checkEntry.Errors({ instance: RUN, seq: 1, ...parsed }).First()).toBeUndefined();
    expect(parsed.requests[0]).toMatchObject({ path: "/a", headers: [], cookies: [], body: null, params: [] });
    expect(parsed.requests[1]).toMatchObject({ path: "/b", body: "user=admin'--", cookies: [{ name: "session", value: "s3cr3t" }] });
    expect(parsed.verdicts[1].reasons[0].evidence).toBe("admin'--");
  });

  test("hostile sizes are cut to the schema's bounds, so the hub never refuses what an agent stored", () => {
    const long = "v".repeat(100_000);
    const huge = request("/" + "a".repeat(200_000), {
      body: "x".repeat(3 * WIRE_BODY_CHARS),
      headers: Array.from({ length: 5000 }, (_, i) => [`x-h${i}`, long] as [string, string]),
      extra: { request_id: "0f3c9a2b7d41e5f68a9b0c1d2e3f4a5b", ["k".repeat(500)]: "v" },
    });
    const verdict = { ...sqli, reasons: Array.from({ length: 100 }, () => ({ ...sqli.reasons[0]!, evidence: "e".repeat(200_000) })) };
    const entries = toWireEntries({ requests: [huge], verdicts: [verdict], now: NOW });
    const parsed = JSON.parse(entries[0]!.payload);
    expect(checkEntry.Errors({ instance: RUN, seq: 1, ...parsed }).First()).toBeUndefined();
    expect(entries[0]!.payload.length).toBeLessThanOrEqual(WIRE_ENTRY_CHARS);
    expect(parsed.requests[0].body.length).toBeGreaterThan(0);
    expect(parsed.requests[0].bodyBytes).toBe(3 * WIRE_BODY_CHARS);
  });

  test("a flagged body of characters JSON escapes six times over, with long parameters and cookies, still fits in one entry", () => {
    const controls = "\x01".repeat(440_000); // a form body within mirror.max_body_bytes, all control bytes
    const hostile = request("/upload", {
      body: controls,
      params: Array.from({ length: 900 }, (_, i) => ({ name: `p${i}`, value: controls.slice(0, 60_000), rawName: `p${i}`, rawValue: controls.slice(0, 60_000), location: "body" as const })),
      cookies: Array.from({ length: 900 }, (_, i) => ({ name: `c${i}`, value: controls.slice(0, 60_000) })),
      referer: controls,
      userAgent: controls,
    });
    const verdict = { ...sqli, reasons: Array.from({ length: 64 }, () => ({ ...sqli.reasons[0]!, evidence: controls.slice(0, 60_000), field: controls.slice(0, 4000), detail: controls.slice(0, 4000) })) };
    const [entry, ...more] = toWireEntries({ requests: [hostile], verdicts: [verdict], now: NOW });
    expect(more).toEqual([]);
    expect(entry!.payload.length).toBeLessThanOrEqual(WIRE_ENTRY_CHARS);
    const parsed = JSON.parse(entry!.payload);
    expect(checkEntry.Errors({ instance: RUN, seq: 1, ...parsed }).First()).toBeUndefined();
    expect(parsed.requests[0]).toMatchObject({ path: "/upload", method: "POST" });
    expect(parsed.verdicts[0]).toMatchObject({ attackType: "sqli", isAnomaly: true });
  });

  test("hub routes sit under hub.url, with or without a path of its own", () => {
    expect(String(hubRoute("http://hub:8080", "/api/agent/batches"))).toBe("http://hub:8080/api/agent/batches");
    expect(String(hubRoute("https://console.example/moat", "/api/agent/batches"))).toBe("https://console.example/moat/api/agent/batches");
    expect(String(hubRoute("https://console.example/moat/", "/api/agent/site-model"))).toBe("https://console.example/moat/api/agent/site-model");
  });

  test("a large batch is split into entries of at most WIRE_ENTRY_CHARS, none lost", () => {
    const batch = batchOf(40, sqli);
    for (const r of batch.requests) r.body = "y".repeat(40_000);
    const entries = toWireEntries(batch);
    expect(entries.length).toBeGreaterThan(1);
    for (const e of entries) expect(e.payload.length).toBeLessThanOrEqual(WIRE_ENTRY_CHARS);
    expect(entries.flatMap((e) => JSON.parse(e.payload).requests.map((r: HttpRequest) => r.path))).toEqual(batch.requests.map((r) => r.path));
    expect(entries.reduce((n, e) => n + e.requests, 0)).toBe(40);
  });
});

describe("the hub stores each agent batch exactly once", () => {
  test("a batch sent again is skipped whole; rows carry the agent; request ids are joined per agent", () => {
    const store = openStore(join(tempDir(), "hub.db"));
    const writer = new StoreWriter(store);
    const id = { request_id: "0f3c9a2b7d41e5f68a9b0c1d2e3f4a5b" };
    const [payload] = toWireEntries({ requests: [request("/x", { extra: id }), request("/y")], verdicts: [sqli, benign], now: NOW });
    const first = storeAgentBatches(store, writer, "web-1", [asReceived(1, payload!.payload)], NOW);
    expect(first).toMatchObject({ stored: 1, duplicates: 0 });
    expect(first.traffic).toHaveLength(2);
    const again = storeAgentBatches(store, writer, "web-1", [asReceived(1, payload!.payload)], NOW);
    expect(again).toMatchObject({ stored: 0, duplicates: 1, traffic: [], threats: [] });
    // Another agent's batch 1, with the same request id: its own rows, never merged into web-1's.
    expect(storeAgentBatches(store, writer, "web-2", [asReceived(1, payload!.payload)], NOW)).toMatchObject({ stored: 1, duplicates: 0 });
    expect(store.sqlite!.query("select agent, count(*) as n from traffic group by agent order by agent").all()).toEqual([{ agent: "web-1", n: 2 }, { agent: "web-2", n: 2 }]);
    expect(store.sqlite!.query("select agent, request_id from threats order by agent").all()).toEqual([
      { agent: "web-1", request_id: `web-1/${id.request_id}` },
      { agent: "web-2", request_id: `web-2/${id.request_id}` },
    ]);
    expect(store.sqlite!.query("select value from counters where key = 'requests'").get()).toEqual({ value: 4 });
    store.close();
  });

  test("seqs are per run: a batch at or below its run's last stored seq is a duplicate; a new run (a restored database) starting lower is not", () => {
    const store = openStore(join(tempDir(), "hub.db"));
    const writer = new StoreWriter(store);
    const entry = (path: string) => toWireEntries({ requests: [request(path)], verdicts: [benign], now: NOW })[0]!.payload;
    const stored = (seq: number, path: string, instance = RUN) => storeAgentBatches(store, writer, "web-1", [asReceived(seq, entry(path), instance)], NOW).stored;
    expect([stored(5, "/a"), stored(6, "/b"), stored(6, "/b"), stored(4, "/old")]).toEqual([1, 1, 0, 0]);
    // The agent's database restored from a backup: its seq starts lower again, in a run of its own.
    expect(stored(3, "/after-restore", "run-bbbbbbbb")).toBe(1);
    expect(store.sqlite!.query("select path from traffic order by id").all()).toEqual([{ path: "/a" }, { path: "/b" }, { path: "/after-restore" }]);
    store.close();
  });

  test("an agent's last batch time is written at most once a second (each write is a commit on PostgreSQL)", () => {
    const store = openStore(join(tempDir(), "hub.db"));
    const writer = new StoreWriter(store);
    store.db.insert(agents).values({ name: "web-1", host: "h", version: "0", sources: "{}", outboxBatches: 0, outboxRequests: 0, dropped: 0, lagSeconds: 0, firstSeenAt: NOW, lastSeenAt: NOW }).run();
    const entry = (seq: number) => asReceived(seq, toWireEntries({ requests: [request(`/${seq}`)], verdicts: [benign], now: NOW })[0]!.payload);
    const lastBatchAt = () => store.db.select({ at: agents.lastBatchAt }).from(agents).get()!.at;
    storeAgentBatches(store, writer, "web-1", [entry(1)], NOW);
    storeAgentBatches(store, writer, "web-1", [entry(2)], NOW + 400);
    expect(lastBatchAt()).toBe(NOW);
    storeAgentBatches(store, writer, "web-1", [entry(3)], NOW + 1000);
    expect(lastBatchAt()).toBe(NOW + 1000);
    // A clock set back is written at once, not held until it passes the time last written.
    storeAgentBatches(store, writer, "web-1", [entry(4)], NOW - 60_000);
    expect(lastBatchAt()).toBe(NOW - 60_000);
    store.close();
  });

  test("a batch whose lists disagree in length is refused before anything is stored", () => {
    const store = openStore(join(tempDir(), "hub.db"));
    const [payload] = toWireEntries({ ...batchOf(2), now: NOW });
    const entry = asReceived(1, payload!.payload);
    expect(() => storeAgentBatches(store, new StoreWriter(store), "web-1", [{ ...entry, verdicts: entry.verdicts.slice(1) }], NOW)).toThrow(/2 requests, 1 verdicts and 2 blocked flags/);
    expect(store.sqlite!.query("select count(*) as n from agent_cursors").get()).toEqual({ n: 0 });
    store.close();
  });
});
