/**
 * `moat eval --blazehttp`: the false-positive rate on real benign traffic of many sites, split by site.
 * It shows which field and class the false alarms come from (location and class, not values); the
 * false positives themselves are listed for the dev sites only: the test sites are for measuring.
 */
import type { BlazeCorpus } from "../corpus/blazehttp.ts";
import { inSplit, type EvalSplit } from "../corpus/split.ts";
import type { Detector } from "../../detect/detector.ts";
import { judgeAll, type Progress } from "./run.ts";
import { markdownTable, pct } from "./table.ts";

export interface FalsePositive {
  site: string;
  method: string;
  path: string;
  score: number;
  attackType: string | null;
  field: string;
  evidence: string;
}

export interface BlazeReport {
  split: EvalSplit;
  modelVersion: string;
  threshold: number;
  n: number;
  flagged: number;
  sites: number;
  sitesFlagged: number;
  malformed: number;
  /** What the first reason of each false alarm names: `<field> <class>`, most frequent first. */
  top: { field: string; cls: string; count: number }[];
  falsePositives: FalsePositive[];
}

/** `header.referer`, `body.items[3].id` → `body.items[].id`; names that are values themselves (long, numeric) are cut to their location. */
function fieldShape(field: string): string {
  const dot = field.indexOf(".");
  if (dot === -1) return field;
  const name = field.slice(dot + 1).replace(/\[\d+\]/g, "[]");
  return name.length > 60 || /^\d+$/.test(name) ? `${field.slice(0, dot)}.<name>` : `${field.slice(0, dot)}.${name}`;
}

export async function evaluateBlazeHttp(detector: Detector, corpus: BlazeCorpus, split: EvalSplit, progress?: Progress): Promise<BlazeReport> {
  const requests = corpus.requests.filter((r) => inSplit(r.split, split));
  const verdicts = await judgeAll(detector, requests.map((r) => r.request), progress);
  const falsePositives: FalsePositive[] = [];
  const top = new Map<string, { field: string; cls: string; count: number }>();
  verdicts.forEach((v, i) => {
    if (!v.isAnomaly) return;
    const { site, request } = requests[i]!;
    const reason = v.reasons[0];
    const field = reason ? fieldShape(reason.field) : "?";
    const cls = v.attackType ?? "?";
    const key = `${field}\0${cls}`;
    const entry = top.get(key) ?? { field, cls, count: 0 };
    entry.count++;
    top.set(key, entry);
    falsePositives.push({ site, method: request.method, path: request.path, score: v.score, attackType: v.attackType, field: reason?.field ?? "?", evidence: reason?.evidence ?? "" });
  });
  return {
    split,
    modelVersion: detector.modelVersion,
    threshold: detector.threshold,
    n: requests.length,
    flagged: falsePositives.length,
    sites: new Set(requests.map((r) => r.site)).size,
    sitesFlagged: new Set(falsePositives.map((f) => f.site)).size,
    malformed: corpus.malformed.filter((m) => m.split === null || inSplit(m.split, split)).length,
    top: [...top.values()].sort((a, b) => b.count - a.count),
    falsePositives,
  };
}

export function renderBlazeHttp(r: BlazeReport, topRows = 15): string {
  return [
    `## blazehttp benign traffic, split: ${r.split}`,
    "",
    `Model ${r.modelVersion}, threshold ${r.threshold.toFixed(6)}. Split by site: dev = splitPoint("site:" + site) >= 0.5, test = the other sites.`,
    "",
    markdownTable(["requests", "sites", "flagged", "FPR", "sites with a false positive", "malformed (not judged)"], [[r.n, r.sites, r.flagged, pct(r.flagged, r.n, 3), r.sitesFlagged, r.malformed]]),
    "",
    // Where the false alarms come from is material for tuning: shown for the dev sites only.
    ...(r.split === "dev"
      ? ["### What the false positives are flagged on (first reason: field, class)", "", r.top.length ? markdownTable(["field", "class", "requests", "share of FPs"], r.top.slice(0, topRows).map((t) => [t.field, t.cls, t.count, pct(t.count, r.flagged, 1)])) : "none"]
      : ["The breakdown of the false positives by field and class is shown for --split dev only: the test sites are for measuring, not for tuning."]),
    "",
  ].join("\n");
}

/** The dev side's false positives, one line each (the operator's own data: shown in full, but never the test side's). */
export function renderFalsePositives(fps: FalsePositive[], limit: number): string {
  return [
    `### False positives (dev sites), ${Math.min(limit, fps.length)} of ${fps.length}, highest score first`,
    "",
    markdownTable(["site", "request", "score", "class", "field", "evidence"], [...fps].sort((a, b) => b.score - a.score).slice(0, limit).map((f) => [f.site, `${f.method} ${f.path}`, f.score.toFixed(4), f.attackType ?? "?", f.field, f.evidence])),
    "",
  ].join("\n");
}
