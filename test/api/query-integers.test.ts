/**
 * Integers in query strings and paths are plain decimal numbers in range (issue 12, item 17):
 * `limit=0x10` and `limit=1.5` were accepted (Number() reads hex, exponents and spaces).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApi } from "../../src/api/app.ts";
import type { ApiServices } from "../../src/api/services.ts";
import { apiData, apiFailure, makeApiServices } from "../helpers/api.ts";
import type { ThreatDataT } from "../../src/api/contract.ts";

let s: ApiServices;
let app: ReturnType<typeof createApi>;
beforeAll(async () => {
  s = await makeApiServices();
  app = createApi(s);
  // Three requests judged and stored, so that limits have rows to cut.
  for (let i = 0; i < 3; i++) await apiData(app, "POST", "/api/waf/check", { method: "GET", path: `/items/${i}`, query_params: { id: `${i}' UNION SELECT password FROM users--` } });
  s.writeBehind.flush();
});
afterAll(() => {
  app.decorator.wsHub.close();
  s.ctx.store.close();
});

describe("integer query parameters", () => {
  test("hex, fractions, exponents, signs, spaces and empty values are a 400 that says what is expected", async () => {
    for (const bad of ["0x10", "1.5", "1e2", "+5", "-1", "%2010", "10%20", "", "0", "1001", "99999999999999999999"]) {
      const { status, message } = await apiFailure(app, "GET", `/api/threats?limit=${bad}`);
      expect({ bad, status, message }).toEqual({ bad, status: 400, message: "invalid limit: must be a whole number of rows from 1 to 1000 (default 1000)" });
    }
    expect(await apiFailure(app, "GET", "/api/threats?before=0x5")).toEqual({ status: 400, message: expect.stringMatching(/^invalid before: must be a positive whole number/) });
    expect(await apiFailure(app, "GET", "/api/traffic?status=0x1F4")).toEqual({ status: 400, message: expect.stringMatching(/^invalid status: must be a response status from 100 to 599/) });
    expect(await apiFailure(app, "GET", "/api/threats/0x1")).toEqual({ status: 400, message: "invalid id: must be a positive whole number" });
  });

  test("plain decimal values work, and the contract's defaults still apply when the parameter is left out", async () => {
    expect(await apiData<unknown[]>(app, "GET", "/api/threats/recent?limit=2")).toHaveLength(2);
    expect(await apiData<unknown[]>(app, "GET", "/api/threats?limit=1000")).toHaveLength(3);
    expect(await apiData<unknown[]>(app, "GET", "/api/threats/recent")).toHaveLength(3); // default 20
    expect(await apiData<unknown[]>(app, "GET", "/api/traffic/recent")).toHaveLength(3); // default 50
    expect(await apiData<unknown[]>(app, "GET", "/api/activities/recent")).toBeArray(); // default 10
    const [newest] = await apiData<ThreatDataT[]>(app, "GET", "/api/threats?limit=1");
    expect(await apiData<unknown[]>(app, "GET", `/api/threats?before=${newest!.id}`)).toHaveLength(2);
    expect(await apiData<unknown[]>(app, "GET", "/api/traffic?status=200&limit=007")).toBeArray();
    expect((await apiData<ThreatDataT>(app, "GET", `/api/threats/${newest!.id}`)).id).toBe(newest!.id);
  });
});
