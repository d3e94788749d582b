/**
 * Builds the generic model from the shared datasets and the project's generators:
 * 1. labelled values are put into whole requests (placement.ts), decomposed and analyzed, as serving does;
 * 2. the leaves are split in two by content: the lexical model learns from one half, and the
 *    combiner learns from the other half how far to trust the lexical model next to the analyzers
 *    (trained on the lexical model's own training half, it would learn to trust it blindly);
 * 3. the request threshold is calibrated on benign requests no model trained on: legit-queries'
 *    calibration side, and the dev sites of real traffic cross-fitted (each half of the sites scored
 *    by models trained without it, while the shipped model learns from all of them), so that the
 *    threshold rests on thousands of unseen requests rather than on the one or two a small held-out
 *    share happens to hold; then the model is evaluated on held-out sets. Every number it reports
 *    names its split.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { readRequests } from "../../ingest/read.ts";
import { Rejections } from "../../parse/rejections.ts";
import { BLAZEHTTP_DIR, BLAZEHTTP_REQUESTS, loadBlazeHttp } from "../corpus/blazehttp.ts";
import { CRS_FAMILY_CLASS, loadCrsTests } from "../corpus/crs.ts";
import type { HttpRequest } from "../../core/http-request.ts";
import { decompose } from "../../decompose/index.ts";
import type { Leaf } from "../../decompose/leaf.ts";
import { LeafAnalysis } from "../../detect/analyzers/index.ts";
import { accessRequests } from "../corpus/access-requests.ts";
import { sessionFixationRequests } from "../corpus/session-requests.ts";
import type { Finding } from "../../detect/analyzers/finding.ts";
import { CLASSES, type ClassLabel } from "../../detect/classes.ts";
import { benignSamples } from "../corpus/benign.ts";
import { generatedAttacks, payloadSamples } from "../corpus/attacks.ts";
import { httpParamsSamples, LEGIT_QUERIES_FILE, legitQueries, legitQuerySamples } from "../corpus/datasets.ts";
import { decodedValue, requestForTarget, requestFromSample } from "../corpus/placement.ts";
import { rng } from "../../core/random.ts";
import { splitPoint, type Sample } from "../corpus/sample.ts";
import { CALIBRATION_FOLDS, foldOf, LeafCorpus, type LabelledLeaf } from "./leaf-corpus.ts";
import { DEFAULT_FEATURIZER, FEATURIZER_VERSION, featurizeField, type SparseVector } from "../../detect/featurize.ts";
import { exportLinearOnnx } from "../../detect/onnx/linear.ts";
import { metricsAt, rocAuc, thresholdForFpr, type Scored } from "../eval/metrics.ts";
import { combinerVector, COMBINER_SIZE, COMBINER_VERSION } from "../../detect/generic/combiner.ts";
import { LexicalModel, valueField, WINDOW_CHARS } from "../../detect/generic/lexical.ts";
import { encodeGenericModel, GenericModel, MODEL_INPUT_VERSION, type GenericMetadata } from "../../detect/generic/model.ts";
import { withProof } from "../../detect/generic/proof.ts";
import { DEFAULT_TRAIN, trainSoftmax, type SoftmaxWeights } from "../../detect/generic/softmax.ts";

export interface GenericBuildOptions {
  datasets: string;
  targetFpr: number;
  benignCount: number;
  generatedCount: number;
  epochs: number;
  seed: number;
  /** Benign requests of real traffic beyond the generators (blazehttp's training sites, CSIC's training file), labelled by source. */
  benignRequests?: { source: string; requests: HttpRequest[] }[];
  /** Attack requests of real test suites (the CRS regression tests' dev side), with the class each teaches when no analyzer names one. */
  attackRequests?: { source: string; cases: { request: HttpRequest; label: ClassLabel }[] }[];
  /**
   * Benign requests of sites that both teach and calibrate, cross-fitted: the shipped model learns from
   * all of them, and each fold of sites is scored for calibration by models trained without it.
   */
  crossFitRequests?: { source: string; requests: { site: string; request: HttpRequest }[] }[];
  /** Benign requests of sites held out of training and calibration, for the evaluation table. */
  heldOutRequests?: { source: string; split: string; requests: HttpRequest[] }[];
  progress?(stage: string, detail?: string): void;
}

/** The OWASP CRS regression tests, relative to the datasets folder. */
export const CRS_TESTS_DIR = "crs-regression";

/** blazehttp's benign requests, relative to the datasets folder. */

export const DEFAULT_GENERIC_BUILD: Omit<GenericBuildOptions, "datasets"> = { targetFpr: 0.0005, benignCount: 120_000, generatedCount: 11_200, epochs: 5, seed: 7 };

export interface EvalRow {
  set: string;
  split: string;
  n: number;
  /** Share flagged: TPR for attack sets, FPR for benign ones. */
  flagged: number;
  auc?: number;
}

export interface GenericBuildResult {
  bytes: Uint8Array;
  meta: GenericMetadata;
  training: Record<string, number>;
  evaluation: EvalRow[];
  /** Calibration's highest benign scores, highest first, and how many it scored: what the threshold rests on. */
  calibrationTop: { scores: number[]; of: number };
}

/** Calibration scores shown on the card. */
const CALIBRATION_TOP = 8;

/**
 * The lowest threshold a build may calibrate to. Calibration's few highest benign scores decide it,
 * and when a wide gap follows them, one more request in the set (a higher allowed count) would move it
 * from the top of the gap to its bottom: from 0.98 to 0.4 in one build, flagging what the model itself
 * calls benign. A leaf must be an attack to the model, 9 to 1 on its training mix, whatever the set.
 */
export const MIN_THRESHOLD = 0.9;

/**
 * Classes the lexical model does not learn: whether a probe path, a URL in a parameter, a remote file,
 * a session id or an access-control header is an attack depends on where it sits, what the site serves
 * or where the request came from, which n-grams cannot see (a session id's text is random; a token's
 * `none` or a header's `127.0.0.1` is a plain word).
 */
const CONTEXT_CLASSES = new Set(["scanner", "open-redirect", "ssrf", "rfi", "session-fixation", "auth-bypass"].map((c) => CLASSES.indexOf(c as ClassLabel)));

/** Generated session-fixation and access-control requests (and as many benign twins): about what the grammar gives each class. */
const SESSION_REQUESTS = 400;
const ACCESS_REQUESTS = 400;

/** Per-sample weights: benign carries half the total; attack classes share the rest by √count, so rare classes count without one sample weighing a hundred. */
function classWeights(labels: ArrayLike<number>): Float32Array {
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) counts.set(labels[i]!, (counts.get(labels[i]!) ?? 0) + 1);
  const attackRoots = [...counts].filter(([c]) => c !== 0).reduce((a, [, n]) => a + Math.sqrt(n), 0);
  const total = labels.length;
  const perSample = new Map<number, number>();
  for (const [c, n] of counts) perSample.set(c, c === 0 ? (0.5 * total) / n : (0.5 * total * (Math.sqrt(n) / attackRoots)) / n);
  return Float32Array.from(Array.from(labels, (l) => perSample.get(l)!));
}

/** The strongest finding of the leaves `eligible` admits (the first of equals), with its leaf's index; null when none is above 0. */
function strongestFinding(findings: Finding[][], eligible: (i: number) => boolean = () => true): { at: number; finding: Finding } | null {
  let best: { at: number; finding: Finding } | null = null;
  findings.forEach((fs, i) => {
    if (!eligible(i)) return;
    for (const f of fs) if (f.strength > (best?.finding.strength ?? 0)) best = { at: i, finding: f };
  });
  return best;
}

/**
 * The leaves a labelled request teaches. A benign request: all of them. An attack: the one leaf that
 * carries the payload, the strongest analyzer finding's, or else the longest leaf holding the value;
 * the request's other leaves are the template's, neither attack nor news.
 */
function labelledLeaves(analysis: LeafAnalysis, req: HttpRequest, label: ClassLabel, value: string, source: string): LabelledLeaf[] {
  const { leaves } = decompose(req);
  const findings = analysis.analyzeRequest(req, leaves);
  const cls = CLASSES.indexOf(label);
  if (label === "benign") return leaves.map((leaf, i) => ({ leaf, findings: findings[i]!, label: cls, source }));
  let best = strongestFinding(findings)?.at ?? -1;
  if (best < 0) {
    const probe = value.slice(0, 24);
    leaves.forEach((l, i) => {
      if (l.text.includes(probe) && (best < 0 || l.text.length > leaves[best]!.text.length)) best = i;
    });
  }
  return best < 0 ? [] : [{ leaf: leaves[best]!, findings: findings[best]!, label: cls, source }];
}

/**
 * The leaf a test-suite attack teaches. The suite's requests share a template (its Host, User-Agent
 * and Accept, the usual Content-Type): leaves seen in many of its requests are template. Of the rest,
 * the strongest analyzer finding's leaf, with that finding's class; else the longest, with the test's class.
 */
function suiteAttackLeaf(leaves: Leaf[], findings: Finding[][], template: Set<string>, label: ClassLabel, source: string): LabelledLeaf[] {
  // A header the suite varies (Content-Type, say) is rarely the payload unless an analyzer says so.
  const eligible = (i: number) => !template.has(leafKey(leaves[i]!)) && !(leaves[i]!.location === "header" && !findings[i]!.length);
  const best = strongestFinding(findings, eligible);
  if (best && best.finding.strength >= 0.5) return [{ leaf: leaves[best.at]!, findings: findings[best.at]!, label: CLASSES.indexOf(best.finding.class), source }];
  // Without a clear finding, the suite's label is all there is: the lexical model learns the payload's
  // look, but the combiner is not taught that a weak finding there is an attack (its findings are left out).
  let longest = -1;
  leaves.forEach((l, i) => {
    if (eligible(i) && (longest < 0 || l.text.length > leaves[longest]!.text.length)) longest = i;
  });
  return longest < 0 ? [] : [{ leaf: leaves[longest]!, findings: [], label: CLASSES.indexOf(label), source }];
}

const leafKey = (l: Leaf) => `${l.path}\0${l.text}`;

/** Leaves found in at least `share` of the requests: a suite's template. */
function templateLeaves(decomposed: Leaf[][], share = 0.05): Set<string> {
  const counts = new Map<string, number>();
  for (const leaves of decomposed) for (const k of new Set(leaves.map(leafKey))) counts.set(k, (counts.get(k) ?? 0) + 1);
  return new Set([...counts].filter(([, n]) => n >= Math.max(3, share * decomposed.length)).map(([k]) => k));
}

/** A query string as the request a browser sends. */
function queryRequest(query: string): HttpRequest | null {
  return requestForTarget(`/?${query}`, "eval");
}

/** Real traffic from the datasets folder: blazehttp's sites (split by site) and CSIC's normal requests. */
export async function realTraffic(datasets: string): Promise<Pick<GenericBuildOptions, "benignRequests" | "attackRequests" | "crossFitRequests" | "heldOutRequests">> {
  const blaze = join(datasets, BLAZEHTTP_DIR, BLAZEHTTP_REQUESTS);
  const sites = existsSync(blaze) ? loadBlazeHttp(blaze).requests : [];
  // The dev sites teach and, cross-fitted, calibrate. Test sites are only measured.
  const csic = async (file: string, limit: number) => {
    const out: HttpRequest[] = [];
    const path = join(datasets, file);
    if (!existsSync(path)) return out;
    for await (const batch of readRequests([path], { format: "auto" }, new Rejections())) {
      out.push(...batch);
      if (out.length >= limit) break;
    }
    return out.slice(0, limit);
  };
  const crsDir = join(datasets, CRS_TESTS_DIR);
  const crs = existsSync(crsDir) ? loadCrsTests(crsDir).cases : [];
  return {
    // Only the dev side: the test side of the CRS tests is what `moat eval --crs-tests` reports.
    attackRequests: [{ source: "crs-regression dev attacks", cases: crs.flatMap((c) => (c.split === "dev" && c.positive && CRS_FAMILY_CLASS[c.family] ? [{ request: c.request, label: CRS_FAMILY_CLASS[c.family]! }] : [])) }],
    benignRequests: [
      { source: "csic2010 normal training", requests: await csic("csic2010/normalTrafficTraining.txt.gz", 8000) },
    ],
    crossFitRequests: [{ source: "blazehttp-benign dev sites", requests: sites.filter((s) => s.split === "dev").map((s) => ({ site: s.site, request: s.request })) }],
    heldOutRequests: [
      { source: "blazehttp-benign", split: "test sites (split by site)", requests: sites.filter((s) => s.split === "test").map((s) => s.request) },
      { source: "csic2010 normal", split: "normalTrafficTest", requests: await csic("csic2010/normalTrafficTest.txt.gz", Infinity) },
    ],
  };
}

/**
 * The lexical model and the combiner, trained on `all`: the leaves are split in two by content, the
 * lexical model learns from one half and the combiner, from the other, how far to trust it. `fold`
 * names a cross-fitting model in the progress messages.
 */
async function trainModels(all: LabelledLeaf[], options: GenericBuildOptions, fold?: string): Promise<{ lexicalWeights: SoftmaxWeights; combinerWeights: SoftmaxWeights }> {
  const progress = options.progress && ((stage: string, detail?: string) => options.progress!(stage, fold ? `${fold}${detail ? `, ${detail}` : ""}` : detail));
  // Context classes are the analyzers' and the combiner's alone: their look (a path ending in .php, a
  // URL in a parameter) is what ordinary traffic looks like too.
  const half = (l: LabelledLeaf) => (CONTEXT_CLASSES.has(l.label) || splitPoint(`half:${l.leaf.text}`) >= 0.5 ? "combiner" : "lexical");
  const lexicalSide = all.filter((l) => half(l) === "lexical");
  // An attack no analyzer found anything in has the empty vector there (see combiner.ts): it teaches nothing.
  const combinerSide = all.filter((l) => half(l) === "combiner" && (l.label === 0 || l.findings.length));

  progress?.("lexical", `${lexicalSide.length} leaves`);
  const X = lexicalSide.map((l) => featurizeField(valueField(l.leaf.location, l.leaf.text.slice(0, WINDOW_CHARS)), DEFAULT_FEATURIZER));
  const y = Uint8Array.from(lexicalSide.map((l) => l.label));
  const lexicalWeights = trainSoftmax(X, y, classWeights(y), CLASSES.length, DEFAULT_FEATURIZER.buckets, {
    ...DEFAULT_TRAIN,
    epochs: options.epochs,
    seed: options.seed,
    onEpoch: (e, loss) => progress?.("lexical", `epoch ${e}/${options.epochs}, loss ${loss.toFixed(4)}`),
  });

  progress?.("combiner", `${combinerSide.length} leaves`);
  const lexical = await LexicalModel.create(exportLinearOnnx(lexicalWeights, {}), lexicalWeights, DEFAULT_FEATURIZER);
  const Xc: SparseVector[] = [];
  for (let i = 0; i < combinerSide.length; i += 4096) {
    const chunk = combinerSide.slice(i, i + 4096);
    // As in scoring, a leaf without a finding is the empty vector whatever the lexical model says: it is not run on those.
    const probs = await lexical.probabilities(chunk.filter((l) => l.findings.length).map((l) => l.leaf));
    let k = 0;
    for (const l of chunk) Xc.push(l.findings.length ? combinerVector(l.leaf, l.findings, probs[k++]!) : combinerVector(l.leaf, [], []));
  }
  const yc = Uint8Array.from(combinerSide.map((l) => l.label));
  const combinerWeights: SoftmaxWeights = trainSoftmax(Xc, yc, classWeights(yc), CLASSES.length, COMBINER_SIZE, {
    ...DEFAULT_TRAIN,
    epochs: 12,
    learningRate: 0.1,
    seed: options.seed,
    onEpoch: (e, loss) => progress?.("combiner", `epoch ${e}/12, loss ${loss.toFixed(4)}`),
  });

  return { lexicalWeights, combinerWeights };
}

/** A datasets folder without the benign requests a threshold is calibrated on: no build could be trusted. */
export class NoCalibrationData extends Error {
  override name = "NoCalibrationData";
}

export async function buildGenericModel(options: GenericBuildOptions): Promise<GenericBuildResult> {
  const { datasets, progress } = options;
  // Checked first: a build without them would train for minutes and calibrate its threshold to 0.
  if (!legitQueries(datasets, "calibration").length && !(options.crossFitRequests ?? []).some((c) => c.requests.length)) {
    throw new NoCalibrationData(`${datasets} holds no benign requests to calibrate the threshold on: it needs ${LEGIT_QUERIES_FILE} or ${BLAZEHTTP_DIR}/${BLAZEHTTP_REQUESTS}`);
  }
  const analysis = new LeafAnalysis();
  const r = rng(options.seed);
  progress?.("corpus");
  const samples: Sample[] = [
    ...benignSamples(options.benignCount, options.seed),
    ...legitQuerySamples(datasets, "train"),
    ...httpParamsSamples(datasets, "payload_train.csv"),
    ...payloadSamples(datasets, "train", options.seed + 1),
    ...generatedAttacks(options.generatedCount, options.seed + 2),
  ];
  const training: Record<string, number> = {};
  const count = (key: string, n = 1) => (training[key] = (training[key] ?? 0) + n);
  const corpus = new LeafCorpus();
  const add = (ls: LabelledLeaf[], fold?: number) => {
    for (const l of corpus.add(ls, fold)) count(`${l.source} (${CLASSES[l.label]})`);
  };
  for (const s of samples) {
    const req = requestFromSample(r, s);
    if (req) add(labelledLeaves(analysis, req, s.label, decodedValue(s), s.source));
  }
  for (const { source, requests } of options.benignRequests ?? []) for (const req of requests) add(labelledLeaves(analysis, req, "benign", "", source));
  for (const { source, requests } of options.crossFitRequests ?? []) for (const { site, request } of requests) add(labelledLeaves(analysis, request, "benign", "", source), foldOf(site));
  // Session fixation needs a whole request (session-requests.ts): these teach the combiner what the
  // request-scope finding means, next to the same ids sent from the site's own pages.
  const sessions = sessionFixationRequests(SESSION_REQUESTS, options.seed + 3);
  for (const { request, label } of sessions.attacks) add(labelledLeaves(analysis, request, label, "", "grammar:session-fixation requests"));
  for (const request of sessions.benign) add(labelledLeaves(analysis, request, "benign", "", "grammar:session ids from the site's own pages"));
  // Access-control bypass is also a matter of the request (its path, its peer): access-requests.ts.
  const access = accessRequests(ACCESS_REQUESTS, options.seed + 4);
  for (const request of access.attacks) add(labelledLeaves(analysis, request, "auth-bypass", "", "grammar:auth-bypass requests"));
  for (const request of access.benign) add(labelledLeaves(analysis, request, "benign", "", "grammar:the same headers and tokens as honest deployments send them"));
  for (const { source, cases } of options.attackRequests ?? []) {
    const decomposed = cases.map((c) => decompose(c.request).leaves);
    const template = templateLeaves(decomposed);
    decomposed.forEach((leaves, i) => add(suiteAttackLeaf(leaves, analysis.analyzeRequest(cases[i]!.request, leaves), template, cases[i]!.label, source)));
  }
  const { lexicalWeights, combinerWeights } = await trainModels(corpus.all(), options);
  // Calibrate through the real ONNX path, on requests no model that scores them learned from.
  progress?.("calibrate");
  const provisional: GenericMetadata = {
    kind: "generic",
    // The weights' digest tells two builds of one day apart (a version names one model, nothing else).
    version: `generic-${new Date().toISOString().slice(0, 10)}-s${options.seed}-${createHash("sha256").update(new Uint8Array(lexicalWeights.W.buffer)).update(new Uint8Array(combinerWeights.W.buffer)).digest("hex").slice(0, 8)}`,
    classes: [...CLASSES],
    inputVersion: MODEL_INPUT_VERSION,
    featurizer: { ...DEFAULT_FEATURIZER, version: FEATURIZER_VERSION },
    combiner: { version: COMBINER_VERSION },
    threshold: 0.5,
    targetFpr: options.targetFpr,
    trainedAt: new Date().toISOString(),
  };
  // The scores do not depend on the threshold: this one model serves calibration and evaluation.
  const model = await GenericModel.fromBytes(encodeGenericModel(lexicalWeights, combinerWeights, provisional));
  // Calibration reads the combiner's scores; the evaluation, the detector's (an analyzer's proof under each: proof.ts).
  const scoreWith = async (m: GenericModel, requests: HttpRequest[], proofAt?: number) => {
    const out: number[] = [];
    for (let i = 0; i < requests.length; i += 2048) {
      const scored = await m.scoreRequests(requests.slice(i, i + 2048));
      out.push(...scored.map((s) => (proofAt === undefined ? s : withProof(s, proofAt, provisional.classes)).score));
    }
    return out;
  };
  const score = (requests: HttpRequest[], proofAt?: number) => scoreWith(model, requests, proofAt);
  const legit = (side: "calibration" | "test") => legitQueries(datasets, side).flatMap((q) => queryRequest(q) ?? []);
  const calibrationQueries = legit("calibration");
  const calibration = await score(calibrationQueries);
  count("legit-queries (calibration)", calibrationQueries.length);
  // Each fold of the cross-fitted sites (of every source), scored by models trained without its sites' own values.
  const crossFit = options.crossFitRequests ?? [];
  for (let f = 0; f < CALIBRATION_FOLDS; f++) {
    const sets = crossFit.map((c) => ({ source: c.source, requests: c.requests.filter((r) => foldOf(r.site) === f).map((r) => r.request) }));
    if (!sets.some((set) => set.requests.length)) continue;
    const weights = await trainModels(corpus.without(f), options, `calibration fold ${f + 1}/${CALIBRATION_FOLDS}`);
    const foldModel = await GenericModel.fromBytes(encodeGenericModel(weights.lexicalWeights, weights.combinerWeights, provisional));
    for (const set of sets) {
      // Counted as scored: the card's count is what the threshold rests on.
      const scores = await scoreWith(foldModel, set.requests);
      calibration.push(...scores);
      count(`${set.source} (calibration, cross-fitted in ${CALIBRATION_FOLDS} folds of sites)`, scores.length);
    }
  }
  const meta: GenericMetadata = { ...provisional, threshold: Math.max(MIN_THRESHOLD, thresholdForFpr(calibration, options.targetFpr)) };
  const bytes = encodeGenericModel(lexicalWeights, combinerWeights, meta);

  progress?.("evaluate");
  const evaluation: EvalRow[] = [];
  const flaggedShare = (scores: number[]) => scores.filter((s) => s >= meta.threshold).length / Math.max(1, scores.length);
  const judged = (requests: HttpRequest[]) => score(requests, meta.threshold);
  const legitTest = await judged(legit("test"));
  evaluation.push({ set: "legit-queries (benign, per query)", split: "test 30%", n: legitTest.length, flagged: flaggedShare(legitTest) });
  for (const s of options.heldOutRequests ?? []) {
    const scores = await judged(s.requests);
    evaluation.push({ set: `${s.source} (benign, per request)`, split: s.split, n: scores.length, flagged: flaggedShare(scores) });
  }
  // Test payloads as a query parameter, the placement the held-back collection uses.
  const payloadTest = payloadSamples(datasets, "test", options.seed + 3).map((s) => ({ ...s, location: "query" as const }));
  for (const [source, group] of [...Map.groupBy(payloadTest, (s) => s.source)].sort()) {
    const requests = group.flatMap((s) => queryRequest(`id=1&${s.name || "q"}=${s.raw}`) ?? []);
    const scores = await judged(requests);
    evaluation.push({ set: source, split: "test side of the content split", n: scores.length, flagged: flaggedShare(scores) });
  }
  const hp = httpParamsSamples(datasets, "payload_test.csv").flatMap((s) => {
    const req = queryRequest(`p=${s.raw}`);
    return req ? [{ req, positive: s.label !== "benign" }] : [];
  });
  const hpScores = await judged(hp.map((h) => h.req));
  const hpItems: Scored[] = hp.map((h, i) => ({ score: hpScores[i]!, positive: h.positive }));
  const hpAt = metricsAt(hpItems, meta.threshold);
  const auc = rocAuc(hpItems);
  evaluation.push({ set: "httpparams attacks", split: "payload_test.csv", n: hpAt.tp + hpAt.fn, flagged: hpAt.tpr, auc });
  evaluation.push({ set: "httpparams norm (benign)", split: "payload_test.csv", n: hpAt.fp + hpAt.tn, flagged: hpAt.fpr, auc });
  return { bytes, meta, training, evaluation, calibrationTop: { scores: [...calibration].sort((a, b) => b - a).slice(0, CALIBRATION_TOP), of: calibration.length } };
}
