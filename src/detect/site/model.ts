/**
 * The site model at run time: the learned profile plus a small scorer (ONNX) over how far a request
 * departs from it and what the generic model thinks of it.
 */
import { readFileSync } from "node:fs";
import type { HttpRequest } from "../../core/http-request.ts";
import { readDenseLogisticOnnx, type DenseLogistic } from "../onnx/dense.ts";
import { DenseSession } from "../onnx/session.ts";
import { SITE_FEATURES, siteFeatures, type SiteFinding } from "./features.ts";
import type { SiteProfile } from "./profile.ts";

export interface SiteMetadata {
  kind: "site";
  version: string;
  features: string[];
  threshold: number;
  targetFpr: number;
  /** The generic model this scorer was trained with (its score is one of the features). */
  genericVersion: string;
  trainedAt: string;
  calibration: SiteCalibration;
}

export interface SiteCalibration {
  trainingRequests: number;
  /** Requests left out of training because the generic model flagged them (tolerance of attacks in the traffic). */
  droppedAsAttacks: number;
  profileRequests: number;
  endpoints: number;
  scorerNegatives: number;
  scorerPositives: number;
  calibrationRequests: number;
  /** False-positive rate at the threshold on the calibration requests. */
  calibrationFpr: number;
  /** Share of synthetic attacks (held-out seed) flagged at the threshold. */
  syntheticTpr: number;
}

export interface SiteScore {
  score: number;
  findings: (SiteFinding & { weight: number })[];
}

export const SITE_PROFILE_KEY = "moat.profile";
export const SITE_META_KEY = "moat.model";

/** A site model file's metadata alone: no profile parsed, no scorer session (for listings). Null when it has none. */
export function readSiteMetadata(bytes: Uint8Array): SiteMetadata | null {
  const json = readDenseLogisticOnnx(bytes).metadata[SITE_META_KEY];
  return json ? (JSON.parse(json) as SiteMetadata) : null;
}

export class SiteModel {
  private constructor(readonly meta: SiteMetadata, readonly profile: SiteProfile, private readonly scorer: DenseLogistic, private readonly session: DenseSession) {}

  static async fromBytes(bytes: Uint8Array): Promise<SiteModel> {
    const { model, metadata } = readDenseLogisticOnnx(bytes);
    const meta = metadata[SITE_META_KEY];
    const profile = metadata[SITE_PROFILE_KEY];
    if (!meta || !profile) throw new Error("the ONNX file has no site profile: not a Moat site model");
    const parsed = JSON.parse(meta) as SiteMetadata;
    if (parsed.features.join(",") !== SITE_FEATURES.join(",")) throw new Error("site model was trained with other features: retrain it (moat train --from <logs>)");
    return new SiteModel(parsed, JSON.parse(profile) as SiteProfile, model, await DenseSession.create(bytes, SITE_FEATURES.length));
  }

  static async fromFile(path: string): Promise<SiteModel> {
    return SiteModel.fromBytes(readFileSync(path));
  }

  /** Scores a batch; `genericScores` are the generic model's scores of the same requests. */
  async score(requests: HttpRequest[], genericScores: number[]): Promise<SiteScore[]> {
    const feats = requests.map((r, i) => siteFeatures(this.profile, r, genericScores[i]!));
    const scores = await this.session.run(feats.map((f) => f.vector));
    return feats.map((f, i) => ({
      score: scores[i]!,
      // A finding weighs what its feature adds to the scorer's logit.
      findings: f.findings
        .map((x) => ({ ...x, weight: x.value * this.scorer.w[SITE_FEATURES.indexOf(x.feature)]! }))
        .filter((x) => x.weight > 0)
        .sort((a, b) => b.weight - a.weight),
    }));
  }
}
