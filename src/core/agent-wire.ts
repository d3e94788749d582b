/**
 * What an agent sends its hub, and what the hub answers: one schema (Elysia's `t`) for both sides, so
 * the hub validates every batch against the shape the agent's types are built from, and the agent
 * checks every answer against it. In core because both ends read it: the agent (src/agent/), the
 * hub's routes and its service (src/services/agents.ts). How a judged batch becomes entries that fit
 * it: src/agent/wire-entries.ts.
 */
import { t, type Static } from "elysia";
import { BAN_SOURCES, SEVERITIES, VERDICT_DETECTORS, WAF_MODES } from "./enums.ts";
import { jsonInteger, literalUnion } from "./schema-types.ts";

/** Where a hub takes its agents' batches (POST batches) and heartbeats (POST heartbeat). */
export const AGENT_ROUTE_PREFIX = "/api/agent/";

/** A hub route under hub.url, which may carry a path of its own (a hub behind a proxy at https://console/moat). */
export function hubRoute(hubUrl: string, route: string): URL {
  return new URL(route.replace(/^\//, ""), hubUrl.endsWith("/") ? hubUrl : `${hubUrl}/`);
}

/** A flagged request's body travels up to this many characters; the hub stores it as partial beyond. */
export const WIRE_BODY_CHARS = 64 * 1024;
/**
 * An outbox entry holds at most this many characters of JSON (a batch larger than that is split): at
 * most 3 bytes each in UTF-8, so that one entry always fits in a POST.
 */
export const WIRE_ENTRY_CHARS = 256 * 1024;
/** A POST to the hub carries outbox entries up to this many bytes (and at least one). */
export const WIRE_POST_BYTES = 3 * WIRE_ENTRY_CHARS;

const Text = (maxLength: number) => t.String({ maxLength });
const Integer = (minimum?: number) => jsonInteger(minimum === undefined ? {} : { minimum });
const NullableNumber = t.Union([t.Number(), t.Null()]);

const WireRequest = t.Object({
  time: NullableNumber,
  clientIp: Text(64),
  method: Text(64),
  path: Text(WIRE_BODY_CHARS),
  query: Text(WIRE_BODY_CHARS),
  params: t.Array(t.Object({ name: Text(WIRE_BODY_CHARS), value: Text(WIRE_BODY_CHARS), rawName: Text(WIRE_BODY_CHARS), rawValue: Text(WIRE_BODY_CHARS), location: t.Union([t.Literal("query"), t.Literal("body")]) }), { maxItems: 1000 }),
  protocol: Text(32),
  status: NullableNumber,
  bytesSent: NullableNumber,
  referer: Text(WIRE_BODY_CHARS),
  userAgent: Text(WIRE_BODY_CHARS),
  host: Text(1024),
  requestTime: NullableNumber,
  headers: t.Array(t.Tuple([Text(WIRE_BODY_CHARS), Text(WIRE_BODY_CHARS)]), { maxItems: 1000 }),
  cookies: t.Array(t.Object({ name: Text(WIRE_BODY_CHARS), value: Text(WIRE_BODY_CHARS) }), { maxItems: 1000 }),
  body: t.Union([Text(WIRE_BODY_CHARS), t.Null()]),
  bodyBytes: t.Optional(Integer(0)),
  extra: t.Record(t.String({ maxLength: 64 }), t.String({ maxLength: 4096 })),
  origin: t.Object({ source: Text(4096), line: t.Optional(Integer()), offset: t.Optional(Integer()) }),
});

const WireVerdict = t.Object({
  score: t.Number({ minimum: 0, maximum: 1 }),
  isAnomaly: t.Boolean(),
  threshold: t.Number({ minimum: 0, maximum: 1 }),
  attackType: t.Union([Text(64), t.Null()]),
  severity: literalUnion(SEVERITIES),
  reasons: t.Array(t.Object({ field: Text(4096), name: Text(256), evidence: Text(WIRE_BODY_CHARS), detector: literalUnion(VERDICT_DETECTORS), weight: t.Number(), detail: Text(4096) }), { maxItems: 64 }),
  modelVersion: Text(256),
});

/** One outbox entry: a judged batch, numbered by the agent within its run (`instance`). */
export const WireEntry = t.Object({
  instance: t.String({ pattern: "^[A-Za-z0-9_-]{8,64}$", description: "the agent's run that queued it: a random id made at each start" }),
  seq: Integer(1),
  /** When the agent judged it (rows without a time of their own take it). */
  now: t.Number(),
  requests: t.Array(WireRequest, { maxItems: 10_000 }),
  verdicts: t.Array(WireVerdict, { maxItems: 10_000 }),
  blocked: t.Array(t.Boolean(), { maxItems: 10_000 }),
  /** Log lines of the batch that did not parse. */
  rejected: Integer(0),
});
export type WireEntry = Static<typeof WireEntry>;

export const WireBatches = t.Object({ entries: t.Array(WireEntry, { minItems: 1, maxItems: 1000 }) });

export const WireBatchesStored = t.Object({
  /** Entries stored now, and entries the hub had stored already (sent again after a lost answer). */
  stored: Integer(),
  duplicates: Integer(),
});

/** What an agent says of itself on every heartbeat. */
/** A site's name (hub.site): a plain token; "" is the hub's default site. */
export const SITE_NAME_PATTERN = "^[A-Za-z0-9._-]{0,64}$";

export const WireHeartbeat = t.Object({
  host: Text(255),
  version: Text(64),
  /** The site it serves (hub.site): the hub trains a site model per site from its agents' traffic. Absent: the default site (an agent older than sites). */
  site: t.Optional(t.String({ pattern: SITE_NAME_PATTERN })),
  /** The logs it follows, and whether it takes nginx's mirrored copies. */
  sources: t.Object({ logs: t.Array(Text(4096), { maxItems: 1000 }), mirror: t.Boolean() }),
  outbox: t.Object({ batches: Integer(0), requests: Integer(0), dropped: Integer(0), lagSeconds: t.Number({ minimum: 0 }) }),
});
export type WireHeartbeat = Static<typeof WireHeartbeat>;

/** A ban's reason travels up to this many characters (a hub cuts longer ones, given by hand). */
export const WIRE_REASON_CHARS = 4096;

/** A decision the hub holds, for the agent's deny list. */
const WireBan = t.Object({ ip: Text(64), reason: Text(WIRE_REASON_CHARS), source: literalUnion(BAN_SOURCES), expiresAt: NullableNumber });
export type WireBan = Static<typeof WireBan>;

/**
 * The hub's answer to a heartbeat: every active ban it enforces (for every agent's deny list), its
 * detection settings, and the version of its live site model (GET SITE_MODEL_ROUTE serves it).
 */
export const WireHubState = t.Object({
  bans: t.Array(WireBan),
  settings: t.Object({ mode: literalUnion(WAF_MODES), threshold: t.Number({ minimum: 0, maximum: 1, description: "0: each model's calibrated threshold" }) }),
  siteModel: t.Nullable(t.Object({ version: Text(256) })),
});
export type WireHubState = Static<typeof WireHubState>;

/** The hub's live site model file (agent keys only): its version in SITE_MODEL_VERSION_HEADER. */
export const SITE_MODEL_ROUTE = `${AGENT_ROUTE_PREFIX}site-model`;
export const SITE_MODEL_VERSION_HEADER = "x-moat-model-version";
