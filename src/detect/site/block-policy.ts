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

function matchFrom(pattern: EndpointPattern, pi: number, path: string[], si: number): boolean {
  for (; pi < pattern.length; pi++, si++) {
    const p = pattern[pi]!;
    if (p === "**") {
      for (let skip = si; skip <= path.length; skip++) if (matchFrom(pattern, pi + 1, path, skip)) return true;
      return false;
    }
    if (si >= path.length) return false;
    const one = p === "*" || (p.startsWith("{") && p.endsWith("}"));
    if (!one && p !== path[si]) return false;
  }
  return si === path.length;
}

export function matchesEndpoint(pattern: EndpointPattern, path: string): boolean {
  return matchFrom(pattern, 0, segmentsOf(path), 0);
}

function optedIn(policy: BlockPolicy, path: string): boolean {
  if (!policy.anomalyEndpoints.length) return false;
  const segments = segmentsOf(path);
  return policy.anomalyEndpoints.some((p) => matchFrom(p, 0, segments, 0));
}

/** Whether block mode refuses this request (`path` as sent, without its query). */
export function shouldBlock(verdict: Pick<Verdict, "isAnomaly" | "attackType" | "severity">, path: string, policy: BlockPolicy): boolean {
  if (!verdict.isAnomaly) return false;
  if (!verdict.attackType || verdict.attackType === "anomaly") return optedIn(policy, path);
  return atLeastSeverity(verdict.severity, policy.minSeverity);
}
