/**
 * Settings an operator changes from the dashboard while Moat runs — the retention limits and the
 * alert webhook — kept in the settings table. Once set they override the configuration file (and the
 * environment and flags) from then on, restarts included: they are written onto the live config
 * object, which the retention job, the security checks and the alert service read.
 */
import { Value } from "@sinclair/typebox/value";
import { ConfigSchema, type Config } from "../config/schema.ts";
import type { ServiceContext } from "./context.ts";
import { readSettings, writeSetting } from "../store/settings.ts";
import type { Store } from "../store/db.ts";
import { outboundUrlProblem } from "../core/outbound-url.ts";

export type RetentionSection = Config["retention"];
export type RetentionChange = Partial<RetentionSection>;

const RETENTION_KEY = "retention";
const WEBHOOK_KEY = "alerts.webhook_url";

type RuntimeContext = Pick<ServiceContext, "config" | "store" | "activities" | "now">;

/** `https://hooks.example.com/services/T0/B0/secret` → `https://hooks.example.com`: the path of a webhook is its secret. */
export function maskUrl(url: string): string {
  if (!url) return "";
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return "(not a valid URL)";
  }
}

/** A problem with a webhook URL, or null when it is usable ("" turns the webhook off). */
function webhookUrlProblem(url: string, allowRanges: readonly string[]): string | null {
  const problem = url === "" ? null : outboundUrlProblem(url, allowRanges);
  return problem && `url: ${problem} (or send "" to turn the webhook off)`;
}

/**
 * Writes the overrides an operator stored from the dashboard onto `config`: everything that reads
 * retention or the webhook — `moat serve`'s services and the CLI's `moat db prune` alike — then
 * follows the same values.
 */
export function applyStoredSettings(config: Config, store: Store): void {
  const stored = readSettings(store, [RETENTION_KEY, WEBHOOK_KEY]);
  const retention = stored.get(RETENTION_KEY);
  if (retention && typeof retention === "object") Object.assign(config.retention, pickRetention(retention as Record<string, unknown>));
  const url = stored.get(WEBHOOK_KEY);
  // A stored URL the policy refuses now (alerts.webhook_allow_ranges narrowed since) is not applied: the config file's stays.
  if (typeof url === "string" && webhookUrlProblem(url, config.alerts.webhook_allow_ranges) === null) config.alerts.webhook_url = url;
}

export class RuntimeSettings {
  private readonly webhookListeners: ((url: string) => void)[] = [];

  /** Reads the stored overrides and writes them onto `ctx.config` (before the services read it). */
  constructor(private readonly ctx: RuntimeContext) {
    applyStoredSettings(ctx.config, ctx.store);
  }

  get retention(): RetentionSection {
    return { ...this.ctx.config.retention };
  }

  get webhookUrl(): string {
    return this.ctx.config.alerts.webhook_url;
  }

  /** Called with the new URL whenever the webhook changes (the alert service re-points its queue). */
  onWebhookChange(listener: (url: string) => void): void {
    this.webhookListeners.push(listener);
  }

  /** Applies and stores a change of some retention limits (already validated); returns whether anything changed. */
  updateRetention(change: RetentionChange): boolean {
    const before = this.retention;
    const changed = (Object.keys(change) as (keyof RetentionSection)[]).filter((k) => change[k] !== undefined && change[k] !== before[k]);
    if (!changed.length) return false;
    Object.assign(this.ctx.config.retention, pickRetention(change));
    // The whole section is stored: a later config file edit must not undo half of what the operator set.
    writeSetting(this.ctx.store, RETENTION_KEY, this.retention, this.ctx.now());
    this.ctx.activities.record({ type: "settings.changed", title: "Retention limits changed", details: changed.map((k) => `${k} ${before[k]} → ${this.ctx.config.retention[k]}`).join("; "), time: this.ctx.now() });
    return true;
  }

  /** Applies and stores a webhook URL ("" turns it off); returns whether it changed. Throws a RangeError for a bad URL. */
  updateWebhook(url: string): boolean {
    const problem = webhookUrlProblem(url, this.ctx.config.alerts.webhook_allow_ranges);
    if (problem) throw new RangeError(problem);
    const before = this.webhookUrl;
    if (url === before) return false;
    this.ctx.config.alerts.webhook_url = url;
    writeSetting(this.ctx.store, WEBHOOK_KEY, url, this.ctx.now());
    for (const listener of this.webhookListeners) listener(url);
    const details = url ? `alerts now go to ${maskUrl(url)}${before ? ` (was ${maskUrl(before)})` : ""}` : `the webhook is off (was ${maskUrl(before)})`;
    this.ctx.activities.record({ type: "settings.changed", title: "Alert webhook changed", details, time: this.ctx.now() });
    return true;
  }

}

const RETENTION_FIELDS = ConfigSchema.properties.retention.properties;

/** The retention keys of `value` within the config schema's limits (a stored value is trusted no further). */
function pickRetention(value: Record<string, unknown>): RetentionChange {
  const out: RetentionChange = {};
  for (const key of Object.keys(RETENTION_FIELDS) as (keyof RetentionSection)[]) {
    const v = value[key];
    if (Value.Check(RETENTION_FIELDS[key], v)) out[key] = v as number;
  }
  return out;
}
