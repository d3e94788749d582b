/**
 * The generic model's training values, each once, and the cross-fitting folds of the sites that both
 * teach and calibrate. A value that only one fold's sites sent belongs to that fold: the models that
 * score that fold for calibration never learn it. A value sent by both folds, or by any other source
 * (the generators, the payload lists, CSIC), is every model's to learn.
 */
import type { Leaf } from "../../decompose/leaf.ts";
import type { Finding } from "../../detect/analyzers/finding.ts";
import { splitPoint } from "../corpus/sample.ts";

/** One training value: a leaf, what the analyzers found in it, its class. */
export interface LabelledLeaf {
  leaf: Leaf;
  findings: Finding[];
  label: number;
  source: string;
}

/** Folds of the cross-fitted sites. */
export const CALIBRATION_FOLDS = 2;

/** The fold a site's requests fall in, by a hash of its name. */
export function foldOf(site: string): number {
  return Math.min(CALIBRATION_FOLDS - 1, Math.floor(splitPoint(`fold:${site}`) * CALIBRATION_FOLDS));
}

export class LeafCorpus {
  /** Keyed by class and content: a header every request repeats is one sample, not thousands. */
  private readonly unique = new Map<string, { value: LabelledLeaf; fold: number | undefined }>();

  /** Adds the values not seen before (with `fold`: sent by a cross-fitted site of that fold); returns those. */
  add(values: LabelledLeaf[], fold?: number): LabelledLeaf[] {
    const added: LabelledLeaf[] = [];
    for (const value of values) {
      const key = `${value.label}\0${value.leaf.location}\0${value.leaf.kind}\0${value.leaf.text}`;
      const known = this.unique.get(key);
      if (known) {
        if (known.fold !== fold) known.fold = undefined;
        continue;
      }
      this.unique.set(key, { value, fold });
      added.push(value);
    }
    return added;
  }

  /** Every value. */
  all(): LabelledLeaf[] {
    return [...this.unique.values()].map((e) => e.value);
  }

  /** Every value but those only fold `fold`'s sites sent: what a model that calibrates on that fold learns from. */
  without(fold: number): LabelledLeaf[] {
    return [...this.unique.values()].filter((e) => e.fold !== fold).map((e) => e.value);
  }
}
