/**
 * Builds the generic attack model from the shared datasets and the project's generators: corpus →
 * features → softmax regression → ONNX, then calibrates its threshold on held-out legitimate queries
 * and evaluates it on held-out attacks. Every number it reports names its split.
 */
import { createHash } from "node:crypto";
import { CLASSES } from "../classes.ts";
import { benignSamples } from "../corpus/benign.ts";
import { generatedAttacks, payloadSamples, PAYLOAD_TEST_SHARE } from "../corpus/attacks.ts";
import { httpParamsSamples, legitQueries, legitQuerySamples } from "../corpus/datasets.ts";
import { sampleField, type Sample } from "../corpus/sample.ts";
import { DEFAULT_FEATURIZER, featurizeField } from "../featurize.ts";
import { exportLinearOnnx } from "../onnx/linear.ts";
import { parseParams } from "../../parse/decode.ts";
import { metricsAt, rocAuc, thresholdForFpr, type Scored } from "../eval/metrics.ts";
import type { Field } from "../fields.ts";
import { DEFAULT_TRAIN, trainSoftmax } from "./softmax.ts";
import { encodeMetadata, GenericModel, type GenericMetadata } from "./model.ts";

export interface GenericBuildOptions {
  datasets: string;
  targetFpr: number;
  benignCount: number;
  generatedCount: number;
  epochs: number;
  seed: number;
  progress?(stage: string, detail?: string): void;
}

export const DEFAULT_GENERIC_BUILD: Omit<GenericBuildOptions, "datasets"> = { targetFpr: 0.001, benignCount: 120_000, generatedCount: 11_200, epochs: 5, seed: 7 };

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
}

/** Per-sample weights: benign carries half the total; attack classes share the rest by √count, so rare classes count without one sample weighing a hundred. */
function classWeights(samples: Sample[]): Float32Array {
  const counts = new Map<string, number>();
  for (const s of samples) counts.set(s.label, (counts.get(s.label) ?? 0) + 1);
  const attackRoots = [...counts].filter(([c]) => c !== "benign").reduce((a, [, n]) => a + Math.sqrt(n), 0);
  const total = samples.length;
  const perSample = new Map<string, number>();
  for (const [c, n] of counts) perSample.set(c, c === "benign" ? (0.5 * total) / n : (0.5 * total * (Math.sqrt(n) / attackRoots)) / n);
  return Float32Array.from(samples.map((s) => perSample.get(s.label)!));
}

function queryFields(query: string): Field[] {
  return parseParams(query, "query").map((p) => sampleField({ location: "query", name: p.name, raw: p.rawValue, label: "benign", source: "" }));
}

export async function buildGenericModel(options: GenericBuildOptions): Promise<GenericBuildResult> {
  const { datasets, progress } = options;
  progress?.("corpus");
  const train: Sample[] = [
    ...benignSamples(options.benignCount, options.seed),
    ...legitQuerySamples(datasets, "train"),
    ...httpParamsSamples(datasets, "payload_train.csv"),
    ...payloadSamples(datasets, "train", options.seed + 1),
    ...generatedAttacks(options.generatedCount, options.seed + 2),
  ];
  const training: Record<string, number> = {};
  for (const s of train) training[`${s.source} (${s.label})`] = (training[`${s.source} (${s.label})`] ?? 0) + 1;

  progress?.("features", `${train.length} samples`);
  const X = train.map((s) => featurizeField(sampleField(s), DEFAULT_FEATURIZER));
  const y = Uint8Array.from(train.map((s) => CLASSES.indexOf(s.label)));
  const weights = trainSoftmax(X, y, classWeights(train), CLASSES.length, DEFAULT_FEATURIZER.buckets, {
    ...DEFAULT_TRAIN,
    epochs: options.epochs,
    seed: options.seed,
    onEpoch: (e, loss) => progress?.("train", `epoch ${e}/${options.epochs}, loss ${loss.toFixed(4)}`),
  });

  // Calibrate through the real ONNX path, on queries the model never saw.
  progress?.("calibrate");
  const provisional: GenericMetadata = {
    kind: "generic",
    // The weights' digest tells two builds of one day apart (a version names one model, nothing else).
    version: `generic-${new Date().toISOString().slice(0, 10)}-s${options.seed}-${createHash("sha256").update(new Uint8Array(weights.W.buffer)).digest("hex").slice(0, 8)}`,
    classes: [...CLASSES],
    featurizer: DEFAULT_FEATURIZER,
    threshold: 0.5,
    targetFpr: options.targetFpr,
    trainedAt: new Date().toISOString(),
  };
  // The scores do not depend on the threshold: this one model serves calibration and evaluation.
  const model = await GenericModel.fromBytes(exportLinearOnnx(weights, encodeMetadata(provisional)));
  const score = async (requests: Field[][]) => (await model.score(requests)).map((s) => s.score);
  const calibration = await score(legitQueries(datasets, "calibration").map(queryFields));
  const meta: GenericMetadata = { ...provisional, threshold: thresholdForFpr(calibration, options.targetFpr) };
  const bytes = exportLinearOnnx(weights, encodeMetadata(meta));

  progress?.("evaluate");
  const evaluation: EvalRow[] = [];
  const legitTest = await score(legitQueries(datasets, "test").map(queryFields));
  evaluation.push({ set: "legit-queries (benign, per query)", split: "test 30%", n: legitTest.length, flagged: legitTest.filter((s) => s >= meta.threshold).length / legitTest.length });

  const payloadTest = payloadSamples(datasets, "test", options.seed + 3);
  for (const [source, samples] of [...Map.groupBy(payloadTest, (s) => s.source)].sort()) {
    const scores = await score(samples.map((s) => [sampleField(s)]));
    evaluation.push({ set: source, split: `held-out ${PAYLOAD_TEST_SHARE * 100}% of lines`, n: samples.length, flagged: scores.filter((s) => s >= meta.threshold).length / samples.length });
  }

  const hp = httpParamsSamples(datasets, "payload_test.csv");
  const hpScores = await score(hp.map((s) => [sampleField(s)]));
  const hpItems: Scored[] = hp.map((s, i) => ({ score: hpScores[i]!, positive: s.label !== "benign" }));
  const hpAt = metricsAt(hpItems, meta.threshold);
  const auc = rocAuc(hpItems);
  evaluation.push({ set: "httpparams attacks", split: "payload_test.csv", n: hpAt.tp + hpAt.fn, flagged: hpAt.tpr, auc });
  evaluation.push({ set: "httpparams norm (benign)", split: "payload_test.csv", n: hpAt.fp + hpAt.tn, flagged: hpAt.fpr, auc });
  return { bytes, meta, training, evaluation };
}
