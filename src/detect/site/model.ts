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
  /** The featurizer (normalization and field extraction) it was trained with; absent in models from before it was recorded. */
  featurizerVersion?: string;
  trainedAt: string;
  calibration: SiteCalibration;
}

export interface SiteCalibration {
  trainingRequests: number;
  /** Requests left out of training because the generic model flagged them (tolerance of attacks in the traffic). */
  droppedAsAttacks: number;
  /** Copies of a request already in the scorer or calibration share, not counted again; absent in older models. */
  duplicates?: number;
  profileRequests: number;
  endpoints: number;
  scorerNegatives: number;
  scorerPositives: number;
  calibrationRequests: number;
  /** False-positive rate at the threshold on the calibration requests. */
  calibrationFpr: number;
  /** Share of synthetic attacks (held-out seed) flagged by the generic model or by the site model at its threshold. */
  syntheticTpr: number;
}

export interface SiteScore {
  score: number;
  findings: (SiteFinding & { weight: number })[];
}

/** What a site model was trained on top of: it is only valid on top of the same. */
export interface SiteLineage {
  genericVersion: string;
  featurizerVersion: string;
}

/** A site model this Moat cannot use as it is; the message says why and how to retrain. */
export class IncompatibleSiteModel extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IncompatibleSiteModel";
  }
}

/**
 * A Moat site model built for another release (its generic model, featurizer or site features):
 * what an upgrade leaves behind, and what a retrain replaces. Not a file that is no site model at all.
 */
export class SiteModelOfAnotherRelease extends IncompatibleSiteModel {
  constructor(message: string) {
    super(message);
    this.name = "SiteModelOfAnotherRelease";
  }
}

/**
 * The lineage of a site model trained, or loadable, now: on top of `generic`, whose inputs version
 * (decomposition, featurizer, combiner: see MODEL_INPUT_VERSION) is the running Moat's, since a
 * generic model of any other is refused at load.
 */
export function runningLineage(generic: { meta: { version: string; inputVersion: string } }): SiteLineage {
  return { genericVersion: generic.meta.version, featurizerVersion: generic.meta.inputVersion };
}

const RETRAIN = "retrain it on the site's traffic: moat train --from <access logs> --out <model dir>";

/** Throws SiteModelOfAnotherRelease unless `meta` was trained on top of `running`. */
export function checkLineage(meta: Pick<SiteMetadata, "version" | "genericVersion" | "featurizerVersion">, running: SiteLineage): void {
  const featurizer = meta.featurizerVersion ?? "unrecorded";
  if (meta.genericVersion === running.genericVersion && featurizer === running.featurizerVersion) return;
  throw new SiteModelOfAnotherRelease(
    `site model ${meta.version} was trained with generic model ${meta.genericVersion} and featurizer ${featurizer}; ` +
      `this Moat runs generic model ${running.genericVersion} and featurizer ${running.featurizerVersion}: ${RETRAIN}`,
  );
}

export const SITE_PROFILE_KEY = "moat.profile";
export const SITE_META_KEY = "moat.model";

/** A site model file's metadata alone: no profile parsed, no scorer session (for listings). Null when it has none. */
export function readSiteMetadata(bytes: Uint8Array): SiteMetadata | null {
  const json = readDenseLogisticOnnx(bytes).metadata[SITE_META_KEY];
  return json ? (JSON.parse(json) as SiteMetadata) : null;
}

const GENERIC_FEATURE = SITE_FEATURES.indexOf("generic");

function departs(vector: Float32Array): boolean {
  return vector.some((x, j) => j !== GENERIC_FEATURE && x > 0);
}

export class SiteModel {
  private constructor(readonly meta: SiteMetadata, readonly profile: SiteProfile, private readonly scorer: DenseLogistic, private readonly session: DenseSession) {}

  /** `running`: the generic model and featurizer it will run on top of; a model trained on others is refused. Without it, any (to read what a file holds). */
  static async fromBytes(bytes: Uint8Array, running?: SiteLineage): Promise<SiteModel> {
    const { model, metadata } = readDenseLogisticOnnx(bytes);
    const meta = metadata[SITE_META_KEY];
    const profile = metadata[SITE_PROFILE_KEY];
    if (!meta || !profile) throw new IncompatibleSiteModel("the ONNX file has no site profile: not a Moat site model");
    const parsed = JSON.parse(meta) as SiteMetadata;
    if (parsed.features.join(",") !== SITE_FEATURES.join(",")) throw new SiteModelOfAnotherRelease(`site model ${parsed.version} was trained with other site features: ${RETRAIN}`);
    if (running) checkLineage(parsed, running);
    return new SiteModel(parsed, JSON.parse(profile) as SiteProfile, model, await DenseSession.create(bytes, SITE_FEATURES.length));
  }

  static async fromFile(path: string, running?: SiteLineage): Promise<SiteModel> {
    return SiteModel.fromBytes(readFileSync(path), running);
  }

  /**
   * Scores a batch; `genericScores` are the generic model's scores of the same requests. A request
   * that departs from the profile in nothing scores 0: the scorer would judge it on the generic
   * score alone, a second threshold on the generic model calibrated on a few requests, not
   * knowledge of the site (the generic model's own verdict stands for it in the fusion).
   */
  async score(requests: HttpRequest[], genericScores: number[]): Promise<SiteScore[]> {
    const feats = requests.map((r, i) => siteFeatures(this.profile, r, genericScores[i]!));
    const scores = await this.session.run(feats.map((f) => f.vector));
    return feats.map((f, i) => ({
      score: departs(f.vector) ? scores[i]! : 0,
      // A finding weighs what its feature adds to the scorer's logit.
      findings: f.findings
        .map((x) => ({ ...x, weight: x.value * this.scorer.w[SITE_FEATURES.indexOf(x.feature)]! }))
        .filter((x) => x.weight > 0)
        .sort((a, b) => b.weight - a.weight),
    }));
  }
}
