/**
 * The models from the dashboard (notes/console-api.md, item 4): what is live, what was replaced (kept
 * for rollback) or rejected, retraining now, promoting a kept model and rolling back. The work is the
 * retrain job's and model-dir.ts's (`retrainJob`, `promote`, `rollback`); this file lists model files
 * and records what it changed.
 */
import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { Elysia, t } from "elysia";
import { inArray } from "drizzle-orm";
import { readSiteMetadata, type SiteMetadata } from "../../../detect/site/model.ts";
import type { GateReport } from "../../../training/site/retrain.ts";
import { promote, rollback, siteModelFiles } from "../../../detect/site/model-dir.ts";
import type { SiteModelState } from "../../../core/enums.ts";
import type { GenericMetadata } from "../../../detect/generic/model.ts";
import { retrainJob, RETRAIN_MIN_REQUESTS } from "../../../jobs/retrain.ts";
import { modelVersions } from "../../../store/schema.ts";
import { recordLiveSiteModel } from "../../../services/model-versions.ts";
import { ModelEntry, VersionParam, type ModelEntryT } from "../../console-contract.ts";
import { ApiError, envelope, ErrorEnvelope, ok } from "../../envelope.ts";
import type { ApiServices } from "../../services.ts";
import genericCard from "../../../../models/generic/MODEL_CARD.md" with { type: "text" };

/** Replaced and rejected models listed at most (newest first): a long-lived install accumulates them. */
const MAX_KEPT_LISTED = 20;
/** The jobs that retrain (scheduled, and the first model); a manual retrain does not start beside them. */
const RETRAIN_JOBS = ["retrain", "auto-train"];

/** Metadata of a site model file, read without starting a scorer session; remembered while the file is unchanged. */
const metaCache = new Map<string, { stamp: string; meta: SiteMetadata | null }>();
function siteMeta(file: string): SiteMetadata | null {
  const st = statSync(file, { throwIfNoEntry: false });
  if (!st) return null;
  const stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
  const cached = metaCache.get(file);
  if (cached?.stamp === stamp) return cached.meta;
  let meta: SiteMetadata | null = null;
  try {
    meta = readSiteMetadata(readFileSync(file));
  } catch {
    // Not a Moat site model (a stray file): left out of the list.
  }
  metaCache.set(file, { stamp, meta });
  return meta;
}

const pct = (x: number, digits: number) => `${(x * 100).toFixed(digits)}%`;

function gateTable(gate: GateReport): string {
  const rows = [...(gate.live ? [["live", gate.live] as const] : []), ["candidate", gate.candidate] as const];
  return [
    "| model | FPR on held-out recent traffic | TPR on injected attacks |",
    "|---|---:|---:|",
    ...rows.map(([role, side]) => `| ${role} ${side.version} | ${pct(side.fpr, 3)} | ${pct(side.tpr, 2)} |`),
    "",
    `Regression gate ${gate.pass ? "passed" : `failed: ${gate.failures.join("; ")}`} (${gate.heldOut} held-out requests, ${gate.attacks} injected attacks).`,
  ].join("\n");
}

function calibrationTable(meta: SiteMetadata): string {
  const c = meta.calibration;
  return [
    "| measure | value |",
    "|---|---:|",
    `| training requests | ${c.trainingRequests} |`,
    `| left out as attacks | ${c.droppedAsAttacks} |`,
    `| endpoints | ${c.endpoints} |`,
    `| threshold (target FPR ${meta.targetFpr}) | ${meta.threshold.toFixed(6)} |`,
    `| FPR on ${c.calibrationRequests} held-out requests | ${pct(c.calibrationFpr, 3)} |`,
    `| TPR on held-out synthetic attacks | ${pct(c.syntheticTpr, 2)} |`,
  ].join("\n");
}

function siteEntry(meta: SiteMetadata, state: SiteModelState, gate: GateReport | undefined): ModelEntryT {
  const metrics: Record<string, number | string> = { threshold: meta.threshold, targetFpr: meta.targetFpr, genericVersion: meta.genericVersion, ...meta.calibration };
  if (gate) {
    Object.assign(metrics, { gate: gate.pass ? "passed" : "failed", gateHeldOut: gate.heldOut, gateAttacks: gate.attacks, gateCandidateFpr: gate.candidate.fpr, gateCandidateTpr: gate.candidate.tpr });
    if (gate.live) Object.assign(metrics, { gateLiveFpr: gate.live.fpr, gateLiveTpr: gate.live.tpr });
  }
  return { version: meta.version, kind: "site", active: state === "live", createdAt: meta.trainedAt, metrics, evaluation: gate ? gateTable(gate) : calibrationTable(meta), state };
}

/** The model card's evaluation table, when the card is the loaded generic model's. */
function genericEvaluation(meta: GenericMetadata): string | undefined {
  if (!genericCard.startsWith(`# Generic attack model — ${meta.version}\n`)) return undefined;
  const section = genericCard.split("## Evaluation at the threshold")[1] ?? "";
  const table = section.split("\n").filter((line) => line.startsWith("|"));
  return table.length ? table.join("\n") : undefined;
}

function genericEntry(meta: GenericMetadata): ModelEntryT {
  const evaluation = genericEvaluation(meta);
  return {
    version: meta.version,
    kind: "generic",
    active: true,
    createdAt: meta.trainedAt,
    metrics: { threshold: meta.threshold, targetFpr: meta.targetFpr, classes: meta.classes.length, featurizerVersion: meta.featurizer.version, buckets: meta.featurizer.buckets },
    ...(evaluation ? { evaluation } : {}),
    state: "bundled",
  };
}

export function modelRoutes(s: ApiServices) {
  const { ctx } = s;
  const dir = () => ctx.config.detect.model_dir;

  /** Gate reports the retrain job stored, by version. */
  function gates(versions: string[]): Map<string, GateReport> {
    const out = new Map<string, GateReport>();
    if (!versions.length) return out;
    for (const row of ctx.store.db.select().from(modelVersions).where(inArray(modelVersions.version, versions)).all()) {
      try {
        const gate = (JSON.parse(row.metrics) as { gate?: GateReport }).gate;
        if (gate) out.set(row.version, gate);
      } catch {
        // figures not written by Moat: shown without them
      }
    }
    return out;
  }

  function list(): ModelEntryT[] {
    const files = siteModelFiles(dir(), MAX_KEPT_LISTED).flatMap(({ file, state }) => {
      const meta = siteMeta(file);
      return meta ? [{ meta, state }] : [];
    });
    const gateOf = gates(files.map((f) => f.meta.version));
    return [genericEntry(ctx.detector.generic.meta), ...files.map(({ meta, state }) => siteEntry(meta, state, gateOf.get(meta.version)))];
  }

  /** The live site model is now `version`: the detector swaps to it and the versions table says so. */
  async function nowLive(version: string): Promise<void> {
    await ctx.detector.replaceSite(dir());
    // Bookkeeping: the model is live already, so a failed write (a full disk) is logged, not answered as a failure.
    try {
      recordLiveSiteModel(ctx.store, { version, path: join(dir(), "site.onnx") }, ctx.now());
    } catch (e) {
      ctx.log.warn("cannot record the live site model", { version, error: (e as Error).message });
    }
  }

  function liveEntry(): ModelEntryT {
    const live = list().find((m) => m.kind === "site" && m.active);
    if (!live) throw new ApiError(500, "the site model was changed but cannot be read back");
    return live;
  }

  const tags = ["models"];
  // An agent that judges with its hub's site model would see any other replaced at the next heartbeat.
  const notFromHub = () => {
    if (ctx.config.hub.url && ctx.config.hub.pull_site_model) throw new ApiError(409, "this Moat judges with its hub's site model (hub.pull_site_model): train, promote and roll back on the hub");
  };
  return new Elysia({ name: "console-models", prefix: "/api" })
    .get("/models", () => ok(list()), {
      response: envelope(t.Array(ModelEntry)),
      detail: { tags, summary: "The generic model, the live site model, replaced ones kept for rollback and rejected candidates", description: `Replaced and rejected models: the ${MAX_KEPT_LISTED} newest of each.` },
    })
    .post(
      "/models/train",
      () => {
        notFromHub();
        if (RETRAIN_JOBS.some((name) => s.scheduler.isRunning(name))) throw new ApiError(409, "a retrain is running already: its result will show up as an activity");
        void s.scheduler.run({
          name: "retrain",
          pattern: "",
          run: async (now) => (await retrainJob(ctx, now)) ?? `not retrained: fewer than ${RETRAIN_MIN_REQUESTS} benign requests are stored`,
        });
        return ok({ started: true as const }, "retraining on the recent benign traffic; the result shows up as activities");
      },
      {
        response: { 200: envelope(t.Object({ started: t.Literal(true) })), 409: ErrorEnvelope },
        detail: { tags, summary: "Retrain the site model now (through the regression gate)", description: "Answers at once; 409 while a retrain is running. The outcome (promoted, rejected by the gate, not enough traffic, failed) is recorded as activities." },
      },
    )
    .post(
      "/models/:version/promote",
      async ({ params }) => {
        notFromHub();
        if (params.version === ctx.detector.generic.meta.version) throw new ApiError(400, "the generic model is bundled with Moat and always live; only site models are promoted");
        const found = siteModelFiles(dir(), MAX_KEPT_LISTED).find(({ file }) => siteMeta(file)?.version === params.version);
        if (!found) throw new ApiError(404, `no kept site model ${params.version} in ${dir()}`);
        if (found.state === "live") throw new ApiError(409, `${params.version} is the live site model already`);
        promote(dir(), readFileSync(found.file), params.version);
        // Removed once it is live, not before: a promote that fails (a full disk) must not lose the kept model.
        rmSync(found.file);
        await nowLive(params.version);
        ctx.activities.record({ type: "model.promoted", title: "Site model promoted by hand", details: `${params.version} (${found.state}) is live; now judging with ${ctx.detector.modelVersion}`, time: ctx.now() });
        return ok(liveEntry(), `${params.version} is live`);
      },
      {
        params: VersionParam,
        response: { 200: envelope(ModelEntry), 400: ErrorEnvelope, 404: ErrorEnvelope, 409: ErrorEnvelope },
        detail: { tags, summary: "Make a replaced or rejected site model live", description: "The live model is kept for rollback, as after a retrain." },
      },
    )
    .post(
      "/models/rollback",
      async () => {
        notFromHub();
        const restored = rollback(dir());
        if (!restored) throw new ApiError(409, `no earlier site model to roll back to in ${join(dir(), "history")}`);
        const version = restored.version ?? restored.file;
        await nowLive(version);
        ctx.activities.record({ type: "model.rolled-back", title: "Site model rolled back", details: `${version} is live again (from ${restored.file}, sha256 ${restored.sha256.slice(0, 16)} checked); the model it replaced is kept; now judging with ${ctx.detector.modelVersion}`, time: ctx.now() });
        return ok(liveEntry(), `${version} is live again`);
      },
      {
        response: { 200: envelope(ModelEntry), 409: ErrorEnvelope },
        detail: { tags, summary: "Put back the site model the last training (or promotion) replaced", description: "The live model is kept in its turn, so a second rollback undoes the first. 409 when no earlier model (other than a copy of the live one) is kept." },
      },
    );
}
