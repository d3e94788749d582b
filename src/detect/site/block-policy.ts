/**
 * Which flagged requests block mode blocks. A known attack class blocks at or above a severity; an
 * "anomaly" (the site model's departure with no attack class behind it: a new page, a new campaign
 * parameter) is a thing to look at, not to refuse, unless its endpoint opted in. Sites change
 * faster than their model: blocking every departure answers 403 to new products and new campaigns.
 */
import { percentDecode } from "../../parse/decode.ts";
import { canonicalPath } from "../normalize.ts";
import { atLeastSeverity, type Severity } from "../../core/enums.ts";
import type { Verdict } from "../verdict.ts";


export interface BlockPolicy {
  /** A flagged known attack class is blocked at this severity or above. */
  minSeverity: Severity;
  /** Endpoint patterns whose anomalies are blocked too (see `endpointPattern`). */
  anomalyEndpoints: EndpointPattern[];
}

/** An endpoint pattern, split into path segments. */
export type EndpointPattern = readonly string[];

/** Path segments of a request path as the server resolves it: decoded, `.`/`..` applied, no empty segments. */
function segmentsOf(path: string): string[] {
  return canonicalPath(percentDecode(path)).split("/").filter(Boolean);
}

/**
 * `/admin/**`, `/api/login`, `/products/{id}/reviews`: a segment `*` or `{name}` stands for any one
 * segment, `**` for any number of them (none included); anything else is literal. Whole segments
 * only, so matching stays a walk over a few segments whatever the path holds.
 */
export function endpointPattern(text: string): EndpointPattern {
  return text.split("/").filter(Boolean);
}

export function blockPolicy(minSeverity: Severity, anomalyEndpoints: string[]): BlockPolicy {
  return { minSeverity, anomalyEndpoints: anomalyEndpoints.map(endpointPattern) };
}

function segmentMatches(p: string, segment: string): boolean {
  return p === "*" || (p.startsWith("{") && p.endsWith("}")) || p === segment;
}

/**
 * Glob matching over segments, as wildcard matching is done: on a mismatch only the latest `**` takes
 * one more segment, so a match costs at most pattern × path steps. (Trying every split for every `**`
 * took path^k steps for k of them: a few thousand segments and two `**` were seconds.)
 */
function matchSegments(pattern: EndpointPattern, path: string[]): boolean {
  let pi = 0;
  let si = 0;
  let starPi = -1;
  let starSi = 0;
  while (si < path.length) {
    const p = pattern[pi];
    if (p === "**") {
      starPi = pi++;
      starSi = si;
    } else if (p !== undefined && segmentMatches(p, path[si]!)) {
      pi++;
      si++;
    } else if (starPi !== -1) {
      pi = starPi + 1;
      si = ++starSi;
    } else {
      return false;
    }
  }
  while (pattern[pi] === "**") pi++;
  return pi === pattern.length;
}

export function matchesEndpoint(pattern: EndpointPattern, path: string): boolean {
  return matchSegments(pattern, segmentsOf(path));
}

function optedIn(policy: BlockPolicy, path: string): boolean {
  if (!policy.anomalyEndpoints.length) return false;
  const segments = segmentsOf(path);
  return policy.anomalyEndpoints.some((p) => matchSegments(p, segments));
}

/** Whether block mode refuses this request (`path` as sent, without its query). */
export function shouldBlock(verdict: Pick<Verdict, "isAnomaly" | "attackType" | "severity">, path: string, policy: BlockPolicy): boolean {
  if (!verdict.isAnomaly) return false;
  if (!verdict.attackType || verdict.attackType === "anomaly") return optedIn(policy, path);
  return atLeastSeverity(verdict.severity, policy.minSeverity);
}
