/**
 * What an agent sends its hub, and what the hub answers: one schema (Elysia's `t`) for both sides, so
 * the hub validates every batch against the shape the agent's types are built from.
 *
 * A batch carries the judged requests as the agent stored them. A request that was not flagged goes
 * slim (the hub stores a traffic row of it, never its headers or body); a flagged one goes whole, with
 * its body cut at WIRE_BODY_CHARS, so that one outbox entry always fits in one POST to the hub.
 */
import { t, type Static } from "elysia";
import type { HttpRequest } from "../core/http-request.ts";
import type { Verdict } from "../detect/verdict.ts";
import { BAN_SOURCES, SEVERITIES, VERDICT_DETECTORS } from "../core/enums.ts";
import { jsonInteger, literalUnion } from "../core/schema-types.ts";

/** Where a hub takes its agents' batches (POST batches) and heartbeats (POST heartbeat). */
export const AGENT_ROUTE_PREFIX = "/api/agent/";

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

/** One outbox entry: a judged batch, numbered by the agent. */
export const WireEntry = t.Object({
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
export const WireHeartbeat = t.Object({
  host: Text(255),
  version: Text(64),
  /** The logs it follows, and whether it takes nginx's mirrored copies. */
  sources: t.Object({ logs: t.Array(Text(4096), { maxItems: 1000 }), mirror: t.Boolean() }),
  outbox: t.Object({ batches: Integer(0), requests: Integer(0), dropped: Integer(0), lagSeconds: t.Number({ minimum: 0 }) }),
});
export type WireHeartbeat = Static<typeof WireHeartbeat>;

/** A decision the hub holds, for the agent's deny list. */
const WireBan = t.Object({ ip: Text(64), reason: Text(4096), source: literalUnion(BAN_SOURCES), expiresAt: NullableNumber });
export type WireBan = Static<typeof WireBan>;

/** The hub's answer to a heartbeat: every active ban it enforces, for every agent's deny list. */
export const WireDecisions = t.Object({ bans: t.Array(WireBan) });
export type WireDecisions = Static<typeof WireDecisions>;

const MAX_ITEMS = 1000;
const clip = (text: string, max = WIRE_BODY_CHARS) => (text.length > max ? text.slice(0, max) : text);

/** How a flagged request is cut: `whole` keeps up to the schema's bounds; `reduced` fits any request in an entry. */
const CUTS = {
  whole: { text: WIRE_BODY_CHARS, items: MAX_ITEMS, item: WIRE_BODY_CHARS },
  reduced: { text: 4096, items: 50, item: 1024 },
};

/** A request's own fields within the schema's bounds (`text` for the long ones), slim when not flagged. */
function cutRequest(r: HttpRequest, v: Verdict, cut: (typeof CUTS)[keyof typeof CUTS]): HttpRequest {
  const requestId = r.extra.request_id;
  const slim = { ...r, path: clip(r.path, cut.text), query: clip(r.query, cut.text), userAgent: clip(r.userAgent, cut.text), host: clip(r.host, 1024), clientIp: clip(r.clientIp, 64), method: clip(r.method, 64), protocol: clip(r.protocol, 32) };
  if (!v.isAnomaly) return { ...slim, params: [], headers: [], cookies: [], body: null, referer: "", extra: requestId === undefined ? {} : { request_id: requestId } };
  const body = r.body === null || r.body.length <= WIRE_BODY_CHARS ? r.body : r.body.slice(0, WIRE_BODY_CHARS);
  const item = (text: string) => clip(text, cut.item);
  return {
    ...slim,
    referer: clip(r.referer, cut.text),
    params: r.params.slice(0, cut.items).map((p) => ({ ...p, name: item(p.name), value: item(p.value), rawName: item(p.rawName), rawValue: item(p.rawValue) })),
    headers: r.headers.slice(0, cut.items).map(([name, value]) => [item(name), item(value)]),
    cookies: r.cookies.slice(0, cut.items).map((c) => ({ name: item(c.name), value: item(c.value) })),
    body,
    ...(body !== r.body ? { bodyBytes: r.bodyBytes ?? Buffer.byteLength(r.body!, "latin1") } : {}),
    extra: Object.fromEntries(Object.entries(r.extra).slice(0, cut.items).map(([k, value]) => [clip(k, 64), clip(value, 4096)])),
    origin: { ...r.origin, source: clip(r.origin.source, 4096) },
  };
}

/**
 * A request as it travels, as JSON: slim when not flagged; whole when flagged, within the schema's
 * bounds, or reduced when even that would not fit in an entry (thousands of long headers): the hub
 * must never refuse what an agent stored.
 */
function wireRequest(r: HttpRequest, v: Verdict): string {
  const whole = JSON.stringify(cutRequest(r, v, CUTS.whole));
  return whole.length <= WIRE_ENTRY_CHARS / 2 ? whole : JSON.stringify(cutRequest(r, v, CUTS.reduced));
}

/** A verdict within the schema's bounds, as JSON; its reasons reduced when they would not fit in an entry. */
function wireVerdict(v: Verdict): string {
  const cut = (reasons: number, evidence: number, text: number) =>
    JSON.stringify({
      ...v,
      attackType: v.attackType === null ? null : clip(v.attackType, 64),
      modelVersion: clip(v.modelVersion, 256),
      reasons: v.reasons.slice(0, reasons).map((r) => ({ ...r, field: clip(r.field, text), name: clip(r.name, 256), evidence: clip(r.evidence, evidence), detail: clip(r.detail, text) })),
    });
  const whole = cut(64, WIRE_BODY_CHARS, 4096);
  // At most 16 × 3 KiB reduced: with a reduced request, an entry of one request stays under WIRE_ENTRY_CHARS.
  return whole.length <= WIRE_ENTRY_CHARS / 4 ? whole : cut(16, 1024, 1024);
}

/**
 * A judged batch as outbox entries (without their seq, which the outbox gives), each at most
 * WIRE_ENTRY_CHARS of JSON unless one request alone is larger. Each request is serialized once: the
 * entry's JSON is put together from the pieces.
 */
export function toWireEntries(batch: { requests: HttpRequest[]; verdicts: Verdict[]; blocked?: boolean[]; rejected?: number; now: number }): { requests: number; payload: string }[] {
  const out: { requests: number; payload: string }[] = [];
  let requests: string[] = [];
  let verdicts: string[] = [];
  let blocked: boolean[] = [];
  let rejected = batch.rejected ?? 0;
  let chars = 0;
  const flush = () => {
    if (!requests.length && !rejected) return;
    out.push({ requests: requests.length, payload: `{"now":${batch.now},"rejected":${rejected},"blocked":${JSON.stringify(blocked)},"requests":[${requests.join(",")}],"verdicts":[${verdicts.join(",")}]}` });
    requests = [];
    verdicts = [];
    blocked = [];
    rejected = 0;
    chars = 0;
  };
  batch.requests.forEach((r, i) => {
    const verdict = batch.verdicts[i]!;
    const request = wireRequest(r, verdict);
    const judged = wireVerdict(verdict);
    if (chars && chars + request.length + judged.length > WIRE_ENTRY_CHARS) flush();
    requests.push(request);
    verdicts.push(judged);
    blocked.push(batch.blocked?.[i] ?? false);
    chars += request.length + judged.length;
  });
  flush();
  return out;
}
