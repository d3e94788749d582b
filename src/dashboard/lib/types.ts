/**
 * What the API answers, from the server's own schemas: the contract (src/api/contract.ts), the
 * console API (src/api/console-contract.ts) and the enumerations (src/core/enums.ts). Type-only
 * imports: nothing of the server reaches the bundle (`bun run deps` checks it).
 */
import type {
  ActivityDataT, AlertDataT, ChartDataPointT, ComplianceScoreT, RealTimeMetricsT, SecurityCheckT, ThreatDataT, TrafficDataT, WsStreamData,
} from "../../api/contract.ts";
import type { RANGES as SERVER_RANGES, Range, WafMode, WsStreamType } from "../../core/enums.ts";
import type { Static } from "elysia";
import type {
  AddressProfileT, AgentT, AllowRule as AllowRuleSchema, ApiKey as ApiKeySchema, AttackerT, ConsoleTrafficT, DataAge as DataAgeSchema, AuthStateT, DecisionCreateBody, DecisionT, IncidentT, KeyCreateBody, ModelEntryT, Performance as PerformanceSchema, Settings as SettingsSchema, Source as SourceSchema, ThreatDetail as ThreatDetailSchema, ThreatFilters as ThreatFiltersSchema, TrafficFilters as TrafficFiltersSchema,
  WafConfigChangeT, WafConfigT,
} from "../../api/console-contract.ts";

export type { ActivityDataT as Activity, AlertDataT as Alert, ChartDataPointT as ChartPoint, RealTimeMetricsT as Metrics, SecurityCheckT as SecurityCheck, ThreatDataT as Threat };
export type { AnalyticsSummary, TopEntry } from "../../api/contract.ts";
export type { ApiKeyScope } from "../../core/enums.ts";

export type Traffic = TrafficDataT;
/** A row of the traffic tail: the contract's, with the query string and response time; live rows lack them until fetched. */
export type TailRow = TrafficDataT & Partial<Pick<ConsoleTrafficT, "query" | "latencyMs" | "host">>;
export type Attacker = AttackerT;
export type AddressProfile = AddressProfileT;
export type DataAge = Static<typeof DataAgeSchema>;

export type { Range };
/** The ranges the pickers offer: the server's list, restated because values cannot cross a type-only import (tsc checks they agree). */
export const RANGES: readonly Range[] = ["1h", "6h", "24h", "7d", "30d"] satisfies typeof SERVER_RANGES;

/** The share of Moat's own checks that pass (the contract's "compliance score"). */
export type Posture = ComplianceScoreT;

export type { WafMode as Mode, WafConfigChangeT as WafSettingsChange, WafConfigT as WafConfig, AuthStateT as AuthState };

export type ThreatDetail = Static<typeof ThreatDetailSchema>;
export type AllowRule = Static<typeof AllowRuleSchema>;
export type ModelVersion = ModelEntryT;
export type LogSource = Static<typeof SourceSchema>;
export type ConsoleSettings = Static<typeof SettingsSchema>;
/** `key` only in the answer that created it. */
export type ApiKey = Static<typeof ApiKeySchema> & { key?: string };
export type KeyCreate = Static<typeof KeyCreateBody>;
export type Decision = DecisionT;
export type Agent = AgentT;
export type Incident = IncidentT;
export type DecisionCreate = Static<typeof DecisionCreateBody>;
export type Performance = Static<typeof PerformanceSchema>;

/** A list's filters as the page's URL carries them: the server's query parameters, each value as text. */
type UrlFilters<T> = { [K in keyof T]?: string };
export type TrafficFilter = UrlFilters<Static<typeof TrafficFiltersSchema>>;
export type ThreatFilter = UrlFilters<Static<typeof ThreatFiltersSchema>>;

/** WebSocket messages (shared/API-CONTRACT.md, WebSocket). */
export type LiveMessages = WsStreamData;
export type LiveType = WsStreamType;
