/**
 * `moat eval --datasets DIR`: every figure the detection is held to that the shared datasets can show,
 * each on its honest split, one row per figure with its set, split, n, value and target:
 * CRS families 930–944 and the CRS no-expect tests, blazehttp's benign traffic (split by site), the
 * legit-queries split, CSIC 2010's test files, and the payload lists' split injected into CSIC requests.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { HttpRequest } from "../../core/http-request.ts";
import { isParseError } from "../../core/http-request.ts";
import { readRequests } from "../../ingest/read.ts";
import { rawHttpParser } from "../../parse/raw-http.ts";
import { Rejections } from "../../parse/rejections.ts";
import { PAYLOAD_TEST_SHARE, splitPayloads } from "../corpus/attacks.ts";
import { BLAZEHTTP_DIR, BLAZEHTTP_REQUESTS, loadBlazeHttp } from "../corpus/blazehttp.ts";
import { CRS_FAMILIES, isAttackFamily, loadCrsTests } from "../corpus/crs.ts";
import { LEGIT_QUERIES_FILE, legitQueries } from "../corpus/datasets.ts";
import type { DevTest } from "../corpus/split.ts";
import type { Detector } from "../../detect/detector.ts";
import { evaluateBlazeHttp } from "./blazehttp.ts";
import { evaluateCrs } from "./crs.ts";
import { injectPayloads } from "./inject.ts";
import { judgeAll, type Progress } from "./run.ts";
import { markdownTable, pct } from "./table.ts";

export interface ScoreRow {
  figure: string;
  set: string;
  split: string;
  n: number;
  /** Flagged share: TPR on attack sets, FPR on benign ones. */
  value: number;
  target: { atLeast?: number; atMost?: number };
  /** Why a set was left out or what a row rests on. */
  note?: string;
}

export interface ScorecardOptions {
  datasets: string;
  split: DevTest;
  /** The detector for the CSIC rows (a site model trained on CSIC's training file); the generic model when absent. */
  csicDetector?: Detector;
  progress?: (stage: string) => Progress;
  /** Sets that could not be read: named, never silently skipped. */
  missing?: (set: string, why: string) => void;
}

const BROWSER_HEADERS = "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\nAccept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5";

/** A legitimate query string as the browser GET it came in (the sites' paths are unknown: `/` stands for them). */
function legitRequest(query: string, i: number): HttpRequest | null {
  const parsed = rawHttpParser.parse(`GET /?${query} HTTP/1.1\r\nHost: www.example.com\r\n${BROWSER_HEADERS}\r\n\r\n`, { source: LEGIT_QUERIES_FILE, line: i + 1 });
  return isParseError(parsed) ? null : parsed;
}

/** CSIC's test files carry an `Accept-Charset` artifact on every request: dropped, as every CSIC figure here does. */
async function readCsic(path: string): Promise<HttpRequest[]> {
  const out: HttpRequest[] = [];
  for await (const batch of readRequests([path], { format: "auto" }, new Rejections())) out.push(...batch);
  return out.map((r) => ({ ...r, headers: r.headers.filter(([h]) => h !== "accept-charset") }));
}

const flaggedShare = (flags: boolean[]) => (flags.length ? flags.filter(Boolean).length / flags.length : NaN);

export async function scorecard(detector: Detector, o: ScorecardOptions): Promise<ScoreRow[]> {
  const rows: ScoreRow[] = [];
  const d = o.datasets;
  const missing = (set: string, why: string) => o.missing?.(set, why);

  const crsDir = join(d, "crs-regression");
  if (existsSync(crsDir)) {
    const report = await evaluateCrs(detector, loadCrsTests(crsDir), o.split, o.progress?.("CRS tests"));
    for (const f of report.families.filter((x) => isAttackFamily(x.group))) {
      rows.push({ figure: `CRS ${f.group} ${CRS_FAMILIES[f.group]}`, set: "crs-regression", split: o.split, n: f.n, value: f.flagged / f.n, target: { atLeast: 0.95 }, note: f.malformed ? `${f.malformed} malformed, not judged` : undefined });
    }
    const neg = report.negatives;
    rows.push({ figure: "CRS no-expect tests (FPR)", set: "crs-regression", split: o.split, n: neg.n, value: neg.flagged / neg.n, target: { atMost: 0.001 } });
  } else missing("crs-regression", `${crsDir} not found`);

  const blazeFile = join(d, BLAZEHTTP_DIR, BLAZEHTTP_REQUESTS);
  if (existsSync(blazeFile)) {
    const r = await evaluateBlazeHttp(detector, loadBlazeHttp(blazeFile), o.split, o.progress?.("blazehttp"));
    rows.push({ figure: "blazehttp benign (FPR per request)", set: "blazehttp-benign", split: `${o.split} sites (by site)`, n: r.n, value: r.flagged / r.n, target: { atMost: 0.0007 }, note: `${r.sites} sites` });
  } else missing("blazehttp-benign", `${blazeFile} not found`);

  const legitSide = o.split === "test" ? "test" : "train";
  const queries = legitQueries(d, legitSide);
  if (queries.length) {
    const requests = queries.map(legitRequest).filter((r): r is HttpRequest => r !== null);
    const v = await judgeAll(detector, requests, o.progress?.("legit-queries"));
    rows.push({ figure: "legit-queries (FPR per query)", set: "legit-queries", split: legitSide, n: v.length, value: flaggedShare(v.map((x) => x.isAnomaly)), target: { atMost: 0.001 }, note: requests.length < queries.length ? `${queries.length - requests.length} queries not parsable as a request` : undefined });
  } else missing("legit-queries", `${join(d, LEGIT_QUERIES_FILE)} not found`);

  const csicBenign = join(d, "csic2010", "normalTrafficTest.txt.gz");
  const csicAttacks = join(d, "csic2010", "anomalousTrafficTest.txt.gz");
  if (existsSync(csicBenign) && existsSync(csicAttacks)) {
    const csic = o.csicDetector ?? detector;
    const model = o.csicDetector ? "site model given" : "generic model alone";
    const benign = await readCsic(csicBenign);
    const anomalous = await readCsic(csicAttacks);
    const vb = await judgeAll(csic, benign, o.progress?.("CSIC benign"));
    const va = await judgeAll(csic, anomalous, o.progress?.("CSIC anomalous"));
    rows.push({ figure: `CSIC 2010 anomalous (TPR, ${model})`, set: "csic2010", split: "anomalousTrafficTest", n: va.length, value: flaggedShare(va.map((x) => x.isAnomaly)), target: { atLeast: 0.985 } });
    rows.push({ figure: `CSIC 2010 normal (FPR, ${model})`, set: "csic2010", split: "normalTrafficTest", n: vb.length, value: flaggedShare(vb.map((x) => x.isAnomaly)), target: { atMost: 0.0021 } });

    const side = o.split === "test" ? "test" : "train";
    const payloads = splitPayloads(d)[side];
    if (payloads.length) {
      const injected = injectPayloads(benign, payloads);
      const v = await judgeAll(detector, injected.map((x) => x.request), o.progress?.("payloads"));
      const splitName = `${side} (${side === "test" ? PAYLOAD_TEST_SHARE * 100 : (1 - PAYLOAD_TEST_SHARE) * 100}% by normalized content)`;
      for (const [cls, idx] of [...Map.groupBy(injected.map((x, i) => [x.cls, i] as const), ([c]) => c)].sort(([a], [b]) => a.localeCompare(b))) {
        rows.push({ figure: `payloads ${cls} (TPR, query/path/body)`, set: "payloads + fuzzdb in CSIC normalTrafficTest", split: splitName, n: idx.length, value: flaggedShare(idx.map(([, i]) => v[i]!.isAnomaly)), target: { atLeast: 0.99 } });
      }
    } else missing("payloads", `no payload list in ${d}`);
  } else missing("csic2010", `${csicBenign} or ${csicAttacks} not found`);
  return rows;
}

export function met(r: ScoreRow): boolean {
  if (Number.isNaN(r.value)) return false;
  return (r.target.atLeast === undefined || r.value >= r.target.atLeast) && (r.target.atMost === undefined || r.value <= r.target.atMost);
}

const targetText = (t: ScoreRow["target"]) => [t.atLeast !== undefined ? `≥ ${pct(t.atLeast, 1)}` : "", t.atMost !== undefined ? `≤ ${pct(t.atMost, 1)}` : ""].join("");

export function renderScorecard(rows: ScoreRow[], modelVersion: string, split: DevTest): string {
  const ok = rows.filter(met).length;
  return [
    `## Detection scorecard, split: ${split}`,
    "",
    `Generic model ${modelVersion}. Each row names its set and split; TPR rows count attacks flagged, FPR rows benign requests flagged.`,
    "",
    markdownTable(["figure", "set", "split", "n", "value", "target", "met", "note"], rows.map((r) => [r.figure, r.set, r.split, r.n, pct(r.value, 1, 2), targetText(r.target), met(r) ? "yes" : "**no**", r.note ?? ""])),
    "",
    `${ok} of ${rows.length} targets met.`,
    "",
  ].join("\n");
}
