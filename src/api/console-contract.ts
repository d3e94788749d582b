/**
 * The dashboard's console API beyond the contract (notes/console-api.md): the `t` schemas of its
 * inputs and answers (they feed the OpenAPI document) and the mappings from stored rows to them.
 * Times are ISO 8601 strings, as in the contract.
 */
import { t, type Static } from "elysia";
import { ConfigSchema } from "../config/schema.ts";
import { DEFAULT_KEY_ACCESS, displayPrefix, MAX_KEY_RATE_LIMIT, type ApiKeyInfo } from "./auth/keys.ts";
import { API_KEY_REQUIREMENTS, API_KEY_SCOPES, BAN_SOURCES, LOCAL_AGENT, MODEL_KINDS, MODEL_STATES, THREAT_SEVERITIES, WAF_MODES } from "../core/enums.ts";
import { jsonInteger, literalUnion } from "../core/schema-types.ts";
import { AlertData, iso, isoOrNull, ThreatData, toTrafficData, TrafficData, WholeNumber } from "./contract.ts";
import { Reason } from "./inline-check.ts";
import type { AllowRuleRow } from "../services/allowlist.ts";
import type { SourceStatus } from "../pipeline/sources/tail.ts";
import type { ThreatListOptions } from "../services/threats.ts";
import type { TrafficQuery } from "../services/traffic.ts";
import type { TrafficRow } from "../store/rows.ts";
import { isReporting, type AgentRow } from "../services/agents.ts";


export const IdParam = t.Object({ id: WholeNumber({ minimum: 1, description: "a positive whole number" }) });

// ── list filters (GET /api/threats, GET /api/traffic) ─────────────────────────────────────────────

/** `?agent=`: on a hub, one agent's figures or rows (every page's filter). */
export const AgentFilter = t.Object({
  agent: t.Optional(t.String({ minLength: 1, maxLength: 128, description: `only what this agent judged (on a hub: its key's name); "${LOCAL_AGENT}": only this Moat's own sources; absent: all` })),
});

export const ThreatFilters = t.Object({
  ip: t.Optional(t.String({ minLength: 1, maxLength: 64, description: "only threats from this client address" })),
  type: t.Optional(t.String({ minLength: 1, maxLength: 64, description: "only this attack type (sqli, xss, anomaly, ...)" })),
  severity: t.Optional(literalUnion(THREAT_SEVERITIES, { description: "only this severity" })),
  q: t.Optional(t.String({ minLength: 1, maxLength: 256, description: "only endpoints containing this text (case-sensitive)" })),
  ...AgentFilter.properties,
});

export const TrafficFilters = t.Object({
  ip: t.Optional(t.String({ minLength: 1, maxLength: 64, description: "only requests from this client address" })),
  method: t.Optional(t.String({ pattern: "^[A-Za-z]{1,16}$", description: "only this HTTP method (any case)" })),
  status: t.Optional(WholeNumber({ minimum: 100, maximum: 599, description: "a response status from 100 to 599 (only requests answered with it)" })),
  path: t.Optional(t.String({ minLength: 1, maxLength: 2048, description: "only paths containing this text (case-sensitive)" })),
  verdict: t.Optional(t.Union([t.Literal("flagged"), t.Literal("benign")], { description: "only flagged, or only benign, requests" })),
  ...AgentFilter.properties,
});

export function threatFilterOptions(q: Static<typeof ThreatFilters>): Pick<ThreatListOptions, "ip" | "type" | "severity" | "endpointContains" | "agent"> {
  return { ip: q.ip, type: q.type, severity: q.severity, endpointContains: q.q, agent: q.agent };
}

export function trafficFilterOptions(q: Static<typeof TrafficFilters>): Pick<TrafficQuery, "ip" | "method" | "status" | "pathContains" | "flagged" | "agent"> {
  return { ip: q.ip, method: q.method?.toUpperCase(), status: q.status, pathContains: q.path, flagged: q.verdict === undefined ? undefined : q.verdict === "flagged", agent: q.agent };
}

// ── threat detail ───────────────────────────────────────────────────────────────────────────────────

/** An inline check's reason, with the evidence located in the field's raw value. */
const DetailReason = t.Composite([
  Reason,
  t.Object({
    start: t.Optional(t.Number({ description: "offset of the evidence in the field's raw value (UTF-16 code units, as JavaScript indexes strings), when it can be located there" })),
    end: t.Optional(t.Number({ description: "offset just past the evidence in the field's raw value" })),
  }),
]);

const NormalizedField = t.Object({
  field: t.String(),
  raw: t.String({ description: "the value as sent (still encoded)" }),
  normalized: t.String({ description: "what the models read: decoded, folded, lower-cased" }),
  decodings: t.Array(t.String(), { description: "what normalization undid: url-decode (once per pass), %u, overlong-utf8, html-entities, unicode-compat, nul-byte, control-chars, comments, decode-limit" }),
});

/** A secret taken out of the request at ingestion (detect/redact.ts); its value shows as `[redacted len=… sha=…]`. */
const Redaction = t.Object({
  field: t.String({ description: "where it was: query.<name>, body.<name>, cookie.<name>, header.<name>, referer.<name> or extra.<log variable>" }),
  length: t.Number({ description: "characters in the value" }),
  sha: t.String({ description: "first 12 hex digits of HMAC-SHA256 of the value under the installation's key (<data_dir>/redaction.key): equal values, equal hashes" }),
  evidence: t.Array(t.String(), { description: "what the models flagged inside the value, kept visible" }),
});

export const ThreatDetail = t.Composite([
  ThreatData,
  t.Object({
    method: t.String(),
    threshold: t.Number(),
    modelVersion: t.String(),
    attackType: t.String(),
    request: t.Object({
      raw: t.String({ description: "the request as received: its log line, or the HTTP text of an inline check" }),
      method: t.String(),
      path: t.String(),
      query: t.String(),
      host: t.Optional(t.String({ description: "where it was sent ($host in the log, or the Host header), when known" })),
      headers: t.Record(t.String(), t.String(), { description: "lower-cased names; repeated headers joined with \", \"" }),
      body: t.Nullable(t.String()),
      redacted: t.Array(Redaction, { description: "the secrets taken out at ingestion (empty for requests stored before redaction)" }),
    }),
    normalized: t.Array(NormalizedField, { description: "every field the models read, in request order (the first 500)" }),
    reasons: t.Array(DetailReason),
    falsePositive: t.Boolean({ description: "an allowlist rule covers this request" }),
    incidentId: t.Nullable(t.Number({ description: "the incident (an alert: GET /api/incidents/:id) this threat belongs to" })),
    acknowledgedAt: t.Nullable(t.String({ description: "when its incident was acknowledged, which acknowledges its threats" })),
  }),
]);
export type ThreatDetailT = Static<typeof ThreatDetail>;

// ── allowlist ──────────────────────────────────────────────────────────────────────────────────────

export const AllowRule = t.Object({
  id: t.Number(),
  endpoint: t.String(),
  field: t.Nullable(t.String({ description: "null: evidence in any field" })),
  attackType: t.Nullable(t.String({ description: "null: any attack type" })),
  note: t.String(),
  threatId: t.Nullable(t.Number()),
  createdAt: t.String(),
});

export const FalsePositiveBody = t.Object(
  {
    note: t.Optional(t.String({ maxLength: 500 })),
    scope: t.Optional(t.Union([t.Literal("field"), t.Literal("endpoint")], { description: "field (default): only evidence in the threat's top reason's field; endpoint: anywhere on the endpoint" })),
  },
  { additionalProperties: false, description: "a JSON object; {} for the defaults" },
);

export function toAllowRule(r: AllowRuleRow): Static<typeof AllowRule> {
  return { id: r.id, endpoint: r.endpoint, field: r.field, attackType: r.attackType, note: r.note, threatId: r.threatId, createdAt: iso(r.createdAt) };
}

// ── models ─────────────────────────────────────────────────────────────────────────────────────────

export const ModelEntry = t.Object({
  version: t.String(),
  kind: literalUnion(MODEL_KINDS),
  active: t.Boolean({ description: "judging requests now" }),
  createdAt: t.String({ description: "when it was trained" }),
  metrics: t.Record(t.String(), t.Union([t.Number(), t.String()]), { description: "calibration figures, and the regression gate's when it went through one" }),
  evaluation: t.Optional(t.String({ description: "Markdown table of its last evaluation or regression-gate report" })),
  state: literalUnion(MODEL_STATES, { description: "live; replaced (kept for rollback); rejected by the gate; bundled (the generic model)" }),
});
export type ModelEntryT = Static<typeof ModelEntry>;

export const VersionParam = t.Object({ version: t.String({ minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9._+-]+$" }) });

// ── sources ────────────────────────────────────────────────────────────────────────────────────────

export const Source = t.Object({
  path: t.String(),
  format: t.String(),
  alive: t.Boolean({ description: "the file is open and followed" }),
  lines: t.Number({ description: "lines read since Moat started" }),
  parseErrors: t.Number({ description: "of those, lines that did not parse" }),
  lastLineAt: t.Nullable(t.String()),
  lagMs: t.Nullable(t.Number({ description: "for the last batch: from the newest line's own time (as logged; 1 s resolution with $time_local) to its storage" })),
  rotations: t.Number({ description: "rotations seen since Moat started" }),
  problem: t.Nullable(t.String({ description: "why its lines are not being stored, while they are not: the file does not exist yet, cannot be read, or its lines cannot be written (a full disk)" })),
});

export function toSource(s: SourceStatus): Static<typeof Source> {
  return { path: s.path, format: s.format, alive: s.alive, lines: s.lines, parseErrors: s.parseErrors, lastLineAt: isoOrNull(s.lastLineAt), lagMs: s.lagMs, rotations: s.rotations, problem: s.problem };
}

// ── settings ───────────────────────────────────────────────────────────────────────────────────────

const RETENTION_FIELDS = ConfigSchema.properties.retention.properties;
/** The config schema's limits for one retention key, without its default (a partial change must not fill in the rest). */
const retentionField = (key: keyof typeof RETENTION_FIELDS) => {
  const { minimum, maximum, description } = RETENTION_FIELDS[key] as { minimum?: number; maximum?: number; description?: string };
  const range = maximum !== undefined ? `from ${minimum} to ${maximum}` : `of at least ${minimum}`;
  return jsonInteger({ minimum, ...(maximum !== undefined ? { maximum } : {}), description: `a whole number ${range} (${description})` });
};

const RetentionSettings = t.Object({ traffic_rows: retentionField("traffic_rows"), max_age_days: retentionField("max_age_days"), max_db_mb: retentionField("max_db_mb") });

export const RetentionChangeBody = t.Object(
  { traffic_rows: t.Optional(retentionField("traffic_rows")), max_age_days: t.Optional(retentionField("max_age_days")), max_db_mb: t.Optional(retentionField("max_db_mb")) },
  { additionalProperties: false, minProperties: 1, description: "an object with some of traffic_rows, max_age_days, max_db_mb" },
);

export const WebhookChangeBody = t.Object({ url: t.String({ maxLength: 2048, description: "an http(s) URL to a public address (others only within alerts.webhook_allow_ranges), without user:pass@; \"\" turns the webhook off" }) }, { additionalProperties: false });

export const Settings = t.Object({
  retention: RetentionSettings,
  webhook: t.Object({ url: t.String({ description: "scheme and host only: the rest of a webhook URL is its secret" }), configured: t.Boolean() }),
  server: t.Object({
    host: t.String(),
    port: t.Number({ description: "the port the API answers on" }),
    requireApiKey: literalUnion(API_KEY_REQUIREMENTS, { description: "server.require_api_key: auto (keys required beyond loopback) or always" }),
  }),
  mode: literalUnion(WAF_MODES),
  threshold: t.Number({ description: "the threshold requests are judged with" }),
});

// ── detection settings (GET and PUT /api/waf/config) ───────────────────────────────────────────────

const Mode = literalUnion(WAF_MODES, { description: "detect or block" });

export const WafConfig = t.Object({
  threshold: t.Number({ description: "the threshold requests are judged with" }),
  calibrated_threshold: t.Number({ description: "the model's own threshold (what a threshold of 0 restores)" }),
  model_available: t.Boolean(),
  service_enabled: t.Boolean(),
  mode: Mode,
});
export type WafConfigT = Static<typeof WafConfig>;

export const WafConfigChange = t.Object({
  threshold: t.Optional(t.Number({ minimum: 0, maximum: 1, description: "a number from 0 to 1 (0: the model's calibrated threshold)" })),
  mode: t.Optional(Mode),
});
export type WafConfigChangeT = Static<typeof WafConfigChange>;

// ── credentials (GET /api/auth/me) ─────────────────────────────────────────────────────────────────

export const AuthState = t.Object({ authenticated: t.Boolean(), required: t.Boolean(), keyName: t.Optional(t.String()) });
export type AuthStateT = Static<typeof AuthState>;

// ── API keys ───────────────────────────────────────────────────────────────────────────────────────

const SCOPE_DESCRIPTION = "check: the inline check routes only (for nginx's auth_request and scripts); admin: everything";
const KeyScope = t.UnionEnum(API_KEY_SCOPES, { description: SCOPE_DESCRIPTION });
const KeyRateLimit = t.Nullable(jsonInteger({ minimum: 0, maximum: MAX_KEY_RATE_LIMIT, description: "inline checks per second for this key; null: server.check_rate_limit; 0: no limit" }));

export const ApiKey = t.Object({
  id: t.Number(),
  name: t.String(),
  prefix: t.String({ description: "the key's public start (moat_...), to recognise it" }),
  createdAt: t.String(),
  lastUsedAt: t.Nullable(t.String({ description: "to the minute" })),
  revokedAt: t.Nullable(t.String()),
  scope: KeyScope,
  rateLimit: KeyRateLimit,
});

export const CreatedApiKey = t.Composite([ApiKey, t.Object({ key: t.String({ description: "the whole key: shown this once (only a hash is stored)" }) })]);

export const KeyCreateBody = t.Object(
  {
    name: t.String({ minLength: 1, maxLength: 100, pattern: "\\S", description: "what the key is for, e.g. dashboard or ci" }),
    // The default is explicit: Elysia fills an absent optional UnionEnum with its first value otherwise.
    scope: t.Optional(t.UnionEnum(API_KEY_SCOPES, { description: SCOPE_DESCRIPTION, default: DEFAULT_KEY_ACCESS.scope })),
    rateLimit: t.Optional(KeyRateLimit),
  },
  { additionalProperties: false },
);

export function toApiKey(k: ApiKeyInfo): Static<typeof ApiKey> {
  return { id: k.id, name: k.name, prefix: displayPrefix(k.prefix), createdAt: iso(k.createdAt), lastUsedAt: isoOrNull(k.lastUsedAt), revokedAt: isoOrNull(k.revokedAt), scope: k.scope, rateLimit: k.rateLimit };
}

// ── performance ────────────────────────────────────────────────────────────────────────────────────

const Quantiles = (what: string) => t.Object({ p50: t.Number(), p99: t.Number(), samples: t.Number({ description: `${what} measured (the most recent ones are kept; 0: none yet, and p50/p99 read 0)` }) });

export const Performance = t.Object({
  linesPerSecond: t.Number({ description: "log lines read per second over the last 60 s" }),
  ingestLagMs: Quantiles("stored log lines"),
  checkLatencyMs: Quantiles("inline checks"),
  modelTimeMs: Quantiles("judged batches"),
  cpuPercent: t.Number({ description: "of the whole machine" }),
  rssBytes: t.Number(),
  heapBytes: t.Number({ description: "JavaScript heap in use" }),
  dbBytes: t.Number({ description: "the SQLite file plus its write-ahead log; on PostgreSQL, the database's size" }),
  uptime: t.Number({ description: "seconds" }),
});

/** A ban decision of the deny list (passive blocking): an address or a /24 or /64 prefix. */
export const Decision = t.Object({
  ip: t.String({ description: "the banned address, or prefix such as 203.0.113.0/24" }),
  reason: t.String({ description: "why: the threats that crossed the threshold, or the operator's words" }),
  source: literalUnion(BAN_SOURCES, { description: "auto: the threat threshold; manual: an operator; hub: the hub this agent reports to" }),
  createdAt: t.String(),
  expiresAt: t.Nullable(t.String({ description: "null: until lifted" })),
  simulated: t.Boolean({ description: "decided under ban.simulate: recorded, never written to the deny file" }),
});
export type DecisionT = Static<typeof Decision>;

export const DecisionCreateBody = t.Object({
  ip: t.String({ minLength: 1, maxLength: 64, description: "an IPv4 or IPv6 unicast address" }),
  duration: t.Optional(t.String({ pattern: "^(0|[1-9][0-9]*[smhd])$", default: "0", description: "90s, 15m, 1h, 7d; 0: until lifted" })),
  reason: t.Optional(t.String({ minLength: 1, maxLength: 200, default: "banned by hand from the console" })),
});

export function toDecision(row: { ip: string; reason: string; source: (typeof BAN_SOURCES)[number]; createdAt: number; expiresAt: number | null; simulated: boolean }): DecisionT {
  return { ip: row.ip, reason: row.reason, source: row.source, createdAt: iso(row.createdAt), expiresAt: isoOrNull(row.expiresAt), simulated: row.simulated };
}

const CampaignCount = t.Object({ value: t.String(), threats: t.Number() });

/** An incident: the alert of a campaign (one attack type from one network) and what its threats add up to. */
export const Incident = t.Object({
  alert: AlertData,
  threats: t.Number({ description: "threats of the campaign so far" }),
  firstSeen: t.Nullable(t.String()),
  lastSeen: t.Nullable(t.String()),
  addresses: t.Array(CampaignCount, { description: "client addresses, the most active first (at most 20)" }),
  endpoints: t.Array(CampaignCount, { description: "endpoints hit, the most hit first (at most 20)" }),
});
export type IncidentT = Static<typeof Incident>;

// ── addresses and the traffic tail (GET /api/attackers, /api/addresses/:ip, /api/requests, /api/data-age) ──

/** A traffic row as the console's tail shows it: the contract's fields and what the contract leaves out. */
export const ConsoleTraffic = t.Composite([
  TrafficData,
  t.Object({
    query: t.String({ description: "the raw query string, without the ?" }),
    latencyMs: t.Nullable(t.Number({ description: "nginx's $request_time in milliseconds; null when the log format lacks it" })),
    host: t.Nullable(t.String({ description: "the Host the request named ($host in the log, or the Host header); null when the source lacks it" })),
  }),
]);
export type ConsoleTrafficT = Static<typeof ConsoleTraffic>;

export function toConsoleTraffic(r: TrafficRow, now: number): ConsoleTrafficT {
  return { ...toTrafficData(r, now), query: r.query, latencyMs: r.requestTime === null ? null : r.requestTime * 1000, host: r.host };
}

export const RequestListQuery = t.Object({
  range: t.Optional(t.String({ description: "1h, 6h, 24h, 7d, 30d, <N>h or <N>d (default 24h)" })),
  limit: t.Optional(WholeNumber({ minimum: 1, maximum: 1000, description: "a whole number of rows from 1 to 1000 (default 200)" })),
  before: t.Optional(WholeNumber({ minimum: 1, description: "a positive whole number: the id of the last row of the previous page (a cursor)" })),
  ...TrafficFilters.properties,
});

const Prefix = t.Nullable(t.String({ description: "the network campaigns rotate within: the address's /24 (IPv4) or /64 (IPv6)" }));

/** Where an address is and who runs its network, from the operator's local databases (geo.country_db, geo.asn_db); null without them. */
const GeoFields = {
  country: t.Nullable(t.String({ description: "ISO 3166-1 alpha-2 code of the address's country (geo.country_db); null when not configured, unknown, or a private address" })),
  asn: t.Nullable(t.Number({ description: "number of the autonomous system the address belongs to (geo.asn_db); null when not configured, unknown, or a private address" })),
  asOrg: t.Nullable(t.String({ description: "the organisation that runs that autonomous system, e.g. Google LLC (geo.asn_db); null when not known" })),
};

export const Attacker = t.Object({
  ip: t.String(),
  prefix: Prefix,
  threats: t.Number({ description: "threats from it in the range" }),
  lastSeen: t.String(),
  types: t.Array(t.String(), { description: "its attack types, the most frequent first" }),
  ...GeoFields,
  ban: t.Nullable(Decision, { description: "the active ban of the address or of its prefix" }),
});
export type AttackerT = Static<typeof Attacker>;

export const AttackerQuery = t.Object({
  range: t.Optional(t.String({ description: "1h, 6h, 24h, 7d, 30d, <N>h or <N>d (default 24h)" })),
  limit: t.Optional(WholeNumber({ minimum: 1, maximum: 100, description: "a whole number of addresses from 1 to 100 (default 10)" })),
  ...AgentFilter.properties,
});

export const AddressProfile = t.Object({
  ip: t.String({ description: "the address, canonical" }),
  prefix: Prefix,
  requests: t.Number({ description: "its requests still in the recent-traffic window" }),
  flagged: t.Number({ description: "of which flagged" }),
  threats: t.Number({ description: "its threats stored" }),
  firstSeen: t.Nullable(t.String()),
  lastSeen: t.Nullable(t.String()),
  ...GeoFields,
  ban: t.Nullable(Decision, { description: "the active ban of the address or of its prefix" }),
});
export type AddressProfileT = Static<typeof AddressProfile>;

export const DataAge = t.Object({ oldest: t.Nullable(t.String({ description: "the start of the oldest stored minute or hour of traffic; null before the first request" })) });

/** An agent that reports to this Moat as its hub (moat serve --hub), as it last described itself. */
export const Agent = t.Object({
  name: t.String({ description: "its API key's name (moat apikey create NAME --scope agent)" }),
  host: t.String({ description: "the host name it reported" }),
  site: t.String({ description: "the site it serves (hub.site), whose site model it takes; \"\": the hub's default site" }),
  reporting: t.Boolean({ description: "heard from within the last minute (it reports every hub.heartbeat_seconds)" }),
  version: t.String({ description: "its Moat version" }),
  logs: t.Array(t.String(), { description: "the access logs it follows" }),
  mirror: t.Boolean({ description: "whether it takes nginx's mirrored copies" }),
  outboxBatches: t.Number({ description: "batches waiting in its outbox at its last report" }),
  outboxRequests: t.Number({ description: "requests waiting in its outbox at its last report" }),
  dropped: t.Number({ description: "requests its full outbox could not keep, ever: they never reached the hub" }),
  lagSeconds: t.Number({ description: "how long its oldest unsent batch had waited at its last report" }),
  firstSeenAt: t.String(),
  lastSeenAt: t.String(),
  lastBatchAt: t.Nullable(t.String({ description: "when its last batch was stored; null: none yet" })),
});
export type AgentT = Static<typeof Agent>;

export function toAgent(row: AgentRow, now: number): AgentT {
  const sources = JSON.parse(row.sources) as { logs?: string[]; mirror?: boolean };
  return {
    name: row.name,
    host: row.host,
    site: row.site,
    reporting: isReporting(row, now),
    version: row.version,
    logs: sources.logs ?? [],
    mirror: sources.mirror ?? false,
    outboxBatches: row.outboxBatches,
    outboxRequests: row.outboxRequests,
    dropped: row.dropped,
    lagSeconds: row.lagSeconds,
    firstSeenAt: iso(row.firstSeenAt),
    lastSeenAt: iso(row.lastSeenAt),
    lastBatchAt: isoOrNull(row.lastBatchAt),
  };
}
