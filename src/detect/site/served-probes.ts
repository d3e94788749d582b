/**
 * Scanners are judged in the site's context: a probe path (`/cgi-bin/...`, `/server-status`) that the
 * site itself serves is its own page, not a scan. With a site model, a request whose only scanner
 * finding is a path the profile knows is judged without that leaf; a scanner's User-Agent still counts.
 */
import type { HttpRequest } from "../../core/http-request.ts";
import type { GenericScore } from "../generic/model.ts";
import { endpointKey, templateOf } from "./endpoint-templates.ts";
import type { SiteProfile } from "./profile.ts";

function servesEndpoint(profile: SiteProfile, req: Pick<HttpRequest, "path">): boolean {
  return templateOf(profile.endpoints, endpointKey(req)) !== null;
}

/**
 * `g` without the scanner verdict of a path the site serves (the same object when there is none). A
 * leaf without a finding has the combiner's constant verdict, whatever its class: there is nothing to
 * take away, and most requests stop at that check, before the path is folded and looked up.
 */
export function withoutServedProbes(g: GenericScore, req: HttpRequest, profile: SiteProfile, scannerClass: number): GenericScore {
  const probe = (k: number) => g.leaves[k]!.cls === scannerClass && g.leaves[k]!.leaf.location === "path";
  if (g.top < 0 || g.leaves[g.top]!.findings.length === 0 || !probe(g.top) || !servesEndpoint(profile, req)) return g;
  const out: GenericScore = { ...g, score: 0, cls: 0, top: -1 };
  g.leaves.forEach((l, k) => {
    if (!probe(k) && l.attack > out.score) [out.score, out.cls, out.top] = [l.attack, l.cls, k];
  });
  return out;
}
