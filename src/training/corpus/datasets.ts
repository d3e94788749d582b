/**
 * Benign and attack samples from the shared public datasets, each with a fixed train/test split:
 * HttpParamsDataset (its own train and test files) and open-appsec's legitimate queries (split by a
 * hash of the query string).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseParams } from "../../parse/decode.ts";
import type { ClassLabel } from "../../detect/classes.ts";
import { splitPoint, type Sample } from "./sample.ts";

/** legit-queries sides: 30% test (false positives are reported on it), 20% calibration (the threshold), 50% train. */
export type LegitSide = "train" | "calibration" | "test";
function legitSide(query: string): LegitSide {
  const p = splitPoint(query);
  return p < 0.3 ? "test" : p < 0.5 ? "calibration" : "train";
}

const HTTPPARAMS_CLASS: Record<string, ClassLabel> = { norm: "benign", sqli: "sqli", xss: "xss", "path-traversal": "traversal", cmdi: "cmdi" };

/** Minimal CSV reader for the dataset's quoted `payload,length,attack_type,label` rows. */
function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(cell); cell = ""; }
    else if (c === "\n") { row.push(cell); rows.push(row); row = []; cell = ""; }
    else if (c !== "\r") cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

/** HttpParamsDataset: `payload_train.csv` or `payload_test.csv`; values are sent URL-encoded as query values. */
export function httpParamsSamples(datasets: string, file: "payload_train.csv" | "payload_test.csv"): Sample[] {
  const path = join(datasets, "httpparams", file);
  if (!existsSync(path)) return [];
  return csvRows(readFileSync(path, "utf8")).slice(1).flatMap(([payload, , type]) => {
    const label = HTTPPARAMS_CLASS[type ?? ""];
    if (payload === undefined || !label) return [];
    return [{ location: "query" as const, name: "p", raw: encodeURIComponent(payload), label, source: `httpparams:${type}` }];
  });
}

/** open-appsec's legitimate queries, relative to the datasets folder. */
export const LEGIT_QUERIES_FILE = "legit-queries/openappsec-legitimate-6.json";

/** The legitimate query strings of one side of the split. */
export function legitQueries(datasets: string, side: LegitSide): string[] {
  const path = join(datasets, LEGIT_QUERIES_FILE);
  if (!existsSync(path)) return [];
  return (JSON.parse(readFileSync(path, "utf8")) as string[]).filter((q) => legitSide(q) === side);
}

/** Every parameter value of the legitimate queries of one side, as benign samples. */
export function legitQuerySamples(datasets: string, side: LegitSide): Sample[] {
  return legitQueries(datasets, side).flatMap((q) => parseParams(q, "query").map((p) => ({ location: "query" as const, name: p.name, raw: p.rawValue, label: "benign" as const, source: "legit-queries" })));
}
