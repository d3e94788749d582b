/**
 * The generic attack model at run time: an ONNX sparse linear classifier over field features. It
 * scores every field of a batch of requests in one onnxruntime call, and explains a flagged field
 * from the same weights.
 */
import { readFileSync } from "node:fs";
import type { Field } from "../fields.ts";
import { featurizeField, FEATURIZER_VERSION, type FeaturizerSettings } from "../featurize.ts";
import { readLinearOnnx } from "../onnx/linear.ts";
import { SparseLinearSession } from "../onnx/session.ts";
import type { SoftmaxWeights } from "./softmax.ts";
import { explainField, type Evidence } from "./explain.ts";

export interface GenericMetadata {
  kind: "generic";
  version: string;
  classes: string[];
  featurizer: FeaturizerSettings;
  /** Attack probability at or above which a field is flagged, calibrated at `targetFpr`. */
  threshold: number;
  targetFpr: number;
  trainedAt: string;
}

/** Per request: the most suspicious field and its attack probability. */
export interface GenericScore {
  score: number;
  /** Index into CLASSES of the most likely attack class of that field. */
  cls: number;
  field: number;
  /** Attack probability of every field, in field order. */
  fieldScores: number[];
  fieldClasses: number[];
}

export function encodeMetadata(m: GenericMetadata): Record<string, string> {
  return { "moat.model": JSON.stringify(m) };
}

export class GenericModel {
  private constructor(readonly meta: GenericMetadata, private readonly weights: SoftmaxWeights, private readonly session: SparseLinearSession) {}

  static async fromBytes(bytes: Uint8Array): Promise<GenericModel> {
    const { weights, metadata } = readLinearOnnx(bytes);
    const raw = metadata["moat.model"];
    if (!raw) throw new Error("the ONNX file has no moat.model metadata: not a Moat generic model");
    const meta = JSON.parse(raw) as GenericMetadata;
    if (meta.featurizer.version !== FEATURIZER_VERSION) {
      throw new Error(`model was trained with featurizer v${meta.featurizer.version}, this Moat has v${FEATURIZER_VERSION}: retrain it (moat train --generic)`);
    }
    return new GenericModel(meta, weights, await SparseLinearSession.create(bytes, weights.classes));
  }

  static async fromFile(path: string): Promise<GenericModel> {
    return GenericModel.fromBytes(readFileSync(path));
  }

  get classes(): string[] {
    return this.meta.classes;
  }

  /** Scores all fields of all requests in one batch. */
  async score(requests: Field[][]): Promise<GenericScore[]> {
    const vectors = requests.flatMap((fields) => fields.map((f) => featurizeField(f, this.meta.featurizer)));
    const probs = await this.session.run(vectors);
    const C = this.weights.classes;
    let row = 0;
    return requests.map((fields) => {
      const out: GenericScore = { score: 0, cls: 0, field: -1, fieldScores: [], fieldClasses: [] };
      for (let f = 0; f < fields.length; f++, row++) {
        const base = row * C;
        const attack = 1 - probs[base]!;
        let cls = 1;
        for (let c = 2; c < C; c++) if (probs[base + c]! > probs[base + cls]!) cls = c;
        out.fieldScores.push(attack);
        out.fieldClasses.push(cls);
        if (attack > out.score) {
          out.score = attack;
          out.cls = cls;
          out.field = f;
        }
      }
      return out;
    });
  }

  explain(field: Field, cls: number): Evidence {
    return explainField(this.weights, this.meta.featurizer, field, cls);
  }
}
