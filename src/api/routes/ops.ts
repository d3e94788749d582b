/** Operations: liveness, readiness and Prometheus metrics. */
import { Elysia, t } from "elysia";
import type { ApiServices } from "../services.ts";
import { prometheusRegistry } from "../prometheus.ts";

const Readiness = t.Object({ ready: t.Boolean(), model: t.String({ description: "the model version judging requests" }), problems: t.Array(t.String()) });

function readiness(s: ApiServices) {
  const problems: string[] = [];
  try {
    // SQLite: the write lock can be taken (no other process holds the file); PostgreSQL: it answers.
    const { store } = s.ctx;
    store.sql.exec(store.dialect === "sqlite" ? "begin immediate; rollback" : "select 1");
  } catch (e) {
    problems.push(`database not writable: ${(e as Error).message}`);
  }
  const damaged = s.integrity.problem();
  if (damaged) problems.push(damaged);
  return { ready: problems.length === 0, model: s.ctx.detector.modelVersion, problems };
}

const Health = t.Object({
  status: t.String(),
  uptime: t.Number(),
  mirror: t.Optional(
    t.Object(
      {
        received: t.Number(),
        dropped: t.Number({ description: "copies dropped because the judging queue was full" }),
        refused: t.Number({ description: "requests to the mirror's listener refused: not from the snippet, or without a live API key where one is required" }),
        last_copy_at: t.Union([t.Number(), t.Null()], { description: "epoch ms" }),
      },
      { description: "nginx's mirrored copies since start-up (absent when mirror.enabled is false): moat doctor reads it" },
    ),
  ),
});

function mirrorHealth(s: ApiServices) {
  const m = s.mirror?.status();
  return m ? { mirror: { received: m.received, dropped: m.dropped, refused: m.refused, last_copy_at: m.lastCopyAt } } : {};
}

export function opsRoutes(s: ApiServices) {
  const registry = prometheusRegistry(s);
  return new Elysia({ name: "ops" })
    .get("/health", () => ({ status: "ok", uptime: s.metrics.uptimeSeconds(), ...mirrorHealth(s) }), { response: Health, detail: { tags: ["ops"] } })
    .get(
      "/ready",
      ({ set }) => {
        const r = readiness(s);
        if (!r.ready) set.status = 503;
        return r;
      },
      { response: { 200: Readiness, 503: Readiness }, detail: { tags: ["ops"] } },
    )
    .get("/metrics", ({ set }) => {
      set.headers["content-type"] = registry.contentType;
      return registry.metrics();
    }, { detail: { tags: ["ops"], summary: "Prometheus text exposition (see src/api/prometheus.ts)" } });
}
