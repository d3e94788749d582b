/**
 * The service's live figures (notes/console-api.md, item 8): what it measures as it works
 * (services/metrics.ts LiveTimings) and what the process and database use now.
 *
 * Inline check latency is measured here, around the whole request — from its arrival to its answer,
 * reading and validating the body included — for every inline check path.
 */
import { Elysia } from "elysia";
import { Performance } from "../../console-contract.ts";
import { envelope, ok } from "../../envelope.ts";
import type { ApiServices } from "../../services.ts";
import { storeBytes } from "../../../store/stats.ts";
import { isInlineCheckPath } from "../../inline-check.ts";

export function performanceRoutes(s: ApiServices) {
  const { timings } = s.metrics;
  const arrivedAt = new WeakMap<Request, number>();
  return new Elysia({ name: "console-performance", prefix: "/api" })
    .onRequest(({ request }) => {
      if (isInlineCheckPath(new URL(request.url).pathname)) arrivedAt.set(request, performance.now());
    })
    .onAfterResponse({ as: "global" }, ({ request }) => {
      const started = arrivedAt.get(request);
      if (started !== undefined) timings.checkLatencyMs.add(performance.now() - started);
    })
    .get(
      "/performance",
      () => {
        const snap = s.metrics.snapshot();
        return ok({
          linesPerSecond: timings.lines.perSecond(),
          ingestLagMs: timings.ingestLagMs.quantiles(),
          checkLatencyMs: timings.checkLatencyMs.quantiles(),
          modelTimeMs: timings.modelTimeMs.quantiles(),
          cpuPercent: snap.cpuPercent,
          rssBytes: snap.rssBytes,
          heapBytes: process.memoryUsage().heapUsed,
          dbBytes: storeBytes(s.ctx.store),
          uptime: snap.uptimeSeconds,
        });
      },
      { response: envelope(Performance), detail: { tags: ["metrics"], summary: "Live throughput, latencies (p50/p99 of the most recent measurements), CPU, memory and database size" } },
    );
}
