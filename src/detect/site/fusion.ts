/**
 * How the generic model's verdict and the site model's combine: the site model only adds. It can
 * flag what the generic model let through (a departure from the site's profile, an "anomaly"), and
 * it can never clear what the generic model flagged: a site's traffic teaches what is normal there,
 * not that an attack is harmless.
 *
 * The final score is on the generic model's scale, so that an operator's threshold means the same
 * with and without a site model: the site score is mapped onto it piecewise linearly, its own
 * calibrated threshold landing on the generic one, and the higher of the two is the score.
 */

export interface GenericSide {
  score: number;
  /** The generic model's calibrated threshold. */
  threshold: number;
  /** The attack class it names. */
  attackType: string;
}

export interface SiteSide {
  score: number;
  /** The site model's calibrated threshold. */
  threshold: number;
}

export interface Fused {
  score: number;
  isAnomaly: boolean;
  /** The generic class when the generic model flags; `anomaly` when only the site model does; null when neither. */
  attackType: string | null;
}

/** `score` on a scale whose threshold is `from`, put on a scale whose threshold is `to` (both in [0, 1]). */
export function rescale(score: number, from: number, to: number): number {
  if (score >= from) return from >= 1 ? to : to + ((score - from) / (1 - from)) * (1 - to);
  return from <= 0 ? to : (score / from) * to;
}

/**
 * `flagAt`: the operator's threshold, on the generic scale (the generic model's calibrated one when
 * none is set). `site`: null without a site model.
 */
export function fuseScores(generic: GenericSide, site: SiteSide | null, flagAt = generic.threshold): Fused {
  const genericFlags = generic.score >= flagAt;
  const siteScore = site ? rescale(site.score, site.threshold, generic.threshold) : 0;
  const score = Math.max(generic.score, siteScore);
  const isAnomaly = score >= flagAt;
  return { score, isAnomaly, attackType: genericFlags ? generic.attackType : isAnomaly ? "anomaly" : null };
}
