/**
 * The detection settings an operator can change while Moat runs — the threshold and the mode — kept
 * in the settings table so that they survive a restart. The config file's `detect.threshold` and
 * `detect.mode` are the defaults until the first change. A threshold of 0 means "the model's own
 * calibrated threshold", as in the config file.
 */
import type { ServiceContext } from "./context.ts";
import type { Detector } from "../detect/detector.ts";
import { readSettings, writeSetting } from "../store/settings.ts";
import { WAF_MODES, type WafMode } from "../core/enums.ts";

export interface WafSettingsChange {
  threshold?: number;
  mode?: WafMode;
}

const THRESHOLD_KEY = "detect.threshold";
const MODE_KEY = "detect.mode";

type SettingsContext = Pick<ServiceContext, "config" | "store" | "detector" | "activities" | "now">;

function isThreshold(value: unknown): value is number {
  return typeof value === "number" && value >= 0 && value <= 1;
}

function isMode(value: unknown): value is WafMode {
  return WAF_MODES.includes(value as WafMode);
}

export class WafSettings {
  private thresholdSetting: number;
  private modeSetting: WafMode;

  /** Reads the stored settings and applies the threshold to the live detector. */
  constructor(private readonly ctx: SettingsContext) {
    const stored = readSettings(this.ctx.store, [THRESHOLD_KEY, MODE_KEY]);
    const threshold = stored.get(THRESHOLD_KEY);
    const mode = stored.get(MODE_KEY);
    this.thresholdSetting = isThreshold(threshold) ? threshold : ctx.config.detect.threshold;
    this.modeSetting = isMode(mode) ? mode : ctx.config.detect.mode;
    ctx.detector.setThreshold(this.thresholdSetting > 0 ? this.thresholdSetting : undefined);
  }

  /** The threshold requests are judged with. */
  get threshold(): number {
    return this.ctx.detector.threshold;
  }

  get mode(): WafMode {
    return this.modeSetting;
  }

  /** The threshold as set: 0 for the model's calibrated one (what an agent of this hub takes). */
  get thresholdSet(): number {
    return this.thresholdSetting;
  }

  /** Stores and applies the change; records a `settings.changed` activity when something changed. Returns whether it did. */
  update(change: WafSettingsChange): boolean {
    const before = { threshold: this.threshold, mode: this.modeSetting };
    const descriptions: string[] = [];
    if (change.threshold !== undefined && change.threshold !== this.thresholdSetting) {
      if (!isThreshold(change.threshold)) throw new RangeError(`threshold must be between 0 and 1, got ${change.threshold}`);
      this.thresholdSetting = change.threshold;
      this.ctx.detector.setThreshold(change.threshold > 0 ? change.threshold : undefined);
      writeSetting(this.ctx.store, THRESHOLD_KEY, change.threshold, this.ctx.now());
      const source = change.threshold > 0 ? "" : " (the model's calibrated threshold)";
      descriptions.push(`threshold ${before.threshold.toFixed(4)} → ${this.threshold.toFixed(4)}${source}`);
    }
    if (change.mode !== undefined && change.mode !== this.modeSetting) {
      this.modeSetting = change.mode;
      writeSetting(this.ctx.store, MODE_KEY, change.mode, this.ctx.now());
      descriptions.push(`mode ${before.mode} → ${change.mode}`);
    }
    if (!descriptions.length) return false;
    this.ctx.activities.record({ type: "settings.changed", title: "Detection settings changed", details: descriptions.join("; "), time: this.ctx.now() });
    return true;
  }

}
