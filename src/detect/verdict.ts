/** What Moat says about one request, and why. */
import type { Severity, VerdictDetector } from "../core/enums.ts";

export interface Reason {
  /** Where: `path`, `query.<name>`, `body.<name>`, `cookie.<name>`, `header.<name>`, `method`. */
  field: string;
  /** What: an attack class (generic detector) or the departure from the site profile (site detector). */
  name: string;
  /** The substring that mattered (normalized text for the generic detector). */
  evidence: string;
  /** `allowlist`: an operator's rule covers the request (a confirmed false positive); it is not flagged. */
  detector: VerdictDetector;
  /** How much it pushed the score (a probability for generic, a logit share for site). */
  weight: number;
  /** A sentence for a person. */
  detail: string;
}

export interface Verdict {
  score: number;
  isAnomaly: boolean;
  threshold: number;
  /** An attack class, `anomaly` (departs from the site profile without a known payload), or null when benign. */
  attackType: string | null;
  severity: Severity;
  reasons: Reason[];
  modelVersion: string;
}

const CRITICAL = new Set(["sqli", "cmdi", "xxe", "ssti", "log4shell", "code-injection", "rfi", "deserialization"]);
const HIGH = new Set(["xss", "traversal", "ssrf", "nosqli", "ldapi", "xpath", "auth-bypass"]);

/** How severe a class is whatever its score: 2 for the critical set, 1 for the high one, 0 for the context-dependent rest. */
export function classRank(attackType: string): number {
  return CRITICAL.has(attackType) ? 2 : HIGH.has(attackType) ? 1 : 0;
}

/**
 * A flagged request's severity. A known class of the two upper sets is at least high whatever its
 * score (block mode's default bar, so a flagged injection is blocked even near the threshold);
 * context-dependent classes (scanner, open redirect, CRLF, session fixation) are medium and the site
 * model's anomalies low or medium.
 */
export function severityOf(attackType: string | null, score: number, isAnomaly: boolean): Severity {
  if (!isAnomaly || !attackType) return "none";
  if (CRITICAL.has(attackType)) return score >= 0.9 ? "critical" : "high";
  if (HIGH.has(attackType)) return "high";
  if (attackType === "anomaly") return score >= 0.9 ? "medium" : "low";
  return "medium";
}
