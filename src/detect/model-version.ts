/** The version a Moat model file carries in its metadata (generic and site models alike), without loading it into onnxruntime. */
import { readFileSync } from "node:fs";
import { onnx } from "onnx-proto";
import { metadataOf } from "./onnx/proto.ts";

export function modelVersionOf(path: string): string {
  const meta = metadataOf(onnx.ModelProto.decode(readFileSync(path)))["moat.model"];
  if (!meta) throw new Error(`${path} is not a Moat model (no moat.model metadata)`);
  return (JSON.parse(meta) as { version: string }).version;
}
