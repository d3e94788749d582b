/** Version information; the commit is baked in by `bun run build` (MOAT_COMMIT), or read from git in a checkout. */
import { readFileSync } from "node:fs";
import { onnx } from "onnx-proto";
import pkg from "../package.json" with { type: "json" };
import { metadataOf } from "./detect/onnx/proto.ts";

declare const MOAT_COMMIT: string | undefined;

function commitFromGit(): string {
  try {
    const r = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: import.meta.dir, stderr: "ignore" });
    return r.success ? r.stdout.toString().trim() : "unknown";
  } catch {
    return "unknown";
  }
}

export const VERSION: string = pkg.version;
export const COMMIT: string = typeof MOAT_COMMIT === "string" ? MOAT_COMMIT : commitFromGit();

/** The version a Moat model file carries in its metadata (generic and site models alike), without loading it into onnxruntime. */
export function modelVersionOf(path: string): string {
  const meta = metadataOf(onnx.ModelProto.decode(readFileSync(path)))["moat.model"];
  if (!meta) throw new Error(`${path} is not a Moat model (no moat.model metadata)`);
  return (JSON.parse(meta) as { version: string }).version;
}
