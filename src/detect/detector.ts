/**
 * The detection stage: requests in, verdicts out. The generic model scores every field; the site
 * model, when there is one, turns that and the request's departures from the site profile into the
 * final score. Reasons are computed for the requests that are flagged (or for all, when asked).
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import type { HttpRequest } from "../core/http-request.ts";
import { extractFields, type Field } from "./fields.ts";
import { GenericModel } from "./generic/model.ts";
import { SiteModel } from "./site/model.ts";
import { severityOf, type Reason, type Verdict } from "./verdict.ts";
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

/** How reasons name a field: `path`, `body`, or `<location>.<name>`. */
export function fieldLabel(f: Field): string {
  if (f.location === "path") return "path";
  if (f.location === "body" && !f.name) return "body";
  return `${f.location}.${f.name}`;
}

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
    this.siteModel = await SiteModel.fromFile(resolveSitePath(path));
  }

  static async load(options: DetectorOptions = {}): Promise<Detector> {
    const generic = await GenericModel.fromFile(options.generic ?? BUNDLED_GENERIC_MODEL);
    const site = options.site ? await SiteModel.fromFile(resolveSitePath(options.site)) : null;
    return new Detector(generic, site, options);
  }

  /** A detector over models already loaded (the regression gate compares two site models on one generic model). */
  static fromModels(generic: GenericModel, site: SiteModel | null): Detector {
    return new Detector(generic, site, {});
  }

  get threshold(): number {
    return this.thresholdWith(this.siteModel);
  }

  /** The model's own threshold: the site model's when there is one (it makes the final score). */
  get calibratedThreshold(): number {
    return (this.siteModel ?? this.generic).meta.threshold;
  }

  /** Overrides the calibrated threshold (an operator's setting); undefined restores it. */
  setThreshold(threshold: number | undefined): void {
    this.thresholdOverride = threshold;
  }

  get modelVersion(): string {
    return this.versionWith(this.siteModel);
  }

  private thresholdWith(site: SiteModel | null): number {
    return this.thresholdOverride ?? (site ?? this.generic).meta.threshold;
  }

  private versionWith(site: SiteModel | null): string {
    return site ? `${this.generic.meta.version}+${site.meta.version}` : this.generic.meta.version;
  }

  async judge(requests: HttpRequest[]): Promise<Verdict[]> {
    // One site model for the whole batch: a replaceSite() during the awaits below must not pair one
    // model's scores with another's threshold and version.
    const siteModel = this.siteModel;
    const fields = requests.map(extractFields);
    const generic = await this.generic.score(fields);
    const site = siteModel ? await siteModel.score(requests, generic.map((g) => g.score)) : null;
    const threshold = this.thresholdWith(siteModel);
    const modelVersion = this.versionWith(siteModel);
    const genericThreshold = this.generic.meta.threshold;
    return requests.map((_, i) => {
      const g = generic[i]!;
      const score = site ? site[i]!.score : g.score;
      const isAnomaly = score >= threshold;
      // The generic model names the class when it leans to an attack; otherwise the site model's departure is the finding.
      const genericLeads = g.score >= Math.min(0.5, genericThreshold);
      const attackType = isAnomaly ? (genericLeads ? this.generic.classes[g.cls]! : "anomaly") : null;
      const reasons: Reason[] = [];
      if (isAnomaly || this.options.explainAll) {
        const order = g.fieldScores.map((s, f) => [s, f] as const).sort((a, b) => b[0] - a[0]);
        for (const [s, f] of order.slice(0, 3)) {
          if (s < 0.5 && !(reasons.length === 0 && this.options.explainAll)) break;
          const field = fields[i]![f]!;
          const cls = g.fieldClasses[f]!;
          const evidence = this.generic.explain(field, cls);
          reasons.push({ field: fieldLabel(field), name: this.generic.classes[cls]!, evidence: evidence.text, detector: "generic", weight: s, detail: `looks like ${this.generic.classes[cls]} (p=${s.toFixed(3)})` });
        }
        for (const f of site?.[i]!.findings ?? []) {
          if (reasons.length >= MAX_REASONS) break;
          if (f.feature === "generic") continue;
          reasons.push({ field: f.field, name: SITE_NAMES[f.feature] ?? f.feature, evidence: f.evidence, detector: "site", weight: f.weight, detail: f.detail });
        }
      }
      return { score, isAnomaly, threshold, attackType, severity: severityOf(attackType, score, isAnomaly), reasons, modelVersion };
    });
  }
}

function resolveSitePath(path: string): string {
  return statSync(path).isDirectory() ? join(path, "site.onnx") : path;
}
