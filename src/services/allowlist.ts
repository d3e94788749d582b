/**
 * The allowlist: operator-confirmed false positives. A rule covers a flagged request on its endpoint,
 * of its attack type (any when null), whose strongest evidence lies in the rule's field (any field
 * when null) while no other field holds what the generic model flags on its own (a field score at or
 * above its threshold): allowing `query.q` on /search does not let a payload in another parameter
 * through. A covered request is not flagged: its verdict keeps the score and the reasons that would
 * have flagged it, behind one `allowlist` reason that names the rule.
 *
 * Every flagged verdict goes through `apply`, so the rules live in memory, grouped by endpoint: a
 * verdict costs one map lookup, plus a look at the few rules of its endpoint when there are any.
 */
import { and, asc, eq, isNull, sql, type InferSelectModel } from "drizzle-orm";
import type { HttpRequest } from "../core/http-request.ts";
import type { Detector } from "../detect/detector.ts";
import type { Reason, Verdict } from "../detect/verdict.ts";
import { fieldOfLeaf } from "../decompose/leaf.ts";
import type { Store } from "../store/db.ts";
import { allowlist, traffic } from "../store/schema.ts";
import { endpointOf } from "../store/writer.ts";
import type { Activities } from "./activities.ts";
import type { ThreatRow } from "../store/rows.ts";
import type { DurationSamples } from "./metrics.ts";

export type AllowRuleRow = InferSelectModel<typeof allowlist>;

export interface NewAllowRule {
  endpoint: string;
  field: string | null;
  attackType: string | null;
  note: string;
  threatId: number | null;
  createdAt: number;
}

/** What a rule is matched against: a flagged request's endpoint, attack type and reasons (strongest first). */
export interface Finding {
  endpoint: string;
  attackType: string | null;
  reasons: Pick<Reason, "field" | "detector" | "weight">[];
  /** The generic model's threshold: a field scoring this much is an attack on its own. */
  genericThreshold: number;
}

/**
 * Fields compare by the request field their leaves belong to (`fieldOfLeaf`): a rule made for `path`
 * covers the same content read as a route value (`path.segment[2]`), and one made for `query.q` its
 * base64 reading; a rule made from either covers the other.
 */
function covers(rule: AllowRuleRow, f: Finding): boolean {
  if (rule.attackType !== null && rule.attackType !== f.attackType) return false;
  if (rule.field === null) return true;
  const field = fieldOfLeaf(rule.field);
  const [top, ...others] = f.reasons;
  return top !== undefined && fieldOfLeaf(top.field) === field && !others.some((r) => fieldOfLeaf(r.field) !== field && r.detector === "generic" && r.weight >= f.genericThreshold);
}

function allowReason(rule: AllowRuleRow, v: Verdict): Reason {
  const scope = `${rule.attackType ?? "any attack type"} on ${rule.endpoint}${rule.field ? ` in ${rule.field}` : ""}`;
  const from = rule.threatId !== null ? ` (marked from threat ${rule.threatId})` : "";
  return {
    field: rule.field ?? "path",
    name: "allowlisted false positive",
    evidence: v.reasons[0]?.evidence ?? rule.endpoint,
    detector: "allowlist",
    weight: 0,
    detail: `allowlist rule ${rule.id}${from}: ${scope}${rule.note ? ` — ${rule.note}` : ""}; would have been ${v.attackType ?? "flagged"} at score ${v.score.toFixed(4)}`,
  };
}

export class Allowlist {
  private byEndpoint = new Map<string, AllowRuleRow[]>();

  constructor(private readonly store: Store) {
    this.reload();
  }

  /** Every rule, oldest first (`limit`: the newest that many). */
  list(limit?: number): AllowRuleRow[] {
    const rows = this.store.db.select().from(allowlist).orderBy(asc(allowlist.id)).all();
    return limit === undefined ? rows : rows.slice(-limit);
  }

  /** The rule for exactly this endpoint, field and attack type, if there is one. */
  find(endpoint: string, field: string | null, attackType: string | null): AllowRuleRow | undefined {
    return this.byEndpoint.get(endpoint)?.find((r) => r.field === field && r.attackType === attackType);
  }

  get(id: number): AllowRuleRow | undefined {
    return this.store.db.select().from(allowlist).where(eq(allowlist.id, id)).get();
  }

  add(rule: NewAllowRule): AllowRuleRow {
    const row = this.store.db.insert(allowlist).values(rule).returning().get();
    this.reload();
    return row;
  }

  /** The removed rule, or undefined when there was none with that id. */
  remove(id: number): AllowRuleRow | undefined {
    const row = this.store.db.delete(allowlist).where(eq(allowlist.id, id)).returning().get();
    if (row) this.reload();
    return row;
  }

  /** The first rule that covers the finding, if any. */
  covering(f: Finding): AllowRuleRow | undefined {
    return this.byEndpoint.get(f.endpoint)?.find((rule) => covers(rule, f));
  }

  /** The verdicts with every flagged one that a rule covers turned into an allowed one (others untouched). */
  apply(requests: HttpRequest[], verdicts: Verdict[], genericThreshold: number): Verdict[] {
    if (!this.byEndpoint.size) return verdicts;
    return verdicts.map((v, i) => {
      if (!v.isAnomaly) return v;
      const rule = this.covering({ endpoint: endpointOf(requests[i]!), attackType: v.attackType, reasons: v.reasons, genericThreshold });
      if (!rule) return v;
      return { ...v, isAnomaly: false, attackType: null, severity: "none", reasons: [allowReason(rule, v), ...v.reasons] };
    });
  }

  private reload(): void {
    const byEndpoint = new Map<string, AllowRuleRow[]>();
    for (const rule of this.list()) {
      const rules = byEndpoint.get(rule.endpoint);
      if (rules) rules.push(rule);
      else byEndpoint.set(rule.endpoint, [rule]);
    }
    this.byEndpoint = byEndpoint;
  }
}

/** The service's verdict path: the models, then the allowlist; the models' time is measured. */
export function verdictPath(detector: Pick<Detector, "judge" | "generic">, rules: Allowlist, modelTimeMs: DurationSamples): (requests: HttpRequest[]) => Promise<Verdict[]> {
  return async (requests) => {
    const started = performance.now();
    const verdicts = await detector.judge(requests);
    modelTimeMs.add(performance.now() - started);
    return rules.apply(requests, verdicts, detector.generic.meta.threshold);
  };
}

export interface FalsePositiveOptions {
  /** field (default): the threat's top reason's field only; endpoint: any field of its endpoint. */
  scope?: "field" | "endpoint";
  note?: string;
  now: number;
}

/**
 * Marks a stored threat as a false positive: a rule for its endpoint, (top reason's) field and attack
 * type — or the identical rule already there — and its request counted as benign traffic, which is
 * what retraining learns from: its traffic row is relabelled benign, or written again as benign when
 * retention has pruned it. Recorded as an activity.
 */
export function markFalsePositive(rules: Allowlist, store: Store, activities: Activities, threat: ThreatRow, options: FalsePositiveOptions): { rule: AllowRuleRow; created: boolean } {
  const reasons = JSON.parse(threat.reasons) as Reason[];
  const top = reasons[0]?.field;
  const field = options.scope === "endpoint" || top === undefined ? null : fieldOfLeaf(top);
  const existing = rules.find(threat.endpoint, field, threat.attackType);
  const rule = existing ?? rules.add({ endpoint: threat.endpoint, field, attackType: threat.attackType, note: options.note ?? "", threatId: threat.id, createdAt: options.now });
  relabelBenign(store, threat);
  const where = field ? ` in ${field}` : "";
  activities.record({
    type: "settings.changed",
    title: "False positive marked",
    details: `threat ${threat.id} (${threat.attackType}) on ${threat.endpoint}: ${existing ? `already covered by allowlist rule ${rule.id}` : `allowlist rule ${rule.id} added`} for ${threat.attackType}${where}${options.note ? ` — ${options.note}` : ""}`,
    ip: threat.clientIp,
    endpoint: threat.endpoint,
    time: options.now,
  });
  return { rule, created: !existing };
}

/** Removes a rule, so that what it covered is flagged again; recorded as an activity. Undefined when there is no such rule. */
export function removeAllowRule(rules: Allowlist, activities: Activities, id: number, now: number): AllowRuleRow | undefined {
  const rule = rules.remove(id);
  if (rule) activities.record({ type: "settings.changed", title: "Allowlist rule removed", details: `rule ${rule.id}: ${rule.attackType ?? "any attack type"} on ${rule.endpoint}${rule.field ? ` in ${rule.field}` : ""} is flagged again`, endpoint: rule.endpoint, time: now });
  return rule;
}

/** The threat's traffic row, relabelled benign (or, when pruned already, written again as benign). */
function relabelBenign(store: Store, threat: ThreatRow): void {
  const req = JSON.parse(threat.request) as HttpRequest;
  const same = and(eq(traffic.time, threat.time), eq(traffic.clientIp, threat.clientIp), eq(traffic.method, threat.method), eq(traffic.path, req.path), eq(traffic.query, req.query), eq(traffic.source, threat.source));
  const row = store.db.select({ id: traffic.id }).from(traffic).where(and(same, eq(traffic.isAnomaly, true))).orderBy(asc(traffic.id)).limit(1).get();
  if (row) {
    store.db.update(traffic).set({ isAnomaly: false, attackType: null }).where(eq(traffic.id, row.id)).run();
    return;
  }
  const alreadyBenign = store.db.select({ n: sql<number>`count(*)` }).from(traffic).where(and(same, eq(traffic.isAnomaly, false), isNull(traffic.attackType))).get();
  if (alreadyBenign?.n) return;
  store.db
    .insert(traffic)
    .values({ time: threat.time, clientIp: threat.clientIp, method: threat.method, path: req.path, query: req.query, status: req.status, bytesSent: req.bytesSent, requestTime: req.requestTime, userAgent: req.userAgent, score: threat.score, isAnomaly: false, attackType: null, source: threat.source })
    .run();
}
