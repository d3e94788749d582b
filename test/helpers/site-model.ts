/** A site model file with an empty profile and a zero scorer, recording the lineage given (the generic model and featurizer it claims). */
import { exportDenseLogisticOnnx } from "../../src/detect/onnx/dense.ts";
import { SITE_FEATURES } from "../../src/detect/site/features.ts";
import { ProfileBuilder } from "../../src/detect/site/profile.ts";
import { SITE_META_KEY, SITE_PROFILE_KEY, type SiteMetadata } from "../../src/detect/site/model.ts";

export function siteModelBytes(lineage: Partial<Pick<SiteMetadata, "genericVersion" | "featurizerVersion">>): Uint8Array {
  const meta = {
    kind: "site", version: "site-test", features: [...SITE_FEATURES], threshold: 0.5, targetFpr: 0.001, trainedAt: "2026-11-24T00:00:00Z",
    calibration: { trainingRequests: 0, droppedAsAttacks: 0, profileRequests: 0, endpoints: 0, scorerNegatives: 0, scorerPositives: 0, calibrationRequests: 0, calibrationFpr: 0, syntheticTpr: 0 },
    ...lineage,
  };
  const scorer = { w: new Float32Array(SITE_FEATURES.length), b: 0 };
  return exportDenseLogisticOnnx(scorer, { [SITE_META_KEY]: JSON.stringify(meta), [SITE_PROFILE_KEY]: JSON.stringify(new ProfileBuilder().build()) });
}
