/**
 * The console API's threat endpoints on real services (createApi, a temporary store) filled by real
 * ingestion: a log file followed as `moat serve` follows it (tail → parse → judge → store), plus real
 * inline checks. Threat detail, list filters and paging, the false-positive flow end to end, errors.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createApi } from "../../src/api/app.ts";
import type { TestServices } from "../helpers/api.ts";
import type { Ingest } from "../../src/pipeline/sources/tail.ts";
import { recentBenignRequests } from "../../src/services/recent-benign.ts";
import { formatTimeLocal } from "../../bench/lib/nginx-combined.ts";
import { locateEvidence } from "../../src/api/routes/console/threat-detail.ts";
import { apiData, apiFailure, callApi, followLogs, makeApiServices } from "../helpers/api.ts";
import { waitFor } from "../helpers/serve.ts";
import { tempDir } from "../helpers/tmp.ts";

const UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const line = (ip: string, method: string, target: string, status = 200) => `${ip} - - [${formatTimeLocal(Date.now())}] "${method} ${target} HTTP/1.1" ${status} 512 "-" "${UA}"`;

const XSS_TARGET = "/search?q=%3Cscript%3Ealert(1)%3C/script%3E";
const XSS_LINE = line("203.0.113.7", "GET", XSS_TARGET);
const LINES = [
  ...Array.from({ length: 30 }, (_, i) => line(`198.51.100.${i + 1}`, "GET", `/products?id=${i + 1}&color=red`)),
  line("198.51.100.40", "GET", "/missing", 404),
  line("198.51.100.41", "POST", "/login", 302),
  XSS_LINE,
  line("203.0.113.8", "GET", "/items?id=1%27%20UNION%20SELECT%20password%20FROM%20users--"),
  line("203.0.113.8", "GET", "/static/..%2f..%2f..%2fetc%2fpasswd", 404),
  "this line is not an access log line",
  "nor is this one",
];
const PARSED = LINES.length - 2;

interface Threat {
  id: number;
  type: string;
  severity: string;
  source: string;
  endpoint: string;
  blocked: boolean;
  time: string;
  timestamp: string;
  details?: string;
  score: number;
}
interface Detail extends Threat {
  method: string;
  threshold: number;
  modelVersion: string;
  attackType: string;
  request: { raw: string; method: string; path: string; query: string; headers: Record<string, string>; body: string | null; redacted: unknown[] };
  normalized: { field: string; raw: string; normalized: string; decodings: string[] }[];
  reasons: { field: string; name: string; evidence: string; detector: string; weight: number; start?: number; end?: number }[];
  falsePositive: boolean;
}
interface Traffic {
  id: number;
  ip: string;
  method: string;
  endpoint: string;
  status: number;
  isAnomaly: boolean;
}
interface Rule {
  id: number;
  endpoint: string;
  field: string | null;
  attackType: string | null;
  note: string;
  threatId: number | null;
  createdAt: string;
}
interface Answer {
  is_anomaly: boolean;
  attack_type?: string;
  severity: string;
  reasons: { field: string; detector: string; name: string }[];
}

let s: TestServices;
let ingest: Ingest;
let app: ReturnType<typeof createApi>;
let logPath = "";

const data = <T>(method: string, path: string, body?: unknown) => apiData<T>(app, method, path, body);
const failure = (method: string, path: string, body?: unknown) => apiFailure(app, method, path, body);

const check = async (request: unknown) => (await callApi<Answer>(app, "POST", "/check", request)).body as unknown as Answer;
const threatsOf = async (query: string) => data<Threat[]>("GET", `/api/threats?range=1h&${query}`);
const threatCount = () => (s.ctx.store.sqlite!.query("select count(*) as n from threats").get() as { n: number }).n;

beforeAll(async () => {
  s = await makeApiServices();
  logPath = join(tempDir("moat-console-"), "access.log");
  writeFileSync(logPath, `${LINES.join("\n")}\n`);
  ingest = followLogs(s, [logPath]);
  app = createApi(s);
  await waitFor("the log ingested", () => s.sources()[0]?.lines === LINES.length);
});

afterAll(async () => {
  await ingest.close();
  s.writeBehind.flush();
  s.ctx.store.close();
});

describe("GET /api/threats/:id", () => {
  test("the contract's threat fields, the log line as received, every field normalized, evidence located in the raw value", async () => {
    const [listed] = await threatsOf("type=xss");
    const d = await data<Detail>("GET", `/api/threats/${listed!.id}`);
    expect(d).toMatchObject({ id: listed!.id, type: "xss", attackType: "xss", source: "203.0.113.7", endpoint: "/search", blocked: false, method: "GET", falsePositive: false });
    for (const key of ["severity", "time", "timestamp", "modelVersion"] as const) expect(typeof d[key]).toBe("string");
    for (const key of ["score", "threshold"] as const) expect(typeof d[key]).toBe("number");
    expect(d.score).toBeGreaterThanOrEqual(d.threshold);
    expect(d.modelVersion).toBe(s.ctx.detector.modelVersion);

    expect(d.request).toEqual({ raw: XSS_LINE, method: "GET", path: "/search", query: "q=%3Cscript%3Ealert(1)%3C/script%3E", headers: { "user-agent": UA }, body: null, redacted: [] });

    const q = d.normalized.find((f) => f.field === "query.q")!;
    expect(q).toEqual({ field: "query.q", raw: "%3Cscript%3Ealert(1)%3C/script%3E", normalized: "<script>alert(1)</script>", decodings: ["url-decode"] });
    expect(d.normalized.map((f) => f.field)).toEqual(["path", "query.q", "header.user-agent"]);

    const top = d.reasons[0]!;
    expect(top).toMatchObject({ field: "query.q", name: "xss", detector: "generic" });
    expect(typeof top.weight).toBe("number");
    // The offsets point into the raw (still encoded) value at the text that decodes to the evidence.
    expect(decodeURIComponent(q.raw.slice(top.start, top.end)).toLowerCase()).toBe(top.evidence);
  });

  test("unknown id 404, an id that is not a positive whole number 400", async () => {
    expect((await failure("GET", "/api/threats/999999")).status).toBe(404);
    for (const id of ["abc", "0", "1.5", "-3"]) expect({ id, status: (await failure("GET", `/api/threats/${id}`)).status }).toEqual({ id, status: 400 });
  });
});

describe("list filters and paging", () => {
  test("threats by client, type, severity and endpoint text; pages through `before`", async () => {
    const fromAttacker = await threatsOf("ip=203.0.113.8");
    expect(fromAttacker.length).toBe(2);
    expect(new Set(fromAttacker.map((t) => t.source))).toEqual(new Set(["203.0.113.8"]));
    expect((await threatsOf("type=sqli")).map((t) => [t.type, t.endpoint])).toEqual([["sqli", "/items"]]);
    const all = await threatsOf("limit=1000");
    for (const severity of ["critical", "high", "medium", "low"]) {
      const some = await threatsOf(`severity=${severity}`);
      expect(some.map((t) => t.id)).toEqual(all.filter((t) => t.severity === severity).map((t) => t.id));
    }
    expect((await threatsOf("q=static")).map((t) => t.endpoint)).toEqual(["/static/..%2f..%2f..%2fetc%2fpasswd"]);
    expect(await threatsOf("ip=192.0.2.99")).toEqual([]);

    const first = await threatsOf("limit=1");
    const second = await threatsOf(`limit=1&before=${first[0]!.id}`);
    expect(second[0]!.id).toBeLessThan(first[0]!.id);
    expect([first[0]!.id, second[0]!.id]).toEqual(all.slice(0, 2).map((t) => t.id));
  });

  test("traffic carries its id; by client, method, status, path text and verdict; pages through `before`", async () => {
    const traffic = (query: string) => data<Traffic[]>("GET", `/api/traffic?range=1h&${query}`);
    const all = await traffic("limit=1000");
    expect(all.length).toBe(PARSED);
    for (const row of all) expect(typeof row.id).toBe("number");
    expect((await traffic("ip=203.0.113.8")).map((r) => r.ip)).toEqual(["203.0.113.8", "203.0.113.8"]);
    expect((await traffic("method=post")).map((r) => [r.method, r.endpoint])).toEqual([["POST", "/login"]]);
    expect((await traffic("status=404")).map((r) => r.endpoint).sort()).toEqual(["/missing", "/static/..%2f..%2f..%2fetc%2fpasswd"]);
    const products = await traffic("path=/products");
    expect(products.length).toBe(30);
    for (const r of products) expect(r.endpoint).toContain("/products");
    const flagged = await traffic("verdict=flagged");
    expect(flagged.length).toBe(all.filter((r) => r.isAnomaly).length);
    expect(flagged.length).toBeGreaterThanOrEqual(3);
    for (const r of flagged) expect(r.isAnomaly).toBe(true);
    for (const r of await traffic("verdict=benign")) expect(r.isAnomaly).toBe(false);

    const page1 = await traffic("limit=5");
    const page2 = await traffic(`limit=5&before=${page1.at(-1)!.id}`);
    expect([...page1, ...page2].map((r) => r.id)).toEqual(all.slice(0, 10).map((r) => r.id));
  });

  test("bad filters are 400s", async () => {
    for (const query of ["severity=urgent", "limit=0", "before=x", "ip=", `q=${"x".repeat(300)}`]) expect({ query, status: (await failure("GET", `/api/threats?${query}`)).status }).toEqual({ query, status: 400 });
    for (const query of ["verdict=maybe", "status=abc", "status=700", "method=G%20T", "path="]) expect({ query, status: (await failure("GET", `/api/traffic?${query}`)).status }).toEqual({ query, status: 400 });
    expect((await failure("GET", "/api/threats?severity=urgent")).message).toContain("severity");
  });
});

describe("false positives", () => {
  test("mark → the same request is no longer flagged (inline and tailed), says why, and is benign training traffic; removing the rule restores flagging", async () => {
    const xssCheck = { method: "GET", path: "/search", query_params: { q: "<script>alert(1)</script>" }, headers: { "User-Agent": UA } };
    const before = await check(xssCheck);
    expect(before).toMatchObject({ is_anomaly: true, attack_type: "xss" });

    const [threat] = await threatsOf("type=xss&limit=1");
    const rule = await data<Rule>("POST", `/api/threats/${threat!.id}/false-positive`, { note: "the search help page quotes this" });
    expect(rule).toMatchObject({ endpoint: "/search", field: "query.q", attackType: "xss", note: "the search help page quotes this", threatId: threat!.id });
    expect(typeof rule.id).toBe("number");
    expect(Number.isNaN(Date.parse(rule.createdAt))).toBe(false);
    expect(await data<Rule[]>("GET", "/api/allowlist")).toEqual([rule]);
    expect((await data<Detail>("GET", `/api/threats/${threat!.id}`)).falsePositive).toBe(true);

    // The same request checked again: allowed, with the allowlist reason first.
    const after = await check(xssCheck);
    expect(after.is_anomaly).toBe(false);
    expect(after.severity).toBe("none");
    expect("attack_type" in after).toBe(false);
    expect(after.reasons[0]).toMatchObject({ detector: "allowlist", field: "query.q" });
    expect(after.reasons.slice(1).map((r) => r.name)).toContain("xss");

    // The same line arriving in the log again: stored as benign traffic, no new threat.
    s.writeBehind.flush();
    const threats = threatCount();
    appendFileSync(logPath, `${XSS_LINE}\n`);
    await waitFor("the appended line", () => s.sources()[0]!.lines === LINES.length + 1);
    expect(threatCount()).toBe(threats);
    const latest = (await data<Traffic[]>("GET", "/api/traffic?limit=1&path=/search"))[0]!;
    expect(latest).toMatchObject({ endpoint: "/search", isAnomaly: false });

    // The marked request is in the benign store that retraining reads.
    const benign: { path: string; query: string; clientIp: string }[] = [];
    for await (const batch of recentBenignRequests(s.ctx.store, 10_000)) benign.push(...batch);
    expect(benign.filter((r) => r.path === "/search" && r.query === "q=%3Cscript%3Ealert(1)%3C/script%3E" && r.clientIp === "203.0.113.7").length).toBeGreaterThanOrEqual(2);

    // The rule is for query.q only: the same attack in another field is flagged, alone or beside it.
    expect((await check({ method: "GET", path: "/search", query_params: { q: "shoes", lang: "<script>alert(1)</script>" } })).is_anomaly).toBe(true);
    expect((await check({ method: "GET", path: "/search", query_params: { q: "<script>alert(1)</script>", lang: "<script>alert(2)</script>" } })).is_anomaly).toBe(true);
    // ... and other endpoints are not covered.
    expect((await check({ ...xssCheck, path: "/search2" })).is_anomaly).toBe(true);

    const activity = (await data<{ kind: string; title: string; details: string }[]>("GET", "/api/activities/recent?limit=50")).find((a) => a.title === "False positive marked");
    expect(activity).toMatchObject({ kind: "settings.changed" });
    expect(activity!.details).toContain(`allowlist rule ${rule.id} added`);

    // Marking it again adds nothing.
    const again = await callApi<Rule>(app, "POST", `/api/threats/${threat!.id}/false-positive`, {});
    expect(again.body.data.id).toBe(rule.id);
    expect(again.body.message).toContain("already");
    expect((await data<Rule[]>("GET", "/api/allowlist")).length).toBe(1);

    expect(await data<Rule>("DELETE", `/api/allowlist/${rule.id}`)).toEqual(rule);
    expect(await data<Rule[]>("GET", "/api/allowlist")).toEqual([]);
    const removed = (await data<{ title: string; details: string }[]>("GET", "/api/activities/recent?limit=50")).find((a) => a.title === "Allowlist rule removed");
    expect(removed?.details).toStartWith(`rule ${rule.id}: xss on `);
    expect(await check(xssCheck)).toMatchObject({ is_anomaly: true, attack_type: "xss" });
    expect((await data<Detail>("GET", `/api/threats/${threat!.id}`)).falsePositive).toBe(false);
  });

  test("scope endpoint covers any field of the endpoint, for the threat's attack type only", async () => {
    const [threat] = await threatsOf("type=sqli&limit=1");
    const rule = await data<Rule>("POST", `/api/threats/${threat!.id}/false-positive`, { scope: "endpoint" });
    expect(rule).toMatchObject({ endpoint: "/items", field: null, attackType: "sqli", note: "" });
    expect((await check({ method: "GET", path: "/items", query_params: { sort: "1' UNION SELECT password FROM users--" } })).is_anomaly).toBe(false);
    expect((await check({ method: "GET", path: "/items", query_params: { id: "<script>alert(document.cookie)</script>" } })).is_anomaly).toBe(true);
    await data<Rule>("DELETE", `/api/allowlist/${rule.id}`);
    expect((await check({ method: "GET", path: "/items", query_params: { sort: "1' UNION SELECT password FROM users--" } })).is_anomaly).toBe(true);
  });

  test("errors: unknown threat or rule 404, bad id or body 400", async () => {
    const [threat] = await threatsOf("limit=1");
    expect((await failure("POST", "/api/threats/999999/false-positive", {})).status).toBe(404);
    expect((await failure("POST", "/api/threats/abc/false-positive", {})).status).toBe(400);
    for (const body of [{ scope: "everywhere" }, { note: "x".repeat(501) }, { note: 5 }, "{not json"]) {
      expect({ body, status: (await failure("POST", `/api/threats/${threat!.id}/false-positive`, body)).status }).toEqual({ body, status: 400 });
    }
    expect(await data<Rule[]>("GET", "/api/allowlist")).toEqual([]);
    expect((await failure("DELETE", "/api/allowlist/999999")).status).toBe(404);
    expect((await failure("DELETE", "/api/allowlist/first")).status).toBe(400);
  });
});

describe("locating evidence in a raw value", () => {
  test("through URL-encoding passes, `+` as space, UTF-8 sequences, case and whitespace runs; null when it is not there", () => {
    const at = (raw: string, evidence: string, plus = true) => {
      const span = locateEvidence(raw, evidence, plus);
      return span && raw.slice(span.start, span.end);
    };
    expect(at("abc' or 1=1--", "' or 1=1")).toBe("' or 1=1");
    expect(at("x%253Cscript%253Ey", "<script>")).toBe("%253Cscript%253E"); // double encoding
    expect(at("1+UNION++SELECT+pw", "union select")).toBe("UNION++SELECT");
    expect(at("%E2%80%A8%3Cimg%20src=x%3E", "<img src=x>")).toBe("%3Cimg%20src=x%3E");
    expect(at("caf%C3%A9%20%3Cb%3E", "café <b>")).toBe("caf%C3%A9%20%3Cb%3E");
    expect(at("a+b", "a b", false)).toBeNull(); // `+` is a space in query and form values only
    expect(at("%3Cscript%3E", "<svg>")).toBeNull();
    expect(at("anything", "")).toBeNull();
  });
});
