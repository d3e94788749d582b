/**
 * The floor that an analyzer's proof puts under a leaf's score: a leaf with a finding at or above
 * PROOF_STRENGTH scores at least the calibrated threshold, in that finding's class. The combiner's
 * score stays the model's own (it does not depend on the threshold, so calibration reads it as it
 * is); this is the policy the detector and the model's evaluation apply on top of it.
 */
import { PROOF_STRENGTH, strongest, type Finding } from "../analyzers/finding.ts";
import type { GenericScore, LeafScore } from "./model.ts";

function proofOf(leaf: LeafScore): Finding | null {
  const best = strongest(leaf.findings);
  return best && best.strength >= PROOF_STRENGTH ? best : null;
}

/**
 * Every leaf is floored, not only when the request's score is under the threshold: a later step may
 * set a leaf aside (a probe path the site serves: src/detect/site/served-probes.ts) and score the
 * request from the others again.
 */
export function withProof(g: GenericScore, threshold: number, classes: readonly string[]): GenericScore {
  let out: GenericScore | null = null;
  for (let k = 0; k < g.leaves.length; k++) {
    const leaf = g.leaves[k]!;
    if (leaf.attack >= threshold) continue;
    const proof = proofOf(leaf);
    if (!proof) continue;
    const cls = classes.indexOf(proof.class);
    out ??= { ...g, leaves: [...g.leaves] };
    out.leaves[k] = { ...leaf, attack: threshold, cls: cls > 0 ? cls : leaf.cls };
    if (out.score < threshold) [out.score, out.cls, out.top] = [threshold, out.leaves[k]!.cls, k];
  }
  return out ?? g;
}
