/**
 * The detection stage: requests in, verdicts out. The generic model scores every field; the site
 * model, when there is one, turns that and the request's departures from the site profile into the
 * final score. Reasons are computed for the requests that are flagged (or for all, when asked).
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import type { HttpRequest } from "../core/http-request.ts";
import { GenericModel, type GenericScore } from "./generic/model.ts";
import { fuseScores } from "./site/fusion.ts";
import { withoutServedProbes } from "./site/served-probes.ts";
import { runningLineage, SiteModel } from "./site/model.ts";
import { severityOf, type Reason, type Verdict } from "./verdict.ts";
import { strongest } from "./analyzers/finding.ts";
import { withProof, withSeverestClass } from "./generic/proof.ts";
import type { RequestFlag } from "../decompose/leaf.ts";
import bundledGeneric from "../../models/generic/model.onnx" with { type: "file" };

export const BUNDLED_GENERIC_MODEL: string = bundledGeneric;

export interface DetectorOptions {
  /** Site model file (site.onnx) or a directory holding one; without it the generic model decides alone. */
  site?: string;
  generic?: string;
  /** Overrides the calibrated threshold. */
  threshold?: number;
  /** Compute reasons for benign verdicts too (for `moat check` and explanations). */
  explainAll?: boolean;
}

const MAX_REASONS = 5;
/** Leaves explained per flagged request. */
const MAX_LEAF_REASONS = 3;

const SITE_NAMES: Record<string, string> = {
  unknownEndpoint: "unknown endpoint", unknownExtension: "unknown file type", unusualMethod: "unusual method",
  unknownParams: "unknown parameter", lengthExcess: "value too long", novelKinds: "unusual characters",
  riskyNovelKinds: "unusual special characters", shapeNovelty: "unusual value shape", typeViolation: "wrong value type",
  enumViolation: "value outside its usual set", unknownHeaders: "unknown header",
};

export class Detector {
  private thresholdOverride: number | undefined;

  private constructor(readonly generic: GenericModel, private siteModel: SiteModel | null, private readonly options: DetectorOptions) {
    this.thresholdOverride = options.threshold;
  }

  get site(): SiteModel | null {
    return this.siteModel;
  }

  /** Swaps in another site model (after a retrain or a rollback); batches already running finish with the old one. */
  async replaceSite(path: string): Promise<void> {
    this.siteModel = await SiteModel.fromFile(resolveSitePath(path), runningLineage(this.generic));
  }

  static async load(options: DetectorOptions = {}): Promise<Detector> {
    const generic = await GenericModel.fromFile(options.generic ?? BUNDLED_GENERIC_MODEL);
    const site = options.site ? await SiteModel.fromFile(resolveSitePath(options.site), runningLineage(generic)) : null;
    return new Detector(generic, site, options);
  }

  /** A detector over models already loaded (the regression gate compares two site models on one generic model). */
  static fromModels(generic: GenericModel, site: SiteModel | null): Detector {
    return new Detector(generic, site, {});
  }

  /** The threshold of the final score, on the generic model's scale (a site model's scores are mapped onto it). */
  get threshold(): number {
    return this.thresholdOverride ?? this.generic.meta.threshold;
  }

  /** The model's own threshold. */
  get calibratedThreshold(): number {
    return this.generic.meta.threshold;
  }

  /** The operator's threshold, or undefined when the calibrated one applies (a second detector copies it). */
  get thresholdSetting(): number | undefined {
    return this.thresholdOverride;
  }

  /** Overrides the calibrated threshold (an operator's setting); undefined restores it. */
  setThreshold(threshold: number | undefined): void {
    this.thresholdOverride = threshold;
  }

  get modelVersion(): string {
    return this.versionWith(this.siteModel);
  }

  private versionWith(site: SiteModel | null): string {
    return site ? `${this.generic.meta.version}+${site.meta.version}` : this.generic.meta.version;
  }

  async judge(requests: HttpRequest[]): Promise<Verdict[]> {
    // One site model for the whole batch: a replaceSite() during the awaits below must not pair one
    // model's scores with another's threshold and version.
    const siteModel = this.siteModel;
    const genericThreshold = this.generic.meta.threshold;
    const scored = (await this.generic.scoreRequests(requests)).map((g) => withProof(g, genericThreshold, this.generic.classes));
    const scanner = this.generic.classes.indexOf("scanner");
    const served = siteModel ? scored.map((g, i) => withoutServedProbes(g, requests[i]!, siteModel.profile, scanner)) : scored;
    const site = siteModel ? await siteModel.score(requests, served.map((g) => g.score)) : null;
    const threshold = this.threshold;
    const generic = served.map((g) => withSeverestClass(g, threshold, this.generic.classes));
    const modelVersion = this.versionWith(siteModel);
    return requests.map((_, i) => {
      const g = generic[i]!;
      // A site model only adds: what the generic model flags stays flagged, with its class.
      const { score, isAnomaly, attackType } = fuseScores(
        { score: g.score, threshold: genericThreshold, attackType: this.generic.classes[g.cls]! },
        site ? { score: site[i]!.score, threshold: siteModel!.meta.threshold } : null,
        threshold,
      );
      const reasons: Reason[] = [];
      if (isAnomaly || this.options.explainAll) {
        reasons.push(...this.genericReasons(g));
        for (const f of site?.[i]!.findings ?? []) {
          if (reasons.length >= MAX_REASONS) break;
          if (f.feature === "generic") continue;
          reasons.push({ field: f.field, name: SITE_NAMES[f.feature] ?? f.feature, evidence: f.evidence, detector: "site", weight: f.weight, detail: f.detail });
        }
        for (const flag of g.flags) reasons.push({ field: "body", name: flag, evidence: "", detector: "generic", weight: 0, detail: REQUEST_FLAG_DETAIL[flag] });
      }
      return { score, isAnomaly, threshold, attackType, severity: severityOf(attackType, score, isAnomaly), reasons, modelVersion };
    });
  }

  /**
   * The most suspicious leaves, each explained by its analyzer's evidence span. A leaf without a
   * finding is benign by construction (its score is the combiner's constant, whatever its text), so it
   * explains nothing: a benign request with no finding has no generic reason, even on request.
   */
  private genericReasons(g: GenericScore): Reason[] {
    const reasons: Reason[] = [];
    // The leaf the request's class came from first (withSeverestClass may have chosen it over a
    // higher-scoring one), in that class; then the others, most suspicious first.
    const top = g.top >= 0 ? g.leaves[g.top]! : null;
    const found = g.leaves.filter((l) => l.findings.length > 0 && l !== top).sort((a, b) => b.attack - a.attack);
    if (top?.findings.length) found.unshift({ ...top, cls: g.cls });
    for (const { leaf, findings, cls, attack } of found.slice(0, MAX_LEAF_REASONS)) {
      if (attack < 0.5 && !(reasons.length === 0 && this.options.explainAll)) break;
      const name = this.generic.classes[cls]!;
      const finding = strongest(findings, name) ?? strongest(findings)!;
      reasons.push({ field: leaf.path, name, evidence: leaf.text.slice(finding.start, finding.end), detector: "generic", weight: attack, detail: `${finding.rule} (p=${attack.toFixed(3)})` });
    }
    return reasons;
  }
}

const REQUEST_FLAG_DETAIL: Record<RequestFlag, string> = {
  "body-oversize": "the body is longer than Moat reads: the rest was not judged",
  "body-unparsed": "the body is not the structure its Content-Type claims",
  "too-many-leaves": "more values than Moat judges one by one: the rest were judged together, as one text a request part",
  "too-deep": "nested deeper than Moat reads: the deeper values were not judged",
};

function resolveSitePath(path: string): string {
  return statSync(path).isDirectory() ? join(path, "site.onnx") : path;
}
