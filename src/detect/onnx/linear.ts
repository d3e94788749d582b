/**
 * Writes and reads the ONNX file of a sparse linear classifier, with onnx-proto (protobufjs).
 * The graph takes a padded batch of sparse vectors — `idx` int32 [N,K] and `val` float [N,K] — and
 * computes softmax(Σ_k val·W[idx] + b): a Gather instead of a dense MatMul, so that 2^18 hashed
 * features cost only their non-zeros. Model facts (classes, featurizer settings, threshold) travel in
 * the file's metadata_props, so one file is the whole model.
 */
import { onnx } from "onnx-proto";
import { FLOAT, INT, INT32, INT64, floatTensor, initializers, metadataOf, modelProto, tensorFloats, valueInfo } from "./proto.ts";
import type { SoftmaxWeights } from "../generic/softmax.ts";

/** A tensor carried in the file beside the graph (another model's weights that travel with this one). */
export interface ExtraTensor {
  name: string;
  dims: number[];
  data: Float32Array;
}

export function exportLinearOnnx(w: SoftmaxWeights, metadata: Record<string, string>, extra: ExtraTensor[] = []): Uint8Array {
  const graph: onnx.IGraphProto = {
    name: "moat_sparse_linear",
    node: [
      { opType: "Gather", input: ["W", "idx"], output: ["rows"], attribute: [{ name: "axis", type: INT, i: 0 }] },
      // [N,1,K] × [N,K,C] → [N,1,C]: one batched MatMul instead of a Mul and a ReduceSum over [N,K,C].
      { opType: "Unsqueeze", input: ["val", "axis1"], output: ["val3"] },
      { opType: "MatMul", input: ["val3", "rows"], output: ["summed3"] },
      { opType: "Squeeze", input: ["summed3", "axis1"], output: ["summed"] },
      { opType: "Add", input: ["summed", "b"], output: ["logits"] },
      { opType: "Softmax", input: ["logits"], output: ["probs"], attribute: [{ name: "axis", type: INT, i: -1 }] },
    ],
    initializer: [
      floatTensor("W", [w.buckets, w.classes], w.W),
      floatTensor("b", [w.classes], w.b),
      { name: "axis1", dims: [1], dataType: INT64, int64Data: [1] },
      ...extra.map((t) => floatTensor(t.name, t.dims, t.data)),
    ],
    input: [valueInfo("idx", INT32, ["N", "K"]), valueInfo("val", FLOAT, ["N", "K"])],
    output: [valueInfo("probs", FLOAT, ["N", w.classes])],
  };
  return modelProto(graph, metadata);
}

/** The weights and metadata back from the file (for explanations; scoring goes through onnxruntime). */
export function readLinearOnnx(bytes: Uint8Array): { weights: SoftmaxWeights; metadata: Record<string, string>; extra: Map<string, onnx.ITensorProto> } {
  const model = onnx.ModelProto.decode(bytes);
  const init = initializers(model);
  const W = init.get("W");
  const b = init.get("b");
  if (!W || !b || !W.dims || W.dims.length !== 2) throw new Error("not a Moat linear model: W or b missing");
  return {
    weights: { W: tensorFloats(W), b: tensorFloats(b), buckets: Number(W.dims[0]), classes: Number(W.dims[1]) },
    metadata: metadataOf(model),
    extra: init,
  };
}
