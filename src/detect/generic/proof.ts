/**
 * The floor that an analyzer's proof puts under a leaf's score: a leaf with a finding at or above
 * PROOF_STRENGTH scores at least the calibrated threshold, in that finding's class. The combiner's
 * score stays the model's own (it does not depend on the threshold, so calibration reads it as it
 * is); this is the policy the detector and the model's evaluation apply on top of it.
 */
import { PROOF_STRENGTH, strongest, type Finding } from "../analyzers/finding.ts";
import type { GenericScore, LeafScore } from "./model.ts";
import { classRank } from "../verdict.ts";

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

/**
 * A flagged request's class: the severest among its flagged leaves' classes and their findings at
 * proof strength, not only the top leaf's. A scanner's User-Agent scores as high as the SQL it
 * carries in the Referer, or in the same header (`sqlmap/1.7 ...;SELECT SLEEP(5)#`); reported as a
 * scanner (medium), block mode would let the injection through. Ties keep the top leaf's class.
 */
export function withSeverestClass(g: GenericScore, flagAt: number, classes: readonly string[]): GenericScore {
  if (g.score < flagAt || g.top < 0) return g;
  let [cls, top, rank] = [g.cls, g.top, classRank(classes[g.cls]!)];
  g.leaves.forEach((leaf, k) => {
    if (leaf.attack < flagAt) return;
    const candidates = [leaf.cls];
    for (const f of leaf.findings) if (f.strength >= PROOF_STRENGTH) candidates.push(classes.indexOf(f.class));
    for (const c of candidates) {
      if (c > 0 && classRank(classes[c]!) > rank) [cls, top, rank] = [c, k, classRank(classes[c]!)];
    }
  });
  return cls === g.cls ? g : { ...g, cls, top };
}
