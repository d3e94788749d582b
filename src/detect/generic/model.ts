/**
 * The generic model at run time, one ONNX file: the lexical model's graph, and beside it the
 * combiner's weights. A request is decomposed into leaves, every leaf is read by the semantic
 * analyzers and the lexical model, and the combiner turns both (and where the leaf sat) into the
 * leaf's class probabilities. The request's score is its most suspicious leaf's.
 */
import { readFileSync } from "node:fs";
import type { HttpRequest } from "../../core/http-request.ts";
import { decompose } from "../../decompose/index.ts";
import { DECOMPOSE_VERSION, type Leaf, type RequestFlag } from "../../decompose/leaf.ts";
import { strongest, type Finding } from "../analyzers/finding.ts";
import { LeafAnalysis } from "../analyzers/index.ts";
import { FEATURIZER_VERSION, type FeaturizerSettings } from "../featurize.ts";
import { exportLinearOnnx, readLinearOnnx } from "../onnx/linear.ts";
import { SparseLinearSession } from "../onnx/session.ts";
import { combinerVector, COMBINER_SIZE, COMBINER_VERSION } from "./combiner.ts";
import { LexicalModel } from "./lexical.ts";
import type { SoftmaxWeights } from "./softmax.ts";
import { tensorFloats } from "../onnx/proto.ts";

/**
 * What a model's inputs are made by: decomposition, featurizer and combiner layout. A site model
 * records it too, since it learns from the generic model's scores.
 */
export const MODEL_INPUT_VERSION = `d${DECOMPOSE_VERSION}.f${FEATURIZER_VERSION}.c${COMBINER_VERSION}`;

export interface GenericMetadata {
  kind: "generic";
  version: string;
  classes: string[];
  /** MODEL_INPUT_VERSION of the Moat that built it. */
  inputVersion: string;
  featurizer: FeaturizerSettings;
  combiner: { version: number };
  /** Attack probability at or above which a request is flagged, calibrated at `targetFpr`. */
  threshold: number;
  targetFpr: number;
  trainedAt: string;
}

/** One leaf's verdict: what the analyzers found and the combiner's answer. */
export interface LeafScore {
  leaf: Leaf;
  findings: Finding[];
  /** Attack probability (1 − benign). */
  attack: number;
  /** Index into the classes of the most likely attack class. */
  cls: number;
}

/** Per request: every leaf's score, and the most suspicious one's. */
export interface GenericScore {
  score: number;
  cls: number;
  /** Index into `leaves` of the most suspicious leaf (−1 when the request has none). */
  top: number;
  leaves: LeafScore[];
  flags: RequestFlag[];
}

/** The combiner's weights travel in the lexical model's file under these initializer names. */
const COMBINER_W = "combiner_W";
const COMBINER_B = "combiner_b";

export function encodeGenericModel(lexical: SoftmaxWeights, combiner: SoftmaxWeights, meta: GenericMetadata): Uint8Array {
  return exportLinearOnnx(lexical, { "moat.model": JSON.stringify(meta) }, [
    { name: COMBINER_W, dims: [combiner.buckets, combiner.classes], data: combiner.W },
    { name: COMBINER_B, dims: [combiner.classes], data: combiner.b },
  ]);
}

/**
 * Findings the analyzers themselves call weak: every one of a leaf's findings under this strength (a
 * keyword in prose, `how to use union select in mysql`; a lone unclosed tag).
 */
const WEAK_EVIDENCE = 0.5;

/**
 * A leaf whose findings are all weak scores at most its strongest finding: the lexical model's likeness
 * of the text to attack lists cannot carry a value the analyzers read as harmless past the threshold.
 * The combiner flagged few attacks on such evidence alone (on the dev side of the CRS tests 5 of 1,214,
 * on the payload lists' train side 9 of 19,723), and benign prose about SQL or shell on it.
 */
function boundByWeakEvidence([attack, cls]: [number, number], findings: readonly Finding[]): [number, number] {
  const most = strongest(findings)?.strength ?? 0;
  return most < WEAK_EVIDENCE && attack > most ? [most, cls] : [attack, cls];
}

export class GenericModel {
  private readonly analysis = new LeafAnalysis();
  /** The answer for a leaf without a finding (the combiner's empty vector). */
  private unremarkable: [number, number] | null = null;

  private constructor(
    readonly meta: GenericMetadata,
    readonly lexical: LexicalModel,
    private readonly combiner: SparseLinearSession,
  ) {}

  static async fromBytes(bytes: Uint8Array): Promise<GenericModel> {
    const { weights, metadata, extra } = readLinearOnnx(bytes);
    const raw = metadata["moat.model"];
    if (!raw) throw new Error("the ONNX file has no moat.model metadata: not a Moat generic model");
    const meta = JSON.parse(raw) as GenericMetadata;
    if (meta.inputVersion !== MODEL_INPUT_VERSION) {
      throw new Error(`the generic model was built for inputs ${meta.inputVersion ?? `featurizer v${meta.featurizer?.version}`}, this Moat makes ${MODEL_INPUT_VERSION}: rebuild it (moat train --generic)`);
    }
    const W = extra.get(COMBINER_W);
    const b = extra.get(COMBINER_B);
    if (!W || !b || W.dims?.length !== 2) throw new Error("the generic model file has no combiner weights: rebuild it (moat train --generic)");
    const combinerWeights: SoftmaxWeights = { W: tensorFloats(W), b: tensorFloats(b), buckets: Number(W.dims[0]), classes: Number(W.dims[1]) };
    if (combinerWeights.buckets !== COMBINER_SIZE) throw new Error(`the combiner has ${combinerWeights.buckets} inputs where its layout has ${COMBINER_SIZE}: a damaged model file`);
    const lexical = await LexicalModel.create(exportLinearOnnx(weights, {}), weights, meta.featurizer);
    const combiner = await SparseLinearSession.create(exportLinearOnnx(combinerWeights, {}), combinerWeights.classes);
    return new GenericModel(meta, lexical, combiner);
  }

  static async fromFile(path: string): Promise<GenericModel> {
    return GenericModel.fromBytes(readFileSync(path));
  }

  get classes(): string[] {
    return this.meta.classes;
  }

  /** Lexical cache counters (for /api/performance). */
  get cacheHits(): number {
    return this.lexical.cacheHits;
  }

  get cacheMisses(): number {
    return this.lexical.cacheMisses;
  }

  /** Decomposes, analyzes and scores a batch of requests in one lexical and one combiner call. */
  async scoreRequests(requests: HttpRequest[]): Promise<GenericScore[]> {
    const decomposed = requests.map((r) => decompose(r));
    // Every leaf of the batch in order, its findings, and which have any. Plain loops: a flatMap makes
    // an array for each request and each leaf, and a batch holds thousands of leaves.
    const leaves: Leaf[] = [];
    const findings: Finding[][] = [];
    // A leaf without a finding has the combiner's empty vector (see combiner.ts), whose answer is the
    // same for all: computed once, and the lexical model runs only for the leaves with one.
    const found: number[] = [];
    decomposed.forEach((d, r) => {
      const judged = this.analysis.analyzeRequest(requests[r]!, d.leaves);
      for (let i = 0; i < d.leaves.length; i++) {
        if (judged[i]!.length) found.push(leaves.length);
        leaves.push(d.leaves[i]!);
        findings.push(judged[i]!);
      }
    });
    const lexical = await this.lexical.probabilities(found.map((i) => leaves[i]!));
    const probs = await this.combiner.run(found.map((i, k) => combinerVector(leaves[i]!, findings[i]!, lexical[k]!)));
    this.unremarkable ??= this.verdictAt(await this.combiner.run([{ idx: new Int32Array(0), val: new Float32Array(0) }]), 0);
    const verdicts = new Array<[number, number]>(leaves.length).fill(this.unremarkable);
    found.forEach((i, k) => (verdicts[i] = boundByWeakEvidence(this.verdictAt(probs, k), findings[i]!)));
    let k = 0;
    return decomposed.map((r) => {
      const out: GenericScore = { score: 0, cls: 0, top: -1, leaves: [], flags: r.flags };
      for (const leaf of r.leaves) {
        const [attack, cls] = verdicts[k]!;
        out.leaves.push({ leaf, findings: findings[k]!, attack, cls });
        if (attack > out.score) {
          out.score = attack;
          out.cls = cls;
          out.top = out.leaves.length - 1;
        }
        k++;
      }
      return out;
    });
  }

  /** Attack probability and most likely attack class of row `row` of the combiner's output. */
  private verdictAt(probs: Float32Array, row: number): [number, number] {
    const C = this.classes.length;
    const base = row * C;
    let cls = 1;
    for (let c = 2; c < C; c++) if (probs[base + c]! > probs[base + cls]!) cls = c;
    return [1 - probs[base]!, cls];
  }
}
