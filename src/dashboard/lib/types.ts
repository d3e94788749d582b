/**
 * What the API answers, from the server's own schemas: the contract (src/api/contract.ts) and the
 * console API (src/api/console-contract.ts). Type-only imports: nothing of the server reaches the bundle.
 */
import type { ActivityDataT, AlertDataT, ChartDataPointT, RealTimeMetricsT, SecurityCheckT, ThreatDataT, TrafficDataT } from "../../api/contract.ts";
import type { AnalyticsSummary, TopEntry } from "../../services/analytics.ts";
import type { complianceScore } from "../../services/security/checks.ts";
import type { WafSettingsChange } from "../../services/waf-settings.ts";
import type { WafMode } from "../../core/enums.ts";
import type { Static } from "elysia";
import type {
  AllowRule as AllowRuleSchema, ApiKey as ApiKeySchema, KeyCreateBody, ModelEntryT, Performance as PerformanceSchema, Settings as SettingsSchema, Source as SourceSchema, ThreatDetail as ThreatDetailSchema,
} from "../../api/console-contract.ts";

export type { ActivityDataT as Activity, AlertDataT as Alert, ChartDataPointT as ChartPoint, RealTimeMetricsT as Metrics, SecurityCheckT as SecurityCheck, ThreatDataT as Threat, AnalyticsSummary, TopEntry };

export type Traffic = TrafficDataT;

export type Range = "1h" | "6h" | "24h" | "7d" | "30d";
export const RANGES: Range[] = ["1h", "6h", "24h", "7d", "30d"];

export type Compliance = ReturnType<typeof complianceScore>;

export type { WafMode as Mode, WafSettingsChange };

/** GET /api/waf/config (detection.ts keeps its schema to itself). */
export interface WafConfig {
  threshold: number;
  calibrated_threshold: number;
  model_available: boolean;
  service_enabled: boolean;
  mode: WafMode;
}

export type ThreatDetail = Static<typeof ThreatDetailSchema>;
export type AllowRule = Static<typeof AllowRuleSchema>;
export type ModelVersion = ModelEntryT;
export type LogSource = Static<typeof SourceSchema>;
export type ConsoleSettings = Static<typeof SettingsSchema>;
/** `key` only in the answer that created it. */
export type ApiKey = Static<typeof ApiKeySchema> & { key?: string };
export type ApiKeyScope = ApiKey["scope"];
export type KeyCreate = Static<typeof KeyCreateBody>;
export type Performance = Static<typeof PerformanceSchema>;

export interface AuthState {
  authenticated: boolean;
  required: boolean;
  keyName?: string;
}

/** WebSocket messages (shared/API-CONTRACT.md, WebSocket). */
export interface LiveMessages {
  metrics: RealTimeMetricsT;
  alert: AlertDataT;
  activity: ActivityDataT;
  threat: ThreatDataT;
  traffic: Traffic;
  chart: { type: "requests" | "threats" | "performance"; data: ChartDataPointT };
}
export type LiveType = keyof LiveMessages;
