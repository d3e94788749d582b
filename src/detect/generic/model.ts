/**
 * The generic attack model at run time: an ONNX sparse linear classifier over field features. It
 * scores every field of a batch of requests in one onnxruntime call, and explains a flagged field
 * from the same weights.
 */
import { readFileSync } from "node:fs";
import type { Field, FieldLocation } from "../fields.ts";
import { featurizeField, FEATURIZER_VERSION, type FeaturizerSettings } from "../featurize.ts";
import { readLinearOnnx } from "../onnx/linear.ts";
import { SparseLinearSession } from "../onnx/session.ts";
import type { SoftmaxWeights } from "./softmax.ts";
import { explainField, type Evidence } from "./explain.ts";
import { GenerationalCache } from "../../core/generational-cache.ts";

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

/** Per request: the attack probability of its most suspicious field. */
export interface GenericScore {
  score: number;
  /** Index into CLASSES of the most likely attack class of that field. */
  cls: number;
  /** Attack probability of every field, in field order. */
  fieldScores: number[];
  fieldClasses: number[];
}

export function encodeMetadata(m: GenericMetadata): Record<string, string> {
  return { "moat.model": JSON.stringify(m) };
}

/** Field scores remembered: real traffic repeats its user agents, referers, paths and many values. */
const CACHE_ENTRIES = 100_000;
const EXPLANATION_ENTRIES = 10_000;
/** Longer values are rarely repeated and would make the cache heavy: they are always scored. */
const CACHE_MAX_RAW = 256;

/** Attack probability and most likely attack class of one field. */
type FieldScore = [number, number];

/** A value's scores by location (the same text can mean another thing in a path than in a cookie). */
const LOCATION_SLOT: Record<FieldLocation, number> = { path: 0, query: 1, body: 2, cookie: 3, header: 4 };
type ScoresByLocation = (FieldScore | undefined)[];

export class GenericModel {
  /**
   * Raw text → its scores by location. Keyed by the text alone, not `location + text`: building that
   * key string for every field cost more than the lookup.
   */
  private readonly cache = new GenerationalCache<string, ScoresByLocation>(CACHE_ENTRIES);
  private readonly explanations = new GenerationalCache<string, Evidence>(EXPLANATION_ENTRIES);
  cacheHits = 0;
  cacheMisses = 0;

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

  /**
   * Attack probability and most likely attack class of each field, through the cache. A value that
   * repeats within the batch is featurized and scored once.
   */
  private async scoreFields(fields: Field[]): Promise<FieldScore[]> {
    const out: FieldScore[] = new Array(fields.length);
    const toScore: Field[] = [];
    // For each field not served from the cache, the row of `toScore` that scores it.
    const rowOf = new Int32Array(fields.length).fill(-1);
    const pending = new Map<string, number[]>();
    fields.forEach((f, i) => {
      const slot = LOCATION_SLOT[f.location];
      const cacheable = f.raw.length <= CACHE_MAX_RAW;
      const hit = cacheable ? this.cache.get(f.raw)?.[slot] : undefined;
      if (hit) {
        out[i] = hit;
        this.cacheHits++;
        return;
      }
      this.cacheMisses++;
      if (!cacheable) {
        rowOf[i] = toScore.push(f) - 1;
        return;
      }
      let rows = pending.get(f.raw);
      if (!rows) pending.set(f.raw, (rows = []));
      rows[slot] ??= toScore.push(f) - 1;
      rowOf[i] = rows[slot]!;
    });
    if (!toScore.length) return out;
    const probs = await this.session.run(toScore.map((f) => featurizeField(f, this.meta.featurizer)));
    const C = this.weights.classes;
    const scored = toScore.map((f, row): FieldScore => {
      const base = row * C;
      let cls = 1;
      for (let c = 2; c < C; c++) if (probs[base + c]! > probs[base + cls]!) cls = c;
      const result: FieldScore = [1 - probs[base]!, cls];
      if (f.raw.length <= CACHE_MAX_RAW) {
        const slots = this.cache.get(f.raw) ?? [];
        slots[LOCATION_SLOT[f.location]] = result;
        this.cache.set(f.raw, slots);
      }
      return result;
    });
    rowOf.forEach((row, i) => {
      if (row >= 0) out[i] = scored[row]!;
    });
    return out;
  }

  /** Scores all fields of all requests in one batch. */
  async score(requests: Field[][]): Promise<GenericScore[]> {
    const scored = await this.scoreFields(requests.flat());
    let k = 0;
    return requests.map((fields) => {
      const out: GenericScore = { score: 0, cls: 0, fieldScores: [], fieldClasses: [] };
      for (let f = 0; f < fields.length; f++) {
        const [attack, cls] = scored[k++]!;
        out.fieldScores.push(attack);
        out.fieldClasses.push(cls);
        if (attack > out.score) {
          out.score = attack;
          out.cls = cls;
        }
      }
      return out;
    });
  }

  /** The evidence for a field (remembered like the scores: attacks repeat as much as benign values). */
  explain(field: Field, cls: number): Evidence {
    if (field.raw.length > CACHE_MAX_RAW) return explainField(this.weights, this.meta.featurizer, field, cls);
    const key = `${field.location}\0${cls}\0${field.raw}`;
    let evidence = this.explanations.get(key);
    if (!evidence) {
      evidence = explainField(this.weights, this.meta.featurizer, field, cls);
      this.explanations.set(key, evidence);
    }
    return evidence;
  }
}
