/**
 * The console's traffic tail: the rows of GET /api/traffic with what the contract's shape leaves
 * out (the query string, the response time), and how old the stored data is, from which the
 * dashboard picks its default range.
 */
import { Elysia, t } from "elysia";
import { isoOrNull } from "../../contract.ts";
import { ConsoleTraffic, DataAge, RequestListQuery, toConsoleTraffic, trafficFilterOptions } from "../../console-contract.ts";
import { envelope, ok } from "../../envelope.ts";
import type { ApiServices } from "../../services.ts";
import { oldestData } from "../../../services/addresses.ts";
import { parseRange } from "../../../services/range.ts";
import { listTraffic } from "../../../services/traffic.ts";

export function requestRoutes(s: ApiServices) {
  const tags = ["traffic"];
  return new Elysia({ name: "console-requests", prefix: "/api" })
    .get(
      "/requests",
      ({ query }) => {
        const now = s.ctx.now();
        const rows = listTraffic(s.ctx.store, { since: now - parseRange(query.range).ms, limit: query.limit ?? 200, beforeId: query.before, ...trafficFilterOptions(query) });
        return ok(rows.map((r) => toConsoleTraffic(r, now)));
      },
      { query: RequestListQuery, response: envelope(t.Array(ConsoleTraffic)), detail: { tags, summary: "Recent requests, newest first, with their query string and response time (the filters of GET /api/traffic)" } },
    )
    .get(
      "/data-age",
      () => {
        const oldest = oldestData(s.ctx.store);
        return ok({ oldest: isoOrNull(oldest) });
      },
      { response: envelope(DataAge), detail: { tags, summary: "When the stored traffic begins (the dashboard's default range holds it)" } },
    );
}
