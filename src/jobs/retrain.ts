/**
 * Scheduled retraining: a candidate site model from the recent traffic judged benign, through the
 * regression gate, promoted only when it is no worse; the model it replaces stays for rollback. The
 * live detector keeps judging meanwhile (training yields to the event loop).
 */
import { join } from "node:path";
import { benignTrafficCount, recentBenignRequests } from "../services/recent-benign.ts";
import { retrainWithGate } from "../training/site/retrain.ts";
import { promote } from "../detect/site/model-dir.ts";
import { recordLiveSiteModel } from "../services/model-versions.ts";
import type { ServiceContext } from "../services/context.ts";

/** Requests taken from the store at most, and at least, for a retrain. */
export const RETRAIN_MAX_REQUESTS = 200_000;
export const RETRAIN_MIN_REQUESTS = 1000;

export async function retrainJob(ctx: ServiceContext, now: number): Promise<string | null> {
  const dir = ctx.config.detect.model_dir;
  if (benignTrafficCount(ctx.store) < RETRAIN_MIN_REQUESTS) return null;
  const { trained, gate } = await retrainWithGate(recentBenignRequests(ctx.store, RETRAIN_MAX_REQUESTS), ctx.detector.generic, {
    targetFpr: 0.001,
    seed: now % 100_000,
    liveDir: dir,
  });
  const figures = JSON.stringify({ calibration: trained.meta.calibration, gate });
  const gateText = `candidate FPR ${(gate.candidate.fpr * 100).toFixed(3)}% TPR ${(gate.candidate.tpr * 100).toFixed(2)}%${gate.live ? ` vs live FPR ${(gate.live.fpr * 100).toFixed(3)}% TPR ${(gate.live.tpr * 100).toFixed(2)}%` : ""}`;
  if (!gate.pass) {
    ctx.activities.record({ type: "model.rejected", title: "Retrained model rejected by the regression gate", details: `${gate.failures.join("; ")} (${gateText})` });
    return `retrain rejected: ${gate.failures.join("; ")}`;
  }
  promote(dir, trained.bytes, trained.meta.version);
  await ctx.detector.replaceSite(dir);
  recordLiveSiteModel(ctx.store, { version: trained.meta.version, path: join(dir, "site.onnx"), metrics: figures }, now);
  ctx.activities.record({ type: "model.promoted", title: "Site model retrained and promoted", details: `${trained.meta.version} from ${trained.meta.calibration.trainingRequests} recent benign requests; ${gateText}` });
  return `promoted ${trained.meta.version}`;
}
