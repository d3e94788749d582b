/** GET /api/incidents/:id: an incident (a campaign's alert) with its counts, addresses and endpoints. */
import { describe, expect, test } from "bun:test";
import { createApi } from "../../src/api/app.ts";
import { threats } from "../../src/store/schema.ts";
import type { IncidentT } from "../../src/api/console-contract.ts";
import { apiData, apiFailure, makeApiServices } from "../helpers/api.ts";

describe("/api/incidents/:id", () => {
  test("the alert as the contract shows it, with the campaign's threats, addresses and endpoints; 404 for none", async () => {
    const s = await makeApiServices();
    const app = createApi(s);
    const now = Date.now();
    const rows = s.ctx.store.db
      .insert(threats)
      .values(["45.83.64.1", "45.83.64.2", "45.83.64.2"].map((clientIp, i) => ({ time: now + i, clientIp, method: "GET", endpoint: i ? "/login" : "/", attackType: "log4shell", severity: "critical" as const, score: 0.99, threshold: 0.9, reasons: "[]", request: "{}", modelVersion: "m", source: "test" })))
      .returning()
      .all();
    const [incident] = s.alerts.onThreats(rows);
    const detail = await apiData<IncidentT>(app, "GET", `/api/incidents/${incident!.id}`);
    expect(detail.alert).toMatchObject({ id: incident!.id, title: "log4shell attacks from 45.83.64.0/24" });
    expect(detail.threats).toBe(3);
    expect(detail.addresses).toEqual([{ value: "45.83.64.2", threats: 2 }, { value: "45.83.64.1", threats: 1 }]);
    expect(detail.endpoints).toEqual([{ value: "/login", threats: 2 }, { value: "/", threats: 1 }]);
    expect(detail.firstSeen).toBe(new Date(now).toISOString());
    expect(await apiFailure(app, "GET", "/api/incidents/99999")).toMatchObject({ status: 404 });
    s.ctx.store.close();
  });
});
