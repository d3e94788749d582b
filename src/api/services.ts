/** What the API routes call: the running service's context and its services. */
import type { ServiceContext } from "../serve/context.ts";
import type { AlertService } from "../services/alerts.ts";
import type { MetricsService } from "../services/metrics.ts";
import type { ThreatQueries } from "../services/threats.ts";
import type { AnalyticsService } from "../services/analytics.ts";
import type { Scheduler } from "../jobs/scheduler.ts";
import type { WafSettings } from "../services/waf-settings.ts";
import type { WriteBehind } from "../store/write-behind.ts";
import type { HttpRequest } from "../core/http-request.ts";
import type { Verdict } from "../detect/verdict.ts";
import type { Redactor } from "../detect/redact.ts";
import type { Allowlist } from "../services/allowlist.ts";
import type { RuntimeSettings } from "../services/runtime-settings.ts";
import type { SourceStatus } from "../serve/ingest.ts";
import type { DatabaseIntegrity } from "../services/db-integrity.ts";

export interface ApiServices {
  ctx: ServiceContext;
  metrics: MetricsService;
  alerts: AlertService;
  threats: ThreatQueries;
  analytics: AnalyticsService;
  scheduler: Scheduler;
  /** The operator's live threshold and mode (persisted). */
  settings: WafSettings;
  /** Where inline checks are stored (write-behind: answers do not wait for their rows). */
  inlineWriter: WriteBehind;
  /** Live WebSocket clients (the metrics' activeConnections). */
  wsClients(): number;
  /** The verdict path every request takes (the models, then the allowlist). */
  judge(requests: HttpRequest[]): Promise<Verdict[]>;
  /** Takes the secrets out of judged requests before they are stored or published (one key per installation). */
  redact: Redactor;
  /** Confirmed false positives. */
  allowlist: Allowlist;
  /** Retention and webhook settings changed at run time (persisted). */
  runtime: RuntimeSettings;
  /** The database's last integrity check (readiness). */
  integrity: DatabaseIntegrity;
  /** The followed logs and how they are doing (empty when none is configured). */
  sources(): SourceStatus[];
}
