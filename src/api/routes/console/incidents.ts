/** An incident — a campaign's alert — in full: its counts, first and last seen, and the addresses and endpoints it hit. */
import { Elysia, t } from "elysia";
import { AlertData, iso, toAlertData } from "../../contract.ts";
import { IdParam } from "../../console-contract.ts";
import { ApiError, envelope, ErrorEnvelope, ok } from "../../envelope.ts";
import type { ApiServices } from "../../services.ts";
import { incidentDetail } from "../../../services/incidents.ts";

const Count = t.Object({ value: t.String(), threats: t.Number() });

const Incident = t.Object({
  alert: AlertData,
  threats: t.Number({ description: "threats of the campaign so far" }),
  firstSeen: t.Nullable(t.String()),
  lastSeen: t.Nullable(t.String()),
  addresses: t.Array(Count, { description: "client addresses, the most active first (at most 20)" }),
  endpoints: t.Array(Count, { description: "endpoints hit, the most hit first (at most 20)" }),
});

export function incidentRoutes(s: ApiServices) {
  return new Elysia({ name: "console-incidents", prefix: "/api" }).get(
    "/incidents/:id",
    ({ params }) => {
      const detail = incidentDetail(s.ctx.store, params.id);
      if (!detail) throw new ApiError(404, `no incident ${params.id}`);
      const when = (ms: number | null) => (ms === null ? null : iso(ms));
      return ok({ ...detail, alert: toAlertData(detail.alert, s.ctx.now()), firstSeen: when(detail.firstSeen), lastSeen: when(detail.lastSeen) });
    },
    {
      params: IdParam,
      response: { 200: envelope(Incident), 404: ErrorEnvelope },
      detail: { tags: ["alerts"], summary: "An incident (an alert grouping one attack type from one network): counts, first and last seen, addresses and endpoints" },
    },
  );
}
