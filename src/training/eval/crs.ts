/**
 * `moat eval --crs-tests`: the CRS regression tests judged by Moat. Detection per CRS family (the
 * application-attack families 930–944 apart from the protocol ones), the false-positive rate on the
 * tests that must not fire, and detection per placement (where in the request the test put it).
 */
import { CRS_FAMILIES, isAttackFamily, PLACEMENTS, type CrsCorpus } from "../corpus/crs.ts";
import { inSplit, type EvalSplit } from "../corpus/split.ts";
import type { Detector } from "../../detect/detector.ts";
import { judgeAll, type Progress } from "./run.ts";
import { markdownTable, pct } from "./table.ts";

export interface CountRow {
  group: string;
  /** Requests judged (malformed ones not included). */
  n: number;
  flagged: number;
  /** Requests Moat's parser rejected: never judged, shown so that nothing disappears. */
  malformed: number;
}

export interface CrsReport {
  split: EvalSplit;
  modelVersion: string;
  threshold: number;
  /** Attack tests per family: flagged = detected. */
  families: CountRow[];
  /** No-expect (false-positive) tests: flagged = false positives. */
  negatives: CountRow;
  /** Attack tests of the 930–944 families per placement; and the no-expect tests per placement. */
  placements: CountRow[];
  negativePlacements: CountRow[];
  unlabelled: number;
  skippedFiles: number;
  /** A few of the parser's rejections, for the reader. */
  malformedSamples: { id: string; reason: string }[];
}

function tally(group: string, flags: boolean[], malformed: number): CountRow {
  return { group, n: flags.length, flagged: flags.filter(Boolean).length, malformed };
}

export async function evaluateCrs(detector: Detector, corpus: CrsCorpus, split: EvalSplit, progress?: Progress): Promise<CrsReport> {
  const cases = corpus.cases.filter((c) => inSplit(c.split, split));
  const malformed = corpus.malformed.filter((m) => inSplit(m.split, split));
  const verdicts = await judgeAll(detector, cases.map((c) => c.request), progress);
  const judged = cases.map((c, i) => ({ ...c, flagged: verdicts[i]!.isAnomaly }));
  const positives = judged.filter((c) => c.positive);
  const negatives = judged.filter((c) => !c.positive);
  const families = [...new Set([...positives.map((c) => c.family), ...malformed.filter((m) => m.positive).map((m) => m.family)])].sort();
  const attacks = positives.filter((c) => isAttackFamily(c.family));
  return {
    split,
    modelVersion: detector.modelVersion,
    threshold: detector.threshold,
    families: families.map((f) => tally(f, positives.filter((c) => c.family === f).map((c) => c.flagged), malformed.filter((m) => m.positive && m.family === f).length)),
    negatives: tally("no-expect tests", negatives.map((c) => c.flagged), malformed.filter((m) => !m.positive).length),
    placements: PLACEMENTS.map((p) => tally(p, attacks.filter((c) => c.placement === p).map((c) => c.flagged), 0)).filter((r) => r.n),
    negativePlacements: PLACEMENTS.map((p) => tally(p, negatives.filter((c) => c.placement === p).map((c) => c.flagged), 0)).filter((r) => r.n),
    unlabelled: corpus.unlabelled,
    skippedFiles: corpus.skippedFiles.length,
    malformedSamples: malformed.slice(0, 5).map((m) => ({ id: m.id, reason: m.reason })),
  };
}

const familyRow = (r: CountRow) => [`${r.group} ${CRS_FAMILIES[r.group] ?? ""}`.trim(), r.n, r.flagged, pct(r.flagged, r.n), r.malformed];

export function renderCrs(r: CrsReport): string {
  const attack = r.families.filter((f) => isAttackFamily(f.group));
  const other = r.families.filter((f) => !isAttackFamily(f.group));
  const sum = (rows: CountRow[]) => rows.reduce((a, x) => ({ group: "all", n: a.n + x.n, flagged: a.flagged + x.flagged, malformed: a.malformed + x.malformed }), { group: "all", n: 0, flagged: 0, malformed: 0 });
  const head = ["family", "n", "detected", "TPR", "malformed (not judged)"];
  return [
    `## OWASP CRS regression tests, split: ${r.split}`,
    "",
    `Model ${r.modelVersion}, threshold ${r.threshold.toFixed(6)}. Split by test content: dev = splitPoint(JSON.stringify([method, uri, headers, data])) >= 0.5, test = the rest.`,
    "",
    "### Application-attack families (930–944)",
    "",
    markdownTable(head, [...attack.map(familyRow), familyRow(sum(attack))]),
    "",
    "### Protocol/other families",
    "",
    markdownTable(head, other.map(familyRow)),
    "",
    "### False positives on the no-expect tests",
    "",
    markdownTable(["set", "n", "flagged", "FPR", "malformed (not judged)"], [[r.negatives.group, r.negatives.n, r.negatives.flagged, pct(r.negatives.flagged, r.negatives.n), r.negatives.malformed]]),
    "",
    "### Per placement (attack tests of 930–944; no-expect tests of all families)",
    "",
    markdownTable(
      ["placement", "attacks", "detected", "TPR", "no-expect", "flagged", "FPR"],
      [...new Set([...r.placements, ...r.negativePlacements].map((x) => x.group))].map((p) => {
        const a = r.placements.find((x) => x.group === p) ?? { n: 0, flagged: 0 };
        const b = r.negativePlacements.find((x) => x.group === p) ?? { n: 0, flagged: 0 };
        return [p, a.n, a.flagged, pct(a.flagged, a.n), b.n, b.flagged, pct(b.flagged, b.n)];
      }),
    ),
    "",
    `Not labelled (status or log-regex checks, or ids of another family only): ${r.unlabelled} tests; files without tests: ${r.skippedFiles}.`,
    ...r.malformedSamples.map((m) => `- malformed ${m.id}: ${m.reason}`),
    "",
  ].join("\n");
}
