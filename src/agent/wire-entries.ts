/**
 * A judged batch as outbox entries that the hub's schema (wire.ts) always takes. A request that was
 * not flagged travels slim (the hub stores a traffic row of it, never its headers or body); a flagged
 * one whole within the schema's bounds, or cut further, step by step, until its JSON fits in an entry
 * (an attacker must not be able to keep their own request from the hub by making it large, or full of
 * characters that JSON escapes six times over).
 */
import type { HttpRequest } from "../core/http-request.ts";
import type { Verdict } from "../detect/verdict.ts";
import { WIRE_BODY_CHARS, WIRE_ENTRY_CHARS } from "../core/agent-wire.ts";

const clip = (text: string, max: number) => (text.length > max ? text.slice(0, max) : text);

interface Cut {
  /** Path, query, Referer, User-Agent. */
  text: number;
  /** Parameters, headers, cookies, extra fields: how many, and each name and value. */
  items: number;
  item: number;
  body: number;
}

/** The cuts of a flagged request, tried in order; the last keeps no list and little text, and always fits. */
const CUTS: Cut[] = [
  { text: WIRE_BODY_CHARS, items: 1000, item: WIRE_BODY_CHARS, body: WIRE_BODY_CHARS },
  { text: 4096, items: 50, item: 1024, body: WIRE_BODY_CHARS },
  { text: 4096, items: 50, item: 1024, body: 4096 },
  { text: 1024, items: 0, item: 0, body: 0 },
];

/** A request cut by `cut`; slim (no lists, no body) when not flagged. */
function cutRequest(r: HttpRequest, flagged: boolean, cut: Cut): HttpRequest {
  const requestId = r.extra.request_id;
  const own = { ...r, path: clip(r.path, cut.text), query: clip(r.query, cut.text), userAgent: clip(r.userAgent, cut.text), host: clip(r.host, 1024), clientIp: clip(r.clientIp, 64), method: clip(r.method, 64), protocol: clip(r.protocol, 32), origin: { ...r.origin, source: clip(r.origin.source, 4096) } };
  const extra: Record<string, string> = requestId === undefined ? {} : { request_id: clip(requestId, 4096) };
  const slim = { ...own, params: [], headers: [], cookies: [], body: null, referer: "", extra };
  if (!flagged) return slim;
  const item = (text: string) => clip(text, cut.item);
  const body = r.body === null || r.body.length <= cut.body ? r.body : r.body.slice(0, cut.body);
  return {
    ...slim,
    referer: clip(r.referer, cut.text),
    params: r.params.slice(0, cut.items).map((p) => ({ ...p, name: item(p.name), value: item(p.value), rawName: item(p.rawName), rawValue: item(p.rawValue) })),
    headers: r.headers.slice(0, cut.items).map(([name, value]) => [item(name), item(value)]),
    cookies: r.cookies.slice(0, cut.items).map((c) => ({ name: item(c.name), value: item(c.value) })),
    body,
    ...(body !== r.body ? { bodyBytes: r.bodyBytes ?? Buffer.byteLength(r.body!, "latin1") } : {}),
    // The request id first, whatever the cut: it joins a mirrored copy to its log line on the hub too.
    extra: { ...Object.fromEntries(Object.entries(r.extra).slice(0, cut.items).map(([k, value]) => [clip(k, 64), clip(value, 4096)])), ...extra },
  };
}

/** A verdict with at most `reasons` reasons, their texts cut at `text` characters. */
function cutVerdict(v: Verdict, reasons: number, text: number): Verdict {
  return {
    ...v,
    attackType: v.attackType === null ? null : clip(v.attackType, 64),
    modelVersion: clip(v.modelVersion, 256),
    reasons: v.reasons.slice(0, reasons).map((r) => ({ ...r, field: clip(r.field, Math.min(text, 4096)), name: clip(r.name, 256), evidence: clip(r.evidence, text), detail: clip(r.detail, Math.min(text, 4096)) })),
  };
}

/** The characters of a value's strings: JSON has at least as many, so a form over the limit is known without writing it. */
function textLength(value: unknown): number {
  if (typeof value === "string") return value.length;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + textLength(v), 0);
  if (value && typeof value === "object") return Object.entries(value).reduce((n, [k, v]) => n + k.length + textLength(v), 0);
  return 0;
}

/**
 * The JSON of the first form that is at most `max` characters (the last form's, whatever its length).
 * A form whose text alone is over `max` is skipped unwritten: a request of 900 parameters of 60 KB
 * would otherwise be serialized whole, a gigabyte, before being found too long.
 */
function firstFitting<T>(max: number, forms: T[]): string {
  for (const form of forms.slice(0, -1)) {
    if (textLength(form) > max) continue;
    const text = JSON.stringify(form);
    if (text.length <= max) return text;
  }
  return JSON.stringify(forms.at(-1));
}

/** A request and its verdict as JSON, together at most WIRE_ENTRY_CHARS. */
function wirePair(r: HttpRequest, v: Verdict): { request: string; verdict: string } {
  return {
    request: firstFitting(WIRE_ENTRY_CHARS / 2, CUTS.map((cut) => cutRequest(r, v.isAnomaly, cut))),
    verdict: firstFitting(WIRE_ENTRY_CHARS / 4, [cutVerdict(v, 64, WIRE_BODY_CHARS), cutVerdict(v, 16, 1024), cutVerdict(v, 1, 256), cutVerdict(v, 0, 0)]),
  };
}

/**
 * A judged batch as outbox entries (without their instance and seq, which the outbox gives), each
 * at most WIRE_ENTRY_CHARS of JSON. Each request is serialized once: the entry is put together from
 * the pieces.
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
    const { request, verdict } = wirePair(r, batch.verdicts[i]!);
    // The envelope and the blocked flags take a few characters per request besides the pieces.
    const size = request.length + verdict.length + 8;
    if (chars && chars + size > WIRE_ENTRY_CHARS - 128) flush();
    requests.push(request);
    verdicts.push(verdict);
    blocked.push(batch.blocked?.[i] ?? false);
    chars += size;
  });
  flush();
  return out;
}
