/** An incident — a campaign's alert — in full: its counts, first and last seen, and the addresses and endpoints it hit. */
import { Elysia } from "elysia";
import { isoOrNull, toAlertData } from "../../contract.ts";
import { IdParam, Incident } from "../../console-contract.ts";
import { ApiError, envelope, ErrorEnvelope, ok } from "../../envelope.ts";
import type { ApiServices } from "../../services.ts";
import { incidentDetail } from "../../../services/incidents.ts";

export function incidentRoutes(s: ApiServices) {
  return new Elysia({ name: "console-incidents", prefix: "/api" }).get(
    "/incidents/:id",
    ({ params }) => {
      const detail = incidentDetail(s.ctx.store, params.id);
      if (!detail) throw new ApiError(404, `no incident ${params.id}`);
      return ok({ ...detail, alert: toAlertData(detail.alert, s.ctx.now()), firstSeen: isoOrNull(detail.firstSeen), lastSeen: isoOrNull(detail.lastSeen) });
    },
    {
      params: IdParam,
      response: { 200: envelope(Incident), 404: ErrorEnvelope },
      detail: { tags: ["alerts"], summary: "An incident (an alert grouping one attack type from one network): counts, first and last seen, addresses and endpoints" },
    },
  );
}
