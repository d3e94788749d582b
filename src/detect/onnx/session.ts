/**
 * Scoring through onnxruntime-node. The runtime is imported lazily, once, so that a compiled binary
 * can make its shared library loadable first (see the deployment notes) and so that commands that
 * never score do not pay for loading it.
 */
import type { InferenceSession, Tensor } from "onnxruntime-node";
import type { SparseVector } from "../featurize.ts";
import { prepareOrtLibrary } from "./native.ts";

type Ort = typeof import("onnxruntime-node");
let ort: Promise<Ort> | null = null;

function loadOrt(): Promise<Ort> {
  ort ??= prepareOrtLibrary().then(() => import("onnxruntime-node"));
  return ort;
}

/** A session of a sparse linear model (see linear.ts); runs padded batches. */
export class SparseLinearSession {
  private constructor(private readonly ort: Ort, private readonly session: InferenceSession, readonly classes: number) {}

  static async create(bytes: Uint8Array, classes: number): Promise<SparseLinearSession> {
    const ort = await loadOrt();
    // Two cores: one intra-op thread keeps the other free for parsing and I/O.
    // No CPU arena: it keeps the largest batch's buffers for good, which long-running serve cannot afford.
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: "all", enableCpuMemArena: false, enableMemPattern: false });
    return new SparseLinearSession(ort, session, classes);
  }

  /**
   * Class probabilities, row-major [vectors.length][classes]. Vectors are grouped by size into
   * chunks of bounded padded area, so that one long field does not pad a whole batch to its length.
   */
  async run(vectors: SparseVector[]): Promise<Float32Array> {
    const C = this.classes;
    const out = new Float32Array(vectors.length * C);
    const order = bySize(vectors);
    for (let i = 0; i < order.length; ) {
      let j = i;
      // Sorted by size, so the chunk's padded width is its last vector's size.
      while (j < order.length && (j - i + 1) * Math.max(1, vectors[order[j]!]!.idx.length) <= MAX_PADDED_CELLS) j++;
      if (j === i) j = i + 1;
      const probs = await this.runPadded(vectors, order.subarray(i, j));
      for (let row = 0; row < j - i; row++) {
        const to = order[i + row]! * C;
        for (let c = 0; c < C; c++) out[to + c] = probs[row * C + c]!;
      }
      i = j;
    }
    return out;
  }

  /** Runs the vectors `rows` names as one padded batch. */
  private async runPadded(vectors: SparseVector[], rows: Int32Array): Promise<Float32Array> {
    const n = rows.length;
    let k = 1;
    for (const r of rows) if (vectors[r]!.idx.length > k) k = vectors[r]!.idx.length;
    const idx = new Int32Array(n * k);
    const val = new Float32Array(n * k);
    for (let i = 0; i < n; i++) {
      const v = vectors[rows[i]!]!;
      idx.set(v.idx, i * k);
      val.set(v.val, i * k);
    }
    const feeds: Record<string, Tensor> = {
      idx: new this.ort.Tensor("int32", idx, [n, k]),
      val: new this.ort.Tensor("float32", val, [n, k]),
    };
    const out = await this.session.run(feeds);
    return out.probs!.data as Float32Array;
  }
}

/** Indices of the vectors by ascending size (a counting sort: sizes are small integers). */
function bySize(vectors: SparseVector[]): Int32Array {
  let max = 0;
  for (const v of vectors) if (v.idx.length > max) max = v.idx.length;
  const starts = new Int32Array(max + 2);
  for (const v of vectors) starts[v.idx.length + 1]!++;
  for (let s = 1; s < starts.length; s++) starts[s]! += starts[s - 1]!;
  const order = new Int32Array(vectors.length);
  vectors.forEach((v, i) => (order[starts[v.idx.length]!++] = i));
  return order;
}

/** Most index cells (rows × padded width) per onnxruntime call: bounds the Gather's temporary [N,K,C]. */
const MAX_PADDED_CELLS = 1 << 16;

/** A session of a dense scorer (see dense.ts): x [N,D] → score [N,1]. */
export class DenseSession {
  private constructor(private readonly ort: Ort, private readonly session: InferenceSession, readonly dims: number) {}

  static async create(bytes: Uint8Array, dims: number): Promise<DenseSession> {
    const ort = await loadOrt();
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    return new DenseSession(ort, session, dims);
  }

  async run(rows: Float32Array[]): Promise<Float32Array> {
    if (!rows.length) return new Float32Array(0);
    const x = new Float32Array(rows.length * this.dims);
    rows.forEach((r, i) => x.set(r, i * this.dims));
    const out = await this.session.run({ x: new this.ort.Tensor("float32", x, [rows.length, this.dims]) });
    return out.score!.data as Float32Array;
  }
}
