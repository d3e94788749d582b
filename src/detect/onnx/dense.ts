/**
 * A dense logistic scorer as ONNX: sigmoid(X·w + b) over a small feature vector (the site scorer).
 */
import { onnx } from "onnx-proto";
import { FLOAT, floatTensor, initializers, metadataOf, modelProto, tensorFloats, valueInfo } from "./proto.ts";

export interface DenseLogistic {
  w: Float32Array;
  b: number;
}

export function exportDenseLogisticOnnx(model: DenseLogistic, metadata: Record<string, string>): Uint8Array {
  const d = model.w.length;
  return modelProto(
    {
      name: "moat_dense_logistic",
      node: [
        { opType: "MatMul", input: ["x", "w"], output: ["xw"] },
        { opType: "Add", input: ["xw", "b"], output: ["z"] },
        { opType: "Sigmoid", input: ["z"], output: ["score"] },
      ],
      initializer: [floatTensor("w", [d, 1], model.w), floatTensor("b", [1], Float32Array.of(model.b))],
      input: [valueInfo("x", FLOAT, ["N", d])],
      output: [valueInfo("score", FLOAT, ["N", 1])],
    },
    metadata,
  );
}

export function readDenseLogisticOnnx(bytes: Uint8Array): { model: DenseLogistic; metadata: Record<string, string> } {
  const proto = onnx.ModelProto.decode(bytes);
  const init = initializers(proto);
  const w = init.get("w");
  const b = init.get("b");
  if (!w || !b) throw new Error("not a Moat dense scorer: w or b missing");
  return { model: { w: tensorFloats(w), b: tensorFloats(b)[0] ?? 0 }, metadata: metadataOf(proto) };
}
