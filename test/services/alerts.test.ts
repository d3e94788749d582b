import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";
import type { Severity } from "../../src/core/enums.ts";
import { createLogger } from "../../src/core/log.ts";
import { openStore, type Store } from "../../src/store/db.ts";
import { metricRollups, threats } from "../../src/store/schema.ts";
import { Activities } from "../../src/services/activities.ts";
import { BurstTracker } from "../../src/services/alert-rules.ts";
import { AlertService, MAX_ALERTS_PER_QUERY } from "../../src/services/alerts.ts";
import { incidentDetail } from "../../src/services/incidents.ts";
import { Bus, type BusEvent } from "../../src/pipeline/bus.ts";
import { type AlertRow, type ThreatRow } from "../../src/store/rows.ts";
import { tempDir } from "../helpers/tmp.ts";

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 24, 12, 0);

interface Harness {
  store: Store;
  alerts: AlertService;
  events: BusEvent[];
  clock: { now: number };
  activities: Activities;
}

const opened: Harness[] = [];
afterEach(() => {
  for (const h of opened.splice(0)) {
    h.alerts.close();
    h.store.close();
  }
});

/** The webhook's host name resolves to a documentation address, allowed by the test's config (fetch is faked: nothing is sent). */
const testLookup = async () => [{ address: "192.0.2.10", family: 4 as const }];

function harness(alertConfig: Partial<Config["alerts"]> = {}, fetchImpl?: typeof fetch): Harness {
  const config = loadConfig({ env: {} }).config;
  config.alerts = { ...config.alerts, ...alertConfig };
  const store = openStore(join(tempDir(), "alerts.db"));
  const bus = new Bus();
  const events: BusEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const activities = new Activities(store, bus);
  const clock = { now: T0 };
  const log = createLogger({ level: "error", format: "logfmt", write: () => {} });
  // One clock for both: these tests move time forward only (clock steps: test/api/auth.test.ts).
  const alerts = new AlertService({ store, bus, activities, config, log, now: () => clock.now, monotonic: () => clock.now }, { fetch: fetchImpl, lookup: testLookup });
  const h = { store, alerts, events, clock, activities };
  opened.push(h);
  return h;
}

interface ThreatSpec {
  ip: string;
  type?: string;
  severity?: Severity;
  time?: number;
  endpoint?: string;
}

function storeThreats(store: Store, specs: ThreatSpec[]): ThreatRow[] {
  const rows = specs.map((s) => ({
    time: s.time ?? T0,
    clientIp: s.ip,
    method: "GET",
    endpoint: s.endpoint ?? "/search",
    attackType: s.type ?? "sqli",
    severity: s.severity ?? "critical",
    score: 0.97,
    threshold: 0.5,
    reasons: "[]",
    request: "{}",
    modelVersion: "m",
    source: "test",
  }));
  return store.db.insert(threats).values(rows).returning().all();
}

function storeMinute(store: Store, bucket: number, requests: number, errors5xx = 0, agent = ""): void {
  store.db.insert(metricRollups).values({ resolution: "minute", bucket, agent, requests, errors5xx }).run();
}

const alertEvents = (events: BusEvent[]): AlertRow[] => events.flatMap((e) => (e.type === "alert" ? [e.data] : []));
const activityTypes = (events: BusEvent[]): string[] => events.flatMap((e) => (e.type === "activity" ? [e.data.type] : []));
const repeat = (n: number, spec: ThreatSpec): ThreatSpec[] => Array.from({ length: n }, () => spec);

describe("threat alerts", () => {
  test("one incident per (attack type, network) for critical and high threats, counting them", () => {
    const { store, alerts, events } = harness();
    alerts.onThreats(storeThreats(store, [
      ...repeat(3, { ip: "203.0.113.9", type: "sqli", severity: "critical" }),
      { ip: "203.0.113.9", type: "xss", severity: "high" },
      { ip: "198.51.100.7", type: "sqli", severity: "critical" },
      ...repeat(4, { ip: "198.51.100.7", type: "scanner", severity: "medium" }),
      { ip: "198.51.100.8", type: "anomaly", severity: "low" },
    ]));
    alerts.onThreats(storeThreats(store, repeat(2, { ip: "203.0.113.9", type: "sqli", severity: "high", endpoint: "/login" })));

    const open = alerts.active(100);
    const summary = open.map((a) => [a.groupKey, a.count, a.type, a.severity, a.source]).sort();
    expect(summary).toEqual([
      ["threat:sqli:198.51.100.0/24", 1, "critical", "high", "198.51.100.0/24"],
      ["threat:sqli:203.0.113.0/24", 5, "critical", "high", "203.0.113.0/24"],
      ["threat:xss:203.0.113.0/24", 1, "warning", "high", "203.0.113.0/24"],
    ]);
    const sqli = open.find((a) => a.groupKey === "threat:sqli:203.0.113.0/24")!;
    expect(sqli.title).toBe("sqli attacks from 203.0.113.0/24");
    expect(sqli.description).toContain("/login");
    // Four alert events: three new alerts, then the update of the second batch.
    expect(alertEvents(events).map((a) => [a.groupKey, a.count])).toEqual([
      ["threat:sqli:203.0.113.0/24", 3],
      ["threat:xss:203.0.113.0/24", 1],
      ["threat:sqli:198.51.100.0/24", 1],
      ["threat:sqli:203.0.113.0/24", 5],
    ]);
  });

  test("a critical threat makes an open high-severity alert of its group critical", () => {
    const { store, alerts } = harness();
    alerts.onThreats(storeThreats(store, [{ ip: "203.0.113.9", type: "cmdi", severity: "high" }]));
    const [raised] = alerts.onThreats(storeThreats(store, [{ ip: "203.0.113.9", type: "cmdi", severity: "critical" }]));
    expect([raised?.type, raised?.severity, raised?.count]).toEqual(["critical", "high", 2]);
  });

  test("the burst rule fires when an IP reaches burst_threats within the window, not before", () => {
    const { store, alerts } = harness({ burst_threats: 5, burst_window_seconds: 60 });
    const scanner = (time: number): ThreatSpec => ({ ip: "192.0.2.1", type: "scanner", severity: "medium", time });
    alerts.onThreats(storeThreats(store, [0, 1, 2].map((i) => scanner(T0 + i * 1000))));
    expect(alerts.onThreats(storeThreats(store, [scanner(T0 + 3000)]))).toEqual([]);
    const [burst] = alerts.onThreats(storeThreats(store, [scanner(T0 + 4000)]));
    expect([burst?.groupKey, burst?.type, burst?.severity, burst?.count, burst?.source]).toEqual(["burst:192.0.2.1", "warning", "medium", 1, "192.0.2.1"]);
    expect(burst?.description).toContain("5 threats within 60 s");

    // The count starts over after a burst: the next five within a minute are a second burst.
    const second = alerts.onThreats(storeThreats(store, [5, 6, 7, 8, 9].map((i) => scanner(T0 + i * 1000))));
    expect(second.map((a) => a.count)).toEqual([2]);
  });

  test("threats spread wider than the burst window are no burst", () => {
    const { store, alerts } = harness({ burst_threats: 3, burst_window_seconds: 10 });
    const raised = alerts.onThreats(storeThreats(store, [0, 6, 12, 18, 24].map((s) => ({ ip: "192.0.2.1", severity: "low", type: "anomaly", time: T0 + s * 1000 }))));
    expect(raised).toEqual([]);
    expect(alerts.active(10)).toEqual([]);
  });

  test("the burst tracker forgets the least recently seen IPs beyond its bound", () => {
    const tracker = new BurstTracker(3, 60_000, 2);
    for (const ip of ["a", "b", "c", "d"]) tracker.add(ip, T0);
    expect(tracker.trackedIps).toBe(2);
    // "d" is remembered: two more of its threats complete a burst.
    tracker.add("d", T0 + 1);
    expect(tracker.add("d", T0 + 2)).toBe(true);
    // "a" was forgotten: two more are only two.
    tracker.add("a", T0 + 1);
    expect(tracker.add("a", T0 + 2)).toBe(false);
  });
});

describe("traffic alerts", () => {
  const minute = T0 + 30 * MINUTE;
  const afterMinute = minute + MINUTE + 5_000;

  test("a minute with a 5xx share at or above error_rate_percent raises a warning", () => {
    const { store, alerts } = harness({ error_rate_percent: 20 });
    storeMinute(store, minute, 100, 20);
    const [raised] = alerts.checkTraffic(afterMinute);
    expect([raised?.groupKey, raised?.type, raised?.severity, raised?.source, raised?.count]).toEqual(["traffic:5xx", "warning", "medium", "traffic", 1]);
    expect(raised?.description).toContain("20.0% of 100 requests");
  });

  test("checking the same minute again does not count it twice; the next bad minute does", () => {
    const { store, alerts } = harness({ error_rate_percent: 20 });
    storeMinute(store, minute, 100, 50);
    storeMinute(store, minute + MINUTE, 100, 50);
    alerts.checkTraffic(afterMinute);
    expect(alerts.checkTraffic(afterMinute + 20_000)).toEqual([]);
    expect(alerts.active(10).map((a) => a.count)).toEqual([1]);
    alerts.checkTraffic(afterMinute + MINUTE);
    expect(alerts.active(10).map((a) => a.count)).toEqual([2]);
  });

  test("on a hub, the rules judge the whole site's minute: every agent's row of it, and of the baseline, summed", () => {
    const { store, alerts } = harness({ error_rate_percent: 20, rate_jump_factor: 5 });
    // Each agent alone is under the 20 requests a rule needs; together they are 30, a third of them 5xx.
    storeMinute(store, minute, 15, 5, "web-1");
    storeMinute(store, minute, 15, 5, "web-2");
    for (let i = 1; i <= 10; i++) for (const agent of ["web-1", "web-2"]) storeMinute(store, minute - i * MINUTE, 1, 0, agent); // 2 a minute
    const raised = alerts.checkTraffic(afterMinute);
    expect(raised.map((a) => a.groupKey).sort()).toEqual(["traffic:5xx", "traffic:rate-jump"]);
    expect(raised.find((a) => a.groupKey === "traffic:5xx")?.description).toContain("33.3% of 30 requests");
    expect(raised.find((a) => a.groupKey === "traffic:rate-jump")?.description).toContain("15.0x the usual 2.0 per minute");
  });

  test("no 5xx alert below 20 requests or below the share", () => {
    const { store, alerts } = harness({ error_rate_percent: 20 });
    storeMinute(store, minute, 19, 19);
    storeMinute(store, minute + MINUTE, 100, 19);
    expect(alerts.checkTraffic(afterMinute)).toEqual([]);
    expect(alerts.checkTraffic(afterMinute + MINUTE)).toEqual([]);
  });

  test("a minute with rate_jump_factor times the baseline of earlier minutes raises an info alert", () => {
    const { store, alerts } = harness({ rate_jump_factor: 5 });
    for (let i = 1; i <= 10; i++) storeMinute(store, minute - i * MINUTE, i % 2 ? 8 : 12); // mean 10
    storeMinute(store, minute, 50);
    const [raised] = alerts.checkTraffic(afterMinute);
    expect([raised?.groupKey, raised?.type, raised?.severity, raised?.source]).toEqual(["traffic:rate-jump", "info", "medium", "traffic"]);
    expect(raised?.description).toContain("5.0x the usual 10.0 per minute");
  });

  test("no rate-jump alert under the factor, or with fewer than 10 baseline minutes", () => {
    const under = harness({ rate_jump_factor: 5 });
    for (let i = 1; i <= 10; i++) storeMinute(under.store, minute - i * MINUTE, 10);
    storeMinute(under.store, minute, 49);
    expect(under.alerts.checkTraffic(afterMinute)).toEqual([]);

    const young = harness({ rate_jump_factor: 5 });
    for (let i = 1; i <= 9; i++) storeMinute(young.store, minute - i * MINUTE, 10);
    storeMinute(young.store, minute, 500);
    expect(young.alerts.checkTraffic(afterMinute)).toEqual([]);
  });

  test("the baseline is the previous hour: older minutes do not count towards it", () => {
    const { store, alerts } = harness({ rate_jump_factor: 5 });
    for (let i = 61; i <= 80; i++) storeMinute(store, minute - i * MINUTE, 10);
    storeMinute(store, minute, 500);
    expect(alerts.checkTraffic(afterMinute)).toEqual([]);
  });
});

describe("lifecycle", () => {
  test("acknowledge and dismiss change the state, record an activity and publish the alert", () => {
    const { store, alerts, events, activities } = harness();
    const [raised] = alerts.onThreats(storeThreats(store, [{ ip: "203.0.113.9" }]));
    const id = raised!.id;
    events.length = 0;

    expect(alerts.acknowledge(id)?.status).toBe("acknowledged");
    // Still open: a new occurrence counts on the acknowledged alert.
    alerts.onThreats(storeThreats(store, [{ ip: "203.0.113.9" }]));
    expect([alerts.byId(id)?.status, alerts.byId(id)?.count]).toEqual(["acknowledged", 2]);

    expect(alerts.dismiss(id)?.status).toBe("dismissed");
    const again = alerts.dismiss(id);
    expect(again?.status).toBe("dismissed");
    expect(alerts.acknowledge(id)?.status).toBe("dismissed");

    expect(activityTypes(events)).toEqual(["alert.acknowledged", "alert.dismissed"]);
    expect(alertEvents(events).map((a) => [a.id, a.status])).toEqual([[id, "acknowledged"], [id, "acknowledged"], [id, "dismissed"]]);
    const [latest] = activities.list({ limit: 1 });
    expect([latest?.type, latest?.ip, latest?.details]).toEqual(["alert.dismissed", null, `#${id} sqli attacks from 203.0.113.0/24`]);

    expect(alerts.acknowledge(9999)).toBeNull();
    expect(alerts.dismiss(9999)).toBeNull();
    expect(alerts.byId(9999)).toBeNull();
  });

  test("after a dismissal the same group raises a new alert", () => {
    const { store, alerts } = harness();
    const [first] = alerts.onThreats(storeThreats(store, [{ ip: "203.0.113.9" }]));
    alerts.dismiss(first!.id);
    const [second] = alerts.onThreats(storeThreats(store, [{ ip: "203.0.113.9" }]));
    expect(second?.id).not.toBe(first?.id);
    expect([second?.status, second?.count]).toEqual(["active", 1]);
  });

  test("autoResolve resolves open alerts not seen for auto_resolve_minutes", () => {
    const { store, alerts, events, clock } = harness({ auto_resolve_minutes: 60 });
    const [old] = alerts.onThreats(storeThreats(store, [{ ip: "192.0.1.1" }]));
    const [acked] = alerts.onThreats(storeThreats(store, [{ ip: "192.0.2.2" }]));
    const [dismissed] = alerts.onThreats(storeThreats(store, [{ ip: "192.0.3.3" }]));
    alerts.acknowledge(acked!.id);
    alerts.dismiss(dismissed!.id);
    clock.now = T0 + 30 * MINUTE;
    const [recent] = alerts.onThreats(storeThreats(store, [{ ip: "192.0.4.4" }]));
    events.length = 0;

    expect(alerts.autoResolve(T0 + 60 * MINUTE)).toEqual([]);
    const resolved = alerts.autoResolve(T0 + 61 * MINUTE);
    expect(resolved.map((a) => a.id).sort((x, y) => x - y)).toEqual([old!.id, acked!.id]);
    expect(resolved.map((a) => a.status)).toEqual(["resolved", "resolved"]);
    expect(alerts.byId(dismissed!.id)?.status).toBe("dismissed");
    expect(alerts.byId(recent!.id)?.status).toBe("active");
    expect(activityTypes(events)).toEqual(["alert.resolved", "alert.resolved"]);
    expect(alertEvents(events).map((a) => a.status)).toEqual(["resolved", "resolved"]);
  });
});

describe("queries", () => {
  test("active lists open alerts newest first; history covers every state within a time range", () => {
    const { store, alerts, clock } = harness();
    const raiseAt = (time: number, ip: string) => {
      clock.now = time;
      return alerts.onThreats(storeThreats(store, [{ ip }]))[0]!;
    };
    const a = raiseAt(T0, "192.0.1.1");
    const b = raiseAt(T0 + 10 * MINUTE, "192.0.2.2");
    const c = raiseAt(T0 + 20 * MINUTE, "192.0.3.3");
    alerts.dismiss(b.id);

    expect(alerts.active(10).map((x) => x.id)).toEqual([c.id, a.id]);
    expect(alerts.history({ limit: 10 }).map((x) => x.id)).toEqual([c.id, b.id, a.id]);
    expect(alerts.history({ since: T0 + 5 * MINUTE, limit: 10 }).map((x) => x.id)).toEqual([c.id, b.id]);
    expect(alerts.history({ until: T0 + 15 * MINUTE, limit: 10 }).map((x) => x.id)).toEqual([b.id, a.id]);
    expect(alerts.history({ since: T0 + 5 * MINUTE, until: T0 + 15 * MINUTE, limit: 10 }).map((x) => x.id)).toEqual([b.id]);
    expect(alerts.history({ limit: 2 }).map((x) => x.id)).toEqual([c.id, b.id]);
  });

  test("limits are respected and capped", () => {
    const { store, alerts } = harness();
    const ips = Array.from({ length: MAX_ALERTS_PER_QUERY + 5 }, (_, i) => `10.${i >> 8}.${i & 255}.1`); // one network each
    alerts.onThreats(storeThreats(store, ips.map((ip) => ({ ip }))));
    expect(alerts.active(5)).toHaveLength(5);
    expect(alerts.active(0)).toHaveLength(0);
    expect(alerts.active(1_000_000)).toHaveLength(MAX_ALERTS_PER_QUERY);
    expect(alerts.history({ limit: Number.POSITIVE_INFINITY })).toHaveLength(MAX_ALERTS_PER_QUERY);
    expect(alerts.history({ limit: 7 })).toHaveLength(7);
  });
});

describe("webhook from alerts", () => {
  test("a new alert is posted, its count increases at most once a minute, nothing without a URL", async () => {
    const posted: { text: string; alert: AlertRow }[] = [];
    const recordingFetch = (async (_url: string | URL | Request, init?: RequestInit) => {
      posted.push(JSON.parse(String(init?.body)));
      return new Response("ok");
    }) as typeof fetch;
    const { store, alerts, clock } = harness({ webhook_url: "http://hooks.invalid/alerts", webhook_allow_ranges: ["192.0.2.0/24"] }, recordingFetch);
    const attack = () => alerts.onThreats(storeThreats(store, [{ ip: "203.0.113.9", endpoint: "/<!channel>" }]));

    attack();
    clock.now = T0 + 30_000;
    attack();
    clock.now = T0 + 61_000;
    attack();
    await alerts.webhookIdle();

    expect(posted.map((p) => p.alert.count)).toEqual([1, 3]);
    expect(posted[0]?.text).toBe("[CRITICAL] sqli attacks from 203.0.113.0/24: 1 threat from 1 address on /&lt;!channel&gt;. Latest: GET /&lt;!channel&gt; from 203.0.113.9 scored 0.97 (threshold 0.50)");
    expect(posted[1]?.text).toStartWith("[CRITICAL] sqli attacks from 203.0.113.0/24 (x3): 3 threats from 1 address");
    expect(alerts.webhookStats).toEqual({ sent: 2, failed: 0, dropped: 0, queued: 0 });

    const quiet = harness();
    quiet.alerts.onThreats(storeThreats(quiet.store, [{ ip: "203.0.113.9" }]));
    expect(quiet.alerts.webhookStats).toBeNull();
  });
});

describe("incidents", () => {
  test("a campaign rotating addresses inside one /24 is one incident: its threats join it, and its detail counts them", () => {
    const { store, alerts, clock } = harness();
    const spray = Array.from({ length: 8 }, (_, i) => ({ ip: `45.83.64.${10 + i}`, type: "log4shell", endpoint: i % 2 ? "/api/login" : "/" }));
    alerts.onThreats(storeThreats(store, spray.slice(0, 3)));
    expect(alerts.active(1)[0]!.description).toStartWith("3 threats from 3 addresses on /, /api/login.");
    alerts.onThreats(storeThreats(store, spray.slice(3, 4)));
    // Counted again at most every 10 s: meanwhile the summary stays, the latest occurrence changes.
    expect(alerts.active(1)[0]!.description).toStartWith("3 threats from 3 addresses on /, /api/login. Latest: GET /api/login from 45.83.64.13");
    clock.now += 10_000;
    alerts.onThreats(storeThreats(store, spray.slice(4)));
    alerts.onThreats(storeThreats(store, [{ ip: "45.83.65.1", type: "log4shell" }])); // the next /24: another incident
    const open = alerts.active(10);
    expect(open.map((a) => [a.title, a.count])).toEqual([
      ["log4shell attacks from 45.83.65.0/24", 1],
      ["log4shell attacks from 45.83.64.0/24", 8],
    ]);
    const incident = open[1]!;
    expect(incident.description).toStartWith("8 threats from 8 addresses on /, /api/login. Latest: GET /api/login from 45.83.64.17");
    const detail = incidentDetail(store, incident.id)!;
    expect(detail).toMatchObject({ threats: 8, firstSeen: T0, lastSeen: T0 });
    expect(detail.addresses).toHaveLength(8);
    expect(detail.endpoints).toEqual([{ value: "/", threats: 4 }, { value: "/api/login", threats: 4 }]);
    expect(incidentDetail(store, 9999)).toBeNull();
  });

  test("acknowledging an incident acknowledges its threats; other incidents' threats stay as they were", () => {
    const { store, alerts, clock } = harness();
    const [incident] = alerts.onThreats(storeThreats(store, [{ ip: "45.83.64.1" }, { ip: "45.83.64.2" }]));
    alerts.onThreats(storeThreats(store, [{ ip: "198.51.100.1" }]));
    clock.now = T0 + 60_000;
    alerts.acknowledge(incident!.id);
    const rows = store.sqlite!.query("select client_ip as ip, acknowledged_at as at from threats order by id").all();
    expect(rows).toEqual([{ ip: "45.83.64.1", at: T0 + 60_000 }, { ip: "45.83.64.2", at: T0 + 60_000 }, { ip: "198.51.100.1", at: null }]);
  });
});
