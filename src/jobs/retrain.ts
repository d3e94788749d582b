/**
 * Scheduled retraining: a candidate site model from the recent traffic judged benign, through the
 * regression gate, promoted only when it is no worse; the model it replaces stays for rollback. The
 * live detector keeps judging meanwhile (training yields to the event loop).
 */
import { join } from "node:path";
import { benignTrafficCount, recentBenignRequests } from "../services/recent-benign.ts";
import { retrainWithGate } from "../training/site/retrain.ts";
import { SITE_TARGET_FPR } from "../training/site/train.ts";
import { promote } from "../detect/site/model-dir.ts";
import { recordLiveSiteModel } from "../services/model-versions.ts";
import type { ServiceContext } from "../services/context.ts";
import { siteModelDir, siteTraffic, type TrafficOf } from "../services/site-models.ts";

/** Requests taken from the store at most, and at least, for a retrain. */
export const RETRAIN_MAX_REQUESTS = 200_000;
export const RETRAIN_MIN_REQUESTS = 1000;

/**
 * Retrains every site model of this Moat: its own (the default site) and, on a hub, one per site its
 * agents serve (src/services/site-models.ts), each from that site's traffic only.
 */
export async function retrainJob(ctx: ServiceContext, now: number): Promise<string | null> {
  const modelDir = ctx.config.detect.model_dir;
  const { named, defaultSite } = siteTraffic(ctx.store);
  const done: string[] = [];
  const own = await retrainSite(ctx, now, "", modelDir, named.size ? defaultSite : undefined);
  if (own) done.push(own);
  for (const [site, of] of named) {
    const result = await retrainSite(ctx, now, site, siteModelDir(modelDir, site), of);
    if (result) done.push(`site ${site}: ${result}`);
  }
  return done.length ? done.join("; ") : null;
}

/** One site's retrain through the regression gate into `dir`; the default site's model is also the one this Moat judges with. */
async function retrainSite(ctx: ServiceContext, now: number, site: string, dir: string, of: TrafficOf | undefined): Promise<string | null> {
  if (benignTrafficCount(ctx.store, of) < RETRAIN_MIN_REQUESTS) return null;
  const { trained, gate } = await retrainWithGate(recentBenignRequests(ctx.store, RETRAIN_MAX_REQUESTS, of), ctx.detector.generic, {
    targetFpr: SITE_TARGET_FPR,
    seed: now % 100_000,
    liveDir: dir,
  });
  const figures = JSON.stringify({ calibration: trained.meta.calibration, gate });
  const gateText = `candidate FPR ${(gate.candidate.fpr * 100).toFixed(3)}% TPR ${(gate.candidate.tpr * 100).toFixed(2)}%${gate.live ? ` vs live FPR ${(gate.live.fpr * 100).toFixed(3)}% TPR ${(gate.live.tpr * 100).toFixed(2)}%` : ""}`;
  const of_ = site ? ` of site ${site}` : "";
  if (!gate.pass) {
    ctx.activities.record({ type: "model.rejected", title: `Retrained model${of_} rejected by the regression gate`, details: `${gate.failures.join("; ")} (${gateText})` });
    return `retrain rejected: ${gate.failures.join("; ")}`;
  }
  promote(dir, trained.bytes, trained.meta.version);
  if (!site) {
    await ctx.detector.replaceSite(dir);
    recordLiveSiteModel(ctx.store, { version: trained.meta.version, path: join(dir, "site.onnx"), metrics: figures }, now);
  }
  ctx.activities.record({ type: "model.promoted", title: `Site model${of_} retrained and promoted`, details: `${trained.meta.version} from ${trained.meta.calibration.trainingRequests} recent benign requests; ${gateText}` });
  return `promoted ${trained.meta.version}`;
}
