/**
 * The two halves of a mirrored request — the copy (with its body) and the access-log line (with its
 * status) — share nginx's $request_id and are stored as one row, whichever comes first.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openStore, type Store } from "../../src/store/db.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { rawHttpParser } from "../../src/parse/raw-http.ts";
import type { HttpRequest } from "../../src/core/http-request.ts";
import type { Verdict } from "../../src/detect/verdict.ts";
import { tempDir } from "../helpers/tmp.ts";

const NOW = Date.UTC(2026, 11, 4, 10, 0, 0);
const ID = "0f3c9a2b7d41e5f68a9b0c1d2e3f4a5b";

function request(target: string, extra: Partial<HttpRequest> = {}, id: string | null = ID): HttpRequest {
  const r = rawHttpParser.parse(`POST ${target} HTTP/1.1\nHost: shop.example\n`, { source: "t", line: 1 }) as HttpRequest;
  return { ...r, time: NOW, clientIp: "203.0.113.7", ...extra, extra: id ? { request_id: id } : {} };
}
const benign: Verdict = { score: 0.02, isAnomaly: false, threshold: 0.9, attackType: null, severity: "none", reasons: [], modelVersion: "m" };
const sqli: Verdict = { score: 0.99, isAnomaly: true, threshold: 0.9, attackType: "sqli", severity: "critical", reasons: [], modelVersion: "m" };

function setup() {
  const store = openStore(join(tempDir(), "moat.db"));
  const writer = new StoreWriter(store);
  const q = <T>(sql: string) => store.sqlite!.query(sql).all() as T[];
  const counter = (key: string) => (store.sqlite!.query("select value from counters where key = ?").get(key) as { value: number } | null)?.value ?? 0;
  const minute = () => store.sqlite!.query("select requests, flagged, blocked, errors_5xx as errors from metric_rollups").get();
  return { store, writer, q, counter, minute };
}

function close(store: Store) {
  store.close();
}

describe("one row per request id", () => {
  test("the log line first, then its copy with an attack in the body: one traffic row, now flagged, with the log's status; one threat", () => {
    const { store, writer, q, counter, minute } = setup();
    const line = writer.write({ requests: [request("/login", { status: 500, bytesSent: 120, requestTime: 0.05, origin: { source: "tail:/var/log/nginx/access.log" } })], verdicts: [benign] });
    expect(line.traffic).toHaveLength(1);
    const copy = writer.write({ requests: [request("/login", { status: null, bytesSent: null, requestTime: null, body: "user=admin'--", origin: { source: "mirror" } })], verdicts: [sqli], blocked: [true] });
    expect(copy).toEqual({ duplicate: false, traffic: [], threats: [expect.objectContaining({ attackType: "sqli", requestId: ID, blocked: true })] });
    expect(q("select status, bytes_sent, is_anomaly, attack_type, blocked, request_id, source from traffic")).toEqual([
      { status: 500, bytes_sent: 120, is_anomaly: 1, attack_type: "sqli", blocked: 1, request_id: ID, source: "tail:/var/log/nginx/access.log" },
    ]);
    expect(q("select count(*) as n from threats")).toEqual([{ n: 1 }]);
    expect([counter("requests"), counter("threats")]).toEqual([1, 1]);
    expect(minute()).toEqual({ requests: 1, flagged: 1, blocked: 1, errors: 1 });
    close(store);
  });

  test("the copy first (stored alone after the wait), then its log line: the line fills the status, the verdict stays the copy's", () => {
    const { store, writer, q, counter, minute } = setup();
    writer.write({ requests: [request("/login", { status: null, body: "user=admin'--" })], verdicts: [sqli] });
    const line = writer.write({ requests: [request("/login", { status: 200, requestTime: 0.01 })], verdicts: [benign] });
    expect(line).toEqual({ traffic: [], threats: [], duplicate: false });
    expect(q("select status, is_anomaly, attack_type from traffic")).toEqual([{ status: 200, is_anomaly: 1, attack_type: "sqli" }]);
    expect(q("select count(*) as n from threats")).toEqual([{ n: 1 }]);
    expect([counter("requests"), counter("threats")]).toEqual([1, 1]);
    expect(minute()).toEqual({ requests: 1, flagged: 1, blocked: 0, errors: 0 });
    close(store);
  });

  test("requests without an id, or with a value that is not an id token, are never merged", () => {
    const { store, writer, q } = setup();
    writer.write({ requests: [request("/a", {}, null), request("/a", {}, null), request("/b", {}, "x'; drop"), request("/b", {}, "x'; drop")], verdicts: [benign, benign, benign, benign] });
    expect(q("select path, request_id from traffic")).toEqual([
      { path: "/a", request_id: null },
      { path: "/a", request_id: null },
      { path: "/b", request_id: null },
      { path: "/b", request_id: null },
    ]);
    close(store);
  });

  test("a body over the limit is stored as partial, with the reason", () => {
    const { store, writer, q } = setup();
    writer.write({ requests: [request("/upload", { body: "a".repeat(1024), bodyBytes: 5_000_000 })], verdicts: [benign] });
    expect(q("select partial from traffic")).toEqual([{ partial: "body-oversize: the body is 5000000 bytes and only its start was judged" }]);
    close(store);
  });
});
