/** What the API routes call: the running service's context and its services. */
import type { ServiceContext } from "../services/context.ts";
import type { AlertService } from "../services/alerts.ts";
import type { MetricsService } from "../services/metrics.ts";
import type { ThreatQueries } from "../services/threats.ts";
import type { AnalyticsService } from "../services/analytics.ts";
import type { Scheduler } from "../jobs/scheduler.ts";
import type { WafSettings } from "../services/waf-settings.ts";
import type { WriteBehind } from "../pipeline/sinks/write-behind.ts";
import type { InlineSource } from "../pipeline/sources/inline.ts";
import type { MirrorSource } from "../pipeline/sources/mirror.ts";
import type { Allowlist } from "../services/allowlist.ts";
import type { RuntimeSettings } from "../services/runtime-settings.ts";
import type { SourceStatus } from "../pipeline/sources/tail.ts";
import type { DatabaseIntegrity } from "../services/db-integrity.ts";
import type { DenyList } from "../services/deny-list/service.ts";
import type { Geo } from "../services/geo.ts";

export interface ApiServices {
  ctx: ServiceContext;
  metrics: MetricsService;
  alerts: AlertService;
  threats: ThreatQueries;
  analytics: AnalyticsService;
  scheduler: Scheduler;
  /** The operator's live threshold and mode (persisted). */
  settings: WafSettings;
  /** Where inline checks and mirrored copies are stored (write-behind: answers do not wait for their rows). */
  writeBehind: WriteBehind;
  /** The inline-check source: every inline route judges through it. */
  inline: InlineSource;
  /** The mirror source (POST /mirror), or null when mirror.enabled is false. */
  mirror: MirrorSource | null;
  /** Live WebSocket clients (the metrics' activeConnections). */
  wsClients(): number;
  /** Confirmed false positives. */
  allowlist: Allowlist;
  /** Retention and webhook settings changed at run time (persisted). */
  runtime: RuntimeSettings;
  /** The database's last integrity check (readiness). */
  integrity: DatabaseIntegrity;
  /** The deny list of passive blocking, or null when ban.enabled is false. */
  denyList: DenyList | null;
  /** Country and AS of addresses from the operator's local databases (nulls when none is configured or usable). */
  geo: Geo;
  /** The followed logs and how they are doing (empty when none is configured). */
  sources(): SourceStatus[];
  /** A hub (`moat hub`): it serves the agent routes, and takes their larger bodies. */
  acceptsAgents: boolean;
}
