/**
 * The detection settings an operator can change while Moat runs — the threshold and the mode — kept
 * in the settings table so that they survive a restart. The config file's `detect.threshold` and
 * `detect.mode` are the defaults until the first change. A threshold of 0 means "the model's own
 * calibrated threshold", as in the config file.
 */
import { inArray } from "drizzle-orm";
import type { ServiceContext } from "../serve/context.ts";
import type { Detector } from "../detect/detector.ts";
import { settings } from "../store/schema.ts";

export type WafMode = "detect" | "block";

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
  return value === "detect" || value === "block";
}

export class WafSettings {
  private thresholdSetting: number;
  private modeSetting: WafMode;

  /** Reads the stored settings and applies the threshold to the live detector. */
  constructor(private readonly ctx: SettingsContext) {
    const stored = this.readStored();
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

  /** Stores and applies the change; records a `settings.changed` activity when something changed. Returns whether it did. */
  update(change: WafSettingsChange): boolean {
    const before = { threshold: this.threshold, mode: this.modeSetting };
    const descriptions: string[] = [];
    if (change.threshold !== undefined && change.threshold !== this.thresholdSetting) {
      if (!isThreshold(change.threshold)) throw new RangeError(`threshold must be between 0 and 1, got ${change.threshold}`);
      this.thresholdSetting = change.threshold;
      this.ctx.detector.setThreshold(change.threshold > 0 ? change.threshold : undefined);
      this.store(THRESHOLD_KEY, change.threshold);
      const source = change.threshold > 0 ? "" : " (the model's calibrated threshold)";
      descriptions.push(`threshold ${before.threshold.toFixed(4)} → ${this.threshold.toFixed(4)}${source}`);
    }
    if (change.mode !== undefined && change.mode !== this.modeSetting) {
      this.modeSetting = change.mode;
      this.store(MODE_KEY, change.mode);
      descriptions.push(`mode ${before.mode} → ${change.mode}`);
    }
    if (!descriptions.length) return false;
    this.ctx.activities.record({ type: "settings.changed", title: "Detection settings changed", details: descriptions.join("; "), time: this.ctx.now() });
    return true;
  }

  private readStored(): Map<string, unknown> {
    const rows = this.ctx.store.db.select().from(settings).where(inArray(settings.key, [THRESHOLD_KEY, MODE_KEY])).all();
    const values = new Map<string, unknown>();
    for (const row of rows) {
      try {
        values.set(row.key, JSON.parse(row.value));
      } catch {
        // A value that is not JSON was not written by Moat: the config file's value applies instead.
      }
    }
    return values;
  }

  private store(key: string, value: unknown): void {
    const json = JSON.stringify(value);
    const updatedAt = this.ctx.now();
    this.ctx.store.db.insert(settings).values({ key, value: json, updatedAt }).onConflictDoUpdate({ target: settings.key, set: { value: json, updatedAt } }).run();
  }
}
