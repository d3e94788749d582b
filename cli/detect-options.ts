/** --model / --threshold, shared by the commands that judge requests. */
import { Command } from "commander";
import { Detector } from "../src/detect/detector.ts";
import { loadPayloadLines, type PayloadLine } from "../src/training/corpus/attacks.ts";
import { CliError, EXIT } from "./exit-codes.ts";

export interface DetectFlags {
  model?: string;
  threshold?: string;
}

export function addDetectOptions(cmd: Command): Command {
  return cmd
    .option("-m, --model <dir>", "site model directory (from moat train) or site.onnx; without it the bundled generic model decides alone")
    .option("-t, --threshold <x>", "flag at this score instead of the model's calibrated threshold (0..1)");
}

function parseThreshold(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = Number(value);
  if (!Number.isFinite(t) || t < 0 || t > 1) throw new CliError(`--threshold must be a number from 0 to 1, got ${value}`, EXIT.usage);
  return t;
}

export async function loadDetector(flags: DetectFlags, explainAll = false): Promise<Detector> {
  const threshold = parseThreshold(flags.threshold);
  try {
    return await Detector.load({ site: flags.model, threshold, explainAll });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ENOENT") throw new CliError(`model not found: ${err.path ?? flags.model}. Train one with: moat train --from <access logs> --out <dir>`, EXIT.noInput);
    throw new CliError(`cannot load the model: ${err.message}`, EXIT.dataError);
  }
}

/** One side of the payload lists' split, from `<dir>/payloads/<class>.txt` or the payloads folder itself; none is an error. */
export function payloadLinesFrom(dir: string, side: "train" | "test"): PayloadLine[] {
  const lines = loadPayloadLines(dir.replace(/\/payloads\/?$/, ""), side);
  if (!lines.length) throw new CliError(`no payload lists found in ${dir} (expected <dir>/payloads/<class>.txt)`, EXIT.noInput);
  return lines;
}
