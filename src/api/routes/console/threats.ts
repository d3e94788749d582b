/**
 * One threat in full, and marking it as a false positive (notes/console-api.md, items 1 and 3); the
 * allowlist the marks make.
 */
import { JSON_BODY } from "../../json-body.ts";
import { Elysia, t } from "elysia";
import { AllowRule, FalsePositiveBody, IdParam, ThreatDetail, toAllowRule } from "../../console-contract.ts";
import { ApiError, envelope, ErrorEnvelope, ok } from "../../envelope.ts";
import type { ApiServices } from "../../services.ts";
import { markFalsePositive, removeAllowRule } from "../../../services/allowlist.ts";
import { threatDetail } from "./threat-detail.ts";

/** Rules are made one by one by people: a cap that a real allowlist does not reach, but a bound all the same. */
const MAX_RULES_LISTED = 1000;

export function threatConsoleRoutes(s: ApiServices) {
  const threat = (id: number) => {
    const row = s.threats.byId(id);
    if (!row) throw new ApiError(404, `no threat ${id}`);
    return row;
  };
  const tags = ["threats"];
  return new Elysia({ name: "console-threats", prefix: "/api" })
    .get("/threats/:id", ({ params }) => ok(threatDetail(threat(params.id), s.allowlist, s.ctx.detector.generic.meta.threshold, s.ctx.now())), {
      params: IdParam,
      response: { 200: envelope(ThreatDetail), 404: ErrorEnvelope },
      detail: { tags, summary: "One threat in full: the request as received, its fields normalized, the reasons with located evidence" },
    })
    .post(
      "/threats/:id/false-positive",
      ({ params, body }) => {
        const { rule, created } = markFalsePositive(s.allowlist, s.ctx.store, s.ctx.activities, threat(params.id), { scope: body.scope, note: body.note, now: s.ctx.now() });
        return ok(toAllowRule(rule), created ? "allowlist rule added" : "an identical allowlist rule was already there");
      },
      {
        params: IdParam,
        parse: JSON_BODY,
        body: FalsePositiveBody,
        response: { 200: envelope(AllowRule), 404: ErrorEnvelope },
        detail: {
          tags,
          summary: "Mark a threat as a false positive",
          description:
            "Adds an allowlist rule for the threat's endpoint, attack type and (scope field, the default) its top reason's field: from then on requests it covers are not flagged — tailed or checked inline — and carry an `allowlist` reason. A field rule covers requests whose evidence lies in that field only. The request is relabelled benign traffic, which retraining learns from.",
        },
      },
    )
    .get("/allowlist", () => ok(s.allowlist.list(MAX_RULES_LISTED).map(toAllowRule)), {
      response: envelope(t.Array(AllowRule)),
      detail: { tags, summary: "The allowlist rules (confirmed false positives), oldest first", description: `At most the ${MAX_RULES_LISTED} newest.` },
    })
    .delete(
      "/allowlist/:id",
      ({ params }) => {
        const rule = removeAllowRule(s.allowlist, s.ctx.activities, params.id, s.ctx.now());
        if (!rule) throw new ApiError(404, `no allowlist rule ${params.id}`);
        return ok(toAllowRule(rule), "allowlist rule removed");
      },
      { params: IdParam, response: { 200: envelope(AllowRule), 404: ErrorEnvelope }, detail: { tags, summary: "Remove an allowlist rule: what it covered is flagged again" } },
    );
}
