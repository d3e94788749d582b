/**
 * Block mode on the inline checks: a site-model anomaly (a new page, a new campaign) is answered and
 * stored as flagged, not blocked, unless its endpoint opted in; a known attack class is blocked.
 */
import { describe, expect, test } from "bun:test";
import { Elysia } from "elysia";
import { detectionRoutes } from "../../src/api/routes/detection.ts";
import type { HttpRequest } from "../../src/core/http-request.ts";
import { severityOf, type Verdict } from "../../src/detect/verdict.ts";
import { callApi, makeApiServices } from "../helpers/api.ts";
import type { CheckAnswerT } from "../../src/api/inline-check.ts";
import { toTrafficData } from "../../src/api/contract.ts";
import { listTraffic } from "../../src/services/traffic.ts";

/** What a site model says of the requests: the new pages and campaigns depart from the profile. */
function anomalyJudge(requests: HttpRequest[]): Promise<Verdict[]> {
  return Promise.resolve(
    requests.map((r) => {
      const attackType = r.query.includes("UNION") ? "sqli" : r.query.includes("script") ? "xss" : "anomaly";
      const score = attackType === "sqli" ? 0.99 : 0.95;
      return { score, isAnomaly: true, threshold: 0.9, attackType, severity: severityOf(attackType, score, true), reasons: [], modelVersion: "test" };
    }),
  );
}

async function blockMode(env: Record<string, string> = {}) {
  const s = await makeApiServices({ MOAT_DETECT_MODE: "block", ...env });
  s.judge = anomalyJudge;
  const app = new Elysia().use(detectionRoutes(s, {}));
  const check = async (path: string, query_params: Record<string, string> = {}) => {
    const res = await callApi(app, "POST", "/check", { method: "GET", path, query_params }, { "content-type": "application/json" });
    return { status: res.status, blocked: (res.body as unknown as CheckAnswerT).blocked };
  };
  const storedBlocked = () => {
    s.writeBehind.flush();
    return s.ctx.store.sqlite!.query("select endpoint, blocked from threats order by endpoint").all();
  };
  /** The traffic rows as the contract's clients read them (`/api/traffic`), by endpoint. */
  const shownTraffic = () => {
    s.writeBehind.flush();
    return listTraffic(s.ctx.store, { limit: 100 }).map((r) => toTrafficData(r, Date.now())).map((t) => [t.endpoint, t.wasBlocked]).sort();
  };
  return { check, storedBlocked, shownTraffic };
}

describe("block mode and anomalies", () => {
  test("new pages and campaigns judged anomalies pass (200, stored as flagged, not blocked); an sqli is blocked", async () => {
    const { check, storedBlocked, shownTraffic } = await blockMode();
    expect(await check("/blog/winter-sale-2026")).toEqual({ status: 200, blocked: false });
    expect(await check("/landing", { utm_campaign: "xmas-2026" })).toEqual({ status: 200, blocked: false });
    expect(await check("/", { lang: "fr" })).toEqual({ status: 200, blocked: false });
    expect(await check("/items", { id: "1 UNION SELECT password FROM users" })).toEqual({ status: 403, blocked: true });
    // The traffic the contract's clients list says which request was blocked.
    expect(shownTraffic()).toEqual([["/", false], ["/blog/winter-sale-2026", false], ["/items", true], ["/landing", false]]);
    expect(storedBlocked()).toEqual([
      { endpoint: "/", blocked: 0 },
      { endpoint: "/blog/winter-sale-2026", blocked: 0 },
      { endpoint: "/items", blocked: 1 },
      { endpoint: "/landing", blocked: 0 },
    ]);
  });

  test("an endpoint that opted in has its anomalies blocked", async () => {
    const { check, storedBlocked } = await blockMode({ MOAT_DETECT_BLOCK_ANOMALY_ENDPOINTS: "/admin/**,/api/login" });
    expect(await check("/admin/users/7")).toEqual({ status: 403, blocked: true });
    expect(await check("/api/login")).toEqual({ status: 403, blocked: true });
    expect(await check("/blog/winter-sale-2026")).toEqual({ status: 200, blocked: false });
    expect(storedBlocked()).toEqual([
      { endpoint: "/admin/users/7", blocked: 1 },
      { endpoint: "/api/login", blocked: 1 },
      { endpoint: "/blog/winter-sale-2026", blocked: 0 },
    ]);
  });

  test("the minimum severity is a setting: at critical, an xss of severity high passes and a critical sqli does not", async () => {
    const xss = { q: "<script>alert(1)</script>" };
    expect(await (await blockMode()).check("/search", xss)).toEqual({ status: 403, blocked: true });
    const { check } = await blockMode({ MOAT_DETECT_BLOCK_MIN_SEVERITY: "critical" });
    expect(await check("/search", xss)).toEqual({ status: 200, blocked: false });
    expect(await check("/items", { id: "1 UNION SELECT 1" })).toEqual({ status: 403, blocked: true });
  });
});
