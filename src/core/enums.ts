/**
 * The enumerations Moat's stages, store, API and dashboard share, each declared once: the config
 * schema, the drizzle columns, the API's `t` unions and the TypeScript types all derive from these.
 * The order of each list is the order the API documents and the dashboard offers.
 */

/** How bad a verdict is, worst first; "none": not flagged. */
export const SEVERITIES = ["critical", "high", "medium", "low", "none"] as const;
export type Severity = (typeof SEVERITIES)[number];
/** Whether `severity` is `floor` or worse (SEVERITIES lists the worst first). */
export function atLeastSeverity(severity: string, floor: Severity): boolean {
  const rank = SEVERITIES.indexOf(severity as Severity);
  return rank >= 0 && rank <= SEVERITIES.indexOf(floor);
}

/** The severities a flagged request can have: threats carry one, and block mode's floor is one. */
export const THREAT_SEVERITIES = ["critical", "high", "medium", "low"] as const satisfies readonly Severity[];

/** detect: judge and record; block: also refuse what the block policy names (inline checks answer 403, the deny list acts). */
export const WAF_MODES = ["detect", "block"] as const;
export type WafMode = (typeof WAF_MODES)[number];

/** When the API asks for a key: auto (beyond loopback only) or always. */
export const API_KEY_REQUIREMENTS = ["auto", "always"] as const;

/**
 * check: the inline check routes (and /health) only, the key nginx holds; agent: the agent routes only
 * (/api/agent/*), the key an agent sends its batches to a hub with; admin: everything.
 */
export const API_KEY_SCOPES = ["check", "agent", "admin"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export const ALERT_TYPES = ["critical", "warning", "info"] as const;
export const ALERT_SEVERITIES = ["high", "medium", "low"] as const;
/** active and acknowledged alerts are open; dismissed and resolved ones are history. */
export const ALERT_STATUSES = ["active", "acknowledged", "dismissed", "resolved"] as const;

export const CHECK_STATUSES = ["pass", "warning", "fail"] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** generic: the model Moat ships; site: the one trained on this site's traffic. */
export const MODEL_KINDS = ["generic", "site"] as const;
/** A site model file's state: live (judging), replaced (kept for rollback), rejected (by the regression gate). */
const SITE_MODEL_STATES = ["live", "replaced", "rejected"] as const;
export type SiteModelState = (typeof SITE_MODEL_STATES)[number];
/** The models the API lists: the site model's files, and the generic model Moat ships (bundled). */
export const MODEL_STATES = [...SITE_MODEL_STATES, "bundled"] as const;
/** What decided a verdict: a model, or an operator's allowlist rule. */
export const VERDICT_DETECTORS = [...MODEL_KINDS, "allowlist"] as const;
export type VerdictDetector = (typeof VERDICT_DETECTORS)[number];

/** auto: block mode banned the address; manual: an operator did; hub: the hub this agent reports to did (src/agent/). */
export const BAN_SOURCES = ["auto", "manual", "hub"] as const;

/** The agent filter's value for this Moat's own rows (on a hub, the rest carry their agent's name). */
export const LOCAL_AGENT = "local";
export type LocalAgent = typeof LOCAL_AGENT;

/** The ranges the dashboard offers (the API takes any `<N>h` or `<N>d`). */
export const RANGES = ["1h", "6h", "24h", "7d", "30d"] as const;
export type Range = (typeof RANGES)[number];

/** The figures GET /api/analytics/trends/:metric charts besides an attack type's flagged requests. */
export const TREND_METRICS = ["requests", "flagged", "blocked", "attack-rate", "response-time", "errors"] as const;

/** The WebSocket messages a client can subscribe to (shared/API-CONTRACT.md, WebSocket). */
export const WS_STREAM_TYPES = ["metrics", "alert", "activity", "threat", "traffic", "chart"] as const;
export type WsStreamType = (typeof WS_STREAM_TYPES)[number];
/** The hub's replies to a client itself: always sent, whatever it subscribed to. */
export type WsControlType = "connection" | "subscribed" | "unsubscribed" | "pong" | "error";
/** The charts a `chart` message carries a point of. */
export type ChartType = "requests" | "threats" | "performance";
