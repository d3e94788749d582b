/**
 * The stored shapes: the drizzle schema is their one source of truth (migrations are generated from
 * it with `bun run db:generate`). Times are epoch milliseconds.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { ALERT_SEVERITIES, ALERT_STATUSES, ALERT_TYPES, API_KEY_SCOPES, BAN_SOURCES, CHECK_STATUSES, MODEL_KINDS, SEVERITIES } from "../core/enums.ts";

/** Recent traffic: a bounded window of every judged request (benign rows are pruned first). */
export const traffic = sqliteTable(
  "traffic",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    time: integer("time").notNull(),
    clientIp: text("client_ip").notNull(),
    method: text("method").notNull(),
    path: text("path").notNull(),
    query: text("query").notNull(),
    status: integer("status"),
    bytesSent: integer("bytes_sent"),
    requestTime: real("request_time"),
    userAgent: text("user_agent").notNull(),
    score: real("score").notNull(),
    isAnomaly: integer("is_anomaly", { mode: "boolean" }).notNull(),
    attackType: text("attack_type"),
    /** Refused under the live mode and block policy when it was judged (see src/pipeline/decide.ts). */
    blocked: integer("blocked", { mode: "boolean" }).notNull().default(false),
    source: text("source").notNull(),
    /**
     * nginx's `$request_id`, when the source carries it: the mirrored copy of a request and its
     * access-log line share it, and are stored as this one row (src/pipeline/join.ts).
     */
    requestId: text("request_id"),
    /** Why only part of the request was judged (a mirrored body over the limit), or null. */
    partial: text("partial"),
    /** The Host the request named (the vhost), when the source has it. */
    host: text("host"),
    /** On a hub: the agent that judged it (its key's name); null: this Moat's own sources. */
    agent: text("agent"),
  },
  (t) => [index("traffic_time").on(t.time), index("traffic_anomaly_time").on(t.isAnomaly, t.time), index("traffic_ip_time").on(t.clientIp, t.time), uniqueIndex("traffic_request_id").on(t.requestId)],
);

/** Every flagged request in full, with its verdict and evidence. */
export const threats = sqliteTable(
  "threats",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    time: integer("time").notNull(),
    clientIp: text("client_ip").notNull(),
    method: text("method").notNull(),
    endpoint: text("endpoint").notNull(),
    attackType: text("attack_type").notNull(),
    severity: text("severity", { enum: SEVERITIES }).notNull(),
    score: real("score").notNull(),
    threshold: real("threshold").notNull(),
    blocked: integer("blocked", { mode: "boolean" }).notNull().default(false),
    /** Verdict reasons, JSON. */
    reasons: text("reasons").notNull(),
    /** The HttpRequest, JSON. */
    request: text("request").notNull(),
    modelVersion: text("model_version").notNull(),
    source: text("source").notNull(),
    /** The traffic row's `request_id`: the two halves of a mirrored request make one threat. */
    requestId: text("request_id"),
    /** The incident (an alerts row) this threat belongs to: its campaign's alert, when it raised one. */
    incidentId: integer("incident_id"),
    /** When its incident was acknowledged (acknowledging an incident acknowledges its threats), or null. */
    acknowledgedAt: integer("acknowledged_at"),
    /** On a hub: the agent that judged it; null: this Moat's own sources. */
    agent: text("agent"),
  },
  (t) => [uniqueIndex("threats_request_id").on(t.requestId), index("threats_incident").on(t.incidentId), index("threats_time").on(t.time), index("threats_ip_time").on(t.clientIp, t.time), index("threats_type_time").on(t.attackType, t.time)],
);

export const alerts = sqliteTable(
  "alerts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    type: text("type", { enum: ALERT_TYPES }).notNull(),
    severity: text("severity", { enum: ALERT_SEVERITIES }).notNull(),
    title: text("title").notNull(),
    description: text("description").notNull(),
    source: text("source").notNull(),
    /** Alerts with the same key are one alert with a count. */
    groupKey: text("group_key").notNull(),
    count: integer("count").notNull().default(1),
    status: text("status", { enum: ALERT_STATUSES }).notNull().default("active"),
    firstSeen: integer("first_seen").notNull(),
    lastSeen: integer("last_seen").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("alerts_status_last").on(t.status, t.lastSeen), index("alerts_group").on(t.groupKey, t.status)],
);

export const activities = sqliteTable(
  "activities",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    time: integer("time").notNull(),
    type: text("type").notNull(),
    title: text("title").notNull(),
    details: text("details").notNull(),
    ip: text("ip"),
    endpoint: text("endpoint"),
  },
  (t) => [index("activities_time").on(t.time)],
);

/** Per-minute and per-hour totals: what remains of benign traffic once its rows are pruned. */
export const metricRollups = sqliteTable(
  "metric_rollups",
  {
    resolution: text("resolution", { enum: ["minute", "hour"] }).notNull(),
    bucket: integer("bucket").notNull(),
    /**
     * On a hub: the agent whose traffic it counts ("" for this Moat's own sources; a key column cannot
     * be null), so that every figure can be read per agent; a total is the sum over agents.
     */
    agent: text("agent").notNull().default(""),
    requests: integer("requests").notNull().default(0),
    flagged: integer("flagged").notNull().default(0),
    blocked: integer("blocked").notNull().default(0),
    errors5xx: integer("errors_5xx").notNull().default(0),
    responseTimeSum: real("response_time_sum").notNull().default(0),
    responseTimeCount: integer("response_time_count").notNull().default(0),
    /** Flagged requests per attack type, JSON object. */
    byType: text("by_type").notNull().default("{}"),
  },
  (t) => [primaryKey({ columns: [t.resolution, t.bucket, t.agent] })],
);

export const securityChecks = sqliteTable("security_checks", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  key: text("key").notNull().unique(),
  name: text("name").notNull(),
  status: text("status", { enum: CHECK_STATUSES }).notNull(),
  message: text("message").notNull(),
  details: text("details"),
  lastChecked: integer("last_checked").notNull(),
});

export const modelVersions = sqliteTable("model_versions", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  version: text("version").notNull().unique(),
  kind: text("kind", { enum: MODEL_KINDS }).notNull(),
  path: text("path").notNull(),
  active: integer("active", { mode: "boolean" }).notNull().default(false),
  /** Calibration and gate figures, JSON. */
  metrics: text("metrics").notNull().default("{}"),
  createdAt: integer("created_at").notNull(),
});

/** Where each tailed log stands (see src/ingest/tail.ts), written in the same transaction as its rows. */
export const tailCheckpoints = sqliteTable("tail_checkpoints", {
  path: text("path").primaryKey(),
  checkpoint: text("checkpoint").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: integer("updated_at").notNull().default(sql`(unixepoch() * 1000)`),
});

/** Totals that outlive pruning (e.g. requests ever ingested). */
export const counters = sqliteTable("counters", {
  key: text("key").primaryKey(),
  value: integer("value").notNull().default(0),
});

/** API keys: only a hash of the secret is stored; the key is shown once, at creation. */
export const apiKeys = sqliteTable("api_keys", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
  /** The key's public prefix, to tell keys apart in listings and logs. */
  prefix: text("prefix").notNull().unique(),
  /** SHA-256 of the whole key (keys are long random strings, so a fast hash is enough). */
  hash: text("hash").notNull().unique(),
  createdAt: integer("created_at").notNull(),
  lastUsedAt: integer("last_used_at"),
  revokedAt: integer("revoked_at"),
  /** Keys made before scopes existed could do everything: the default keeps them working. */
  scope: text("scope", { enum: API_KEY_SCOPES }).notNull().default("admin"),
  /** Inline checks per second allowed to this key; null: server.check_rate_limit; 0: no limit. */
  rateLimit: integer("rate_limit"),
});

/** Dashboard sessions (HttpOnly cookie): only a hash of the session token is stored. */
export const sessions = sqliteTable(
  "sessions",
  {
    hash: text("hash").primaryKey(),
    keyId: integer("key_id").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("sessions_expires").on(t.expiresAt)],
);

/**
 * Addresses and prefixes denied in nginx's include file (passive blocking): banned automatically when
 * a source (or its /24 or /64) crosses the threat threshold, or by hand (`moat decisions add`). One row
 * an address or prefix (`ip` holds its canonical text); an expired ban is deleted by the sweep that
 * rewrites the file.
 */
export const bans = sqliteTable(
  "bans",
  {
    ip: text("ip").primaryKey(),
    reason: text("reason").notNull(),
    source: text("source", { enum: BAN_SOURCES }).notNull(),
    createdAt: integer("created_at").notNull(),
    /** Null: until removed by hand. */
    expiresAt: integer("expires_at"),
    /** Decided under ban.simulate: recorded, never written to the deny file. */
    simulated: integer("simulated", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [index("bans_expires").on(t.expiresAt)],
);

/**
 * Operator-confirmed false positives: a request on `endpoint` whose flagged evidence lies only in
 * `field` (null: any field) and is of `attackType` (null: any type) is not flagged again.
 */
export const allowlist = sqliteTable("allowlist", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  endpoint: text("endpoint").notNull(),
  field: text("field"),
  attackType: text("attack_type"),
  note: text("note").notNull().default(""),
  /** The threat that was marked as a false positive, when the rule came from one. */
  threatId: integer("threat_id"),
  createdAt: integer("created_at").notNull(),
});

/**
 * An agent's outbox (src/agent/): each judged batch, written in the transaction that stores it
 * locally, waits here until the hub has acknowledged it. `seq` orders the batches; `instance` names
 * the agent's run that queued it (a random id made at each start), so that the hub, which keeps the
 * last seq it stored per (agent, instance), stores each batch once even when the agent's database is
 * restored from a backup and its seq starts again lower.
 */
export const outbox = sqliteTable("outbox", {
  seq: integer("seq").primaryKey({ autoIncrement: true }),
  instance: text("instance").notNull(),
  /** Requests in the batch (what the outbox's limit counts). */
  requests: integer("requests").notNull(),
  /** The batch as the wire carries it (src/core/agent-wire.ts), JSON. */
  payload: text("payload").notNull(),
  /** The payload's length: what a POST's size is reckoned from without reading the payloads. */
  chars: integer("chars").notNull(),
  createdAt: integer("created_at").notNull(),
});

/**
 * On a hub: the last batch stored from each run of each agent. An agent sends its batches in seq
 * order and removes one only once stored, so a batch at or below this seq was stored before.
 */
export const agentCursors = sqliteTable(
  "agent_cursors",
  {
    agent: text("agent").notNull(),
    instance: text("instance").notNull(),
    seq: integer("seq").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.agent, t.instance] }), index("agent_cursors_updated").on(t.updatedAt)],
);

/** On a hub: the agents that reported, as each last described itself. */
export const agents = sqliteTable("agents", {
  /** The name of the agent's key (moat apikey create NAME --scope agent). */
  name: text("name").primaryKey(),
  host: text("host").notNull(),
  version: text("version").notNull(),
  /** The site it serves (hub.site): its site model is that site's; "" the hub's default site. */
  site: text("site").notNull().default(""),
  /** The logs it follows and whether it takes mirrored copies, JSON. */
  sources: text("sources").notNull(),
  /** Batches and requests waiting in its outbox, and requests it could not keep there, at its last report. */
  outboxBatches: integer("outbox_batches").notNull(),
  outboxRequests: integer("outbox_requests").notNull(),
  dropped: integer("dropped").notNull(),
  /** Seconds its oldest unsent batch had waited at its last report. */
  lagSeconds: real("lag_seconds").notNull(),
  firstSeenAt: integer("first_seen_at").notNull(),
  lastSeenAt: integer("last_seen_at").notNull(),
  /** When its last batch was stored, or null. */
  lastBatchAt: integer("last_batch_at"),
});
