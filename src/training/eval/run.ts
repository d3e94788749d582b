/**
 * `moat eval`: judges labelled requests and reports TPR, FPR, precision, F1 and ROC-AUC overall and per
 * group, plus the TPR at FPR 0.1% and 1%, as JSON and Markdown.
 */
import type { HttpRequest } from "../../core/http-request.ts";
import type { Detector } from "../../detect/detector.ts";
import type { Verdict } from "../../detect/verdict.ts";
import { metricsAt, rocAuc, tprAtFpr, type Metrics, type Scored } from "./metrics.ts";

export interface LabelledRequest {
  request: HttpRequest;
  positive: boolean;
  /** For per-group rows: the attack class, placement or source file. */
  groups: string[];
}

export interface EvalRow extends Metrics {
  group: string;
  n: number;
  auc: number;
  tprAtFpr001: number;
  tprAtFpr01: number;
}

export interface EvalReport {
  modelVersion: string;
  threshold: number;
  description: string;
  overall: EvalRow;
  groups: EvalRow[];
}

const BATCH = 2048;

function row(group: string, items: Scored[], threshold: number): EvalRow {
  return { group, n: items.length, ...metricsAt(items, threshold), auc: rocAuc(items), tprAtFpr001: tprAtFpr(items, 0.001).tpr, tprAtFpr01: tprAtFpr(items, 0.01).tpr };
}

export type Progress = (done: number, total: number) => void;

/** Verdicts for many requests, judged in batches with progress after each. */
export async function judgeAll(detector: Detector, requests: HttpRequest[], progress?: Progress): Promise<Verdict[]> {
  const out: Verdict[] = [];
  for (let i = 0; i < requests.length; i += BATCH) {
    out.push(...(await detector.judge(requests.slice(i, i + BATCH))));
    progress?.(Math.min(i + BATCH, requests.length), requests.length);
  }
  return out;
}

export async function evaluate(detector: Detector, labelled: LabelledRequest[], description: string, progress?: Progress): Promise<EvalReport> {
  const scores = (await judgeAll(detector, labelled.map((l) => l.request), progress)).map((v) => v.score);
  const items: Scored[] = labelled.map((l, i) => ({ score: scores[i]!, positive: l.positive }));
  const negatives = items.filter((s) => !s.positive);
  const threshold = detector.threshold;
  // Each group's positives are measured against all negatives, so its FPR columns are the overall ones.
  const groupNames = [...new Set(labelled.flatMap((l) => (l.positive ? l.groups : [])))].sort();
  const groups = groupNames.map((g) => row(g, [...items.filter((_, i) => labelled[i]!.positive && labelled[i]!.groups.includes(g)), ...negatives], threshold));
  return { modelVersion: detector.modelVersion, threshold, description, overall: row("overall", items, threshold), groups };
}

export function renderMarkdown(r: EvalReport): string {
  const pct = (x: number) => (Number.isNaN(x) ? "n/a" : `${(x * 100).toFixed(2)}%`);
  const line = (e: EvalRow) => `| ${e.group} | ${e.n} | ${pct(e.tpr)} | ${pct(e.fpr)} | ${pct(e.precision)} | ${e.f1.toFixed(4)} | ${Number.isNaN(e.auc) ? "n/a" : e.auc.toFixed(4)} | ${pct(e.tprAtFpr001)} | ${pct(e.tprAtFpr01)} |`;
  return [
    `## ${r.description}`,
    "",
    `Model ${r.modelVersion}, threshold ${r.threshold.toFixed(6)}. Rows per group count that group's attacks against all benign requests.`,
    "",
    "| group | n | TPR | FPR | precision | F1 | ROC-AUC | TPR@FPR0.1% | TPR@FPR1% |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    line(r.overall),
    ...r.groups.map(line),
    "",
  ].join("\n");
}
