/**
 * Settings the dashboard shows and changes (notes/console-api.md, item 6). Retention and the webhook
 * are stored and applied at once (services/runtime-settings.ts); the threshold and mode are changed
 * through PUT /api/waf/config.
 */
import { JSON_BODY } from "../../json-body.ts";
import { Elysia } from "elysia";
import { RetentionChangeBody, Settings, WebhookChangeBody } from "../../console-contract.ts";
import { ApiError, envelope, ok } from "../../envelope.ts";
import type { ApiServices } from "../../services.ts";
import { maskUrl } from "../../../services/runtime-settings.ts";
import { schemaProblem } from "../../check-input.ts";

export function settingsRoutes(s: ApiServices) {
  const { config } = s.ctx;
  const view = (port: number | undefined) => ({
    retention: s.runtime.retention,
    webhook: { url: maskUrl(s.runtime.webhookUrl), configured: s.runtime.webhookUrl !== "" },
    server: { host: config.server.host, port: port ?? config.server.port, requireApiKey: config.server.require_api_key },
    mode: s.settings.mode,
    threshold: s.settings.threshold,
  });
  const tags = ["settings"];
  return new Elysia({ name: "console-settings", prefix: "/api" })
    .get("/settings", ({ server }) => ok(view(server?.port)), { response: envelope(Settings), detail: { tags, summary: "Retention, webhook (masked), server, mode and threshold" } })
    .put(
      "/settings/retention",
      ({ body, server }) => {
        const changed = s.runtime.updateRetention(body);
        return ok(view(server?.port), changed ? "retention limits changed" : "nothing changed");
      },
      {
        // Checked here so that a bad value gets a 400 that says the limit (Elysia's own message does not).
        transform: (c: { body: unknown }) => {
          const problem = schemaProblem(RetentionChangeBody, c.body);
          if (problem) throw new ApiError(400, problem);
        },
        parse: JSON_BODY,
        body: RetentionChangeBody,
        response: envelope(Settings),
        detail: { tags, summary: "Change retention limits", description: "Some of traffic_rows, max_age_days, max_db_mb, within the configuration's limits. Stored, applied from the next retention run, and kept over the config file from then on." },
      },
    )
    .put(
      "/settings/webhook",
      ({ body, server }) => {
        try {
          const changed = s.runtime.updateWebhook(body.url.trim());
          return ok(view(server?.port), changed ? "webhook changed" : "nothing changed");
        } catch (e) {
          if (e instanceof RangeError) throw new ApiError(400, e.message);
          throw e;
        }
      },
      {
        parse: JSON_BODY,
        body: WebhookChangeBody,
        response: envelope(Settings),
        detail: { tags, summary: "Point alerts at a webhook URL, or turn it off with \"\"", description: "Stored and applied at once (alerts queued for the previous URL are dropped); kept over the config file from then on." },
      },
    );
}
