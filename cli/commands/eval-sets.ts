/**
 * The evaluation sets `moat eval` knows by name: the CRS regression tests (`--crs-tests`), blazehttp's
 * benign traffic (`--blazehttp`), the scorecard over the whole datasets folder (`--datasets`) and the
 * payload lists in every part of a request (`--placements`).
 * Every report names the split it measured.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { BLAZEHTTP_REQUESTS, loadBlazeHttp } from "../../src/training/corpus/blazehttp.ts";
import { loadCrsTests } from "../../src/training/corpus/crs.ts";
import type { DevTest, EvalSplit } from "../../src/training/corpus/split.ts";
import { evaluateBlazeHttp, renderBlazeHttp, renderFalsePositives } from "../../src/training/eval/blazehttp.ts";
import { evaluateCrs, renderCrs } from "../../src/training/eval/crs.ts";
import { evaluatePlacements, renderPlacements } from "../../src/training/eval/placements.ts";
import { loadPayloadLines } from "../../src/training/corpus/attacks.ts";
import { met, renderScorecard, scorecard } from "../../src/training/eval/scorecard.ts";
import type { Progress } from "../../src/training/eval/run.ts";
import { loadDetector, type DetectFlags } from "../detect-options.ts";
import { createProgress } from "../progress.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { warn } from "../output.ts";

export interface SetFlags extends DetectFlags {
  crsTests?: string;
  blazehttp?: string;
  datasets?: string;
  split?: string;
  showFp?: string;
  csicModel?: string;
  placements?: string;
  perClass?: string;
}

/** Payloads per class in the placement matrix: 10 placements × 4 spellings × this × the classes. */
const DEFAULT_PER_CLASS = 30;

/** The flags that name a set, and their spelling on the command line. */
const NAMED_SETS = { crsTests: "--crs-tests", blazehttp: "--blazehttp", datasets: "--datasets", placements: "--placements" } as const;

function namedSets(flags: SetFlags): string[] {
  return (Object.keys(NAMED_SETS) as (keyof typeof NAMED_SETS)[]).filter((k) => flags[k]);
}

export function wantsNamedSet(flags: SetFlags): boolean {
  return namedSets(flags).length > 0;
}

function parseSplit(value: string | undefined, fallback: EvalSplit, allowed: EvalSplit[]): EvalSplit {
  const split = (value ?? fallback) as EvalSplit;
  if (!allowed.includes(split)) throw new CliError(`--split must be one of ${allowed.join(", ")}, got ${value}`, EXIT.usage);
  return split;
}

/** `--blazehttp` names the requests file, or the folder that holds it (`blazehttp-benign/`). */
function blazeHttpFile(path: string): string {
  mustExist(path, "blazehttp requests file or folder");
  if (!statSync(path).isDirectory()) return path;
  const file = join(path, BLAZEHTTP_REQUESTS);
  mustExist(file, "blazehttp requests file in the folder");
  return file;
}

function mustExist(path: string, what: string): void {
  if (!existsSync(path)) throw new CliError(`${what} not found: ${path}`, EXIT.noInput);
}

/** A stderr progress line per stage (when stderr is a terminal), plus one line when the stage starts. */
function stageProgress(): (stage: string) => Progress {
  return (stage) => {
    warn(`judging ${stage}`);
    const bar = createProgress();
    return (done, total) => {
      bar.update({ label: stage, done, unit: "requests", fraction: done / total });
      if (done >= total) bar.finish();
    };
  };
}

/** Runs the named-set evaluation the flags ask for and returns its Markdown. */
export async function evaluateNamedSet(flags: SetFlags): Promise<string> {
  if (namedSets(flags).length > 1) throw new CliError(`give one of ${Object.values(NAMED_SETS).join(", ")}`, EXIT.usage);
  const progress = stageProgress();
  if (flags.datasets) {
    if (flags.model) throw new CliError("--datasets judges with the generic model; give a site model trained on CSIC with --csic-model", EXIT.usage);
    mustExist(flags.datasets, "datasets folder");
    const split = parseSplit(flags.split, "test", ["dev", "test"]) as DevTest;
    const detector = await loadDetector(flags);
    const csicDetector = flags.csicModel ? await loadDetector({ ...flags, model: flags.csicModel }) : undefined;
    const rows = await scorecard(detector, { datasets: flags.datasets, split, csicDetector, progress, missing: (set, why) => warn(`${set} left out: ${why}`) });
    warn(`${rows.filter(met).length} of ${rows.length} targets met (split ${split})`);
    return renderScorecard(rows, detector.generic.meta.version, split);
  }
  const split = parseSplit(flags.split, "all", ["dev", "test", "all"]);
  if (flags.placements) {
    mustExist(flags.placements, "datasets folder");
    if (flags.split !== undefined && flags.split !== "test") throw new CliError("--placements measures the payload lists' test split only", EXIT.usage);
    const perClass = Number(flags.perClass ?? DEFAULT_PER_CLASS);
    if (!Number.isInteger(perClass) || perClass < 1) throw new CliError(`--per-class must be a positive count, got ${flags.perClass}`, EXIT.usage);
    const lines = loadPayloadLines(flags.placements, "test");
    if (!lines.length) throw new CliError(`no payload list in ${flags.placements} (payloads/<class>.txt or fuzzdb/)`, EXIT.noInput);
    return renderPlacements(await evaluatePlacements(await loadDetector(flags), lines, perClass, progress("placements")));
  }
  if (flags.crsTests) {
    mustExist(flags.crsTests, "CRS regression tests folder");
    const report = await evaluateCrs(await loadDetector(flags), loadCrsTests(flags.crsTests), split, progress("CRS tests"));
    return renderCrs(report);
  }
  const showFp = flags.showFp === undefined ? 0 : Number(flags.showFp);
  if (!Number.isInteger(showFp) || showFp < 0) throw new CliError(`--show-fp must be a count, got ${flags.showFp}`, EXIT.usage);
  if (showFp && split !== "dev") throw new CliError("--show-fp lists the false positives of the dev sites only (--split dev): the test sites are for measuring, not for tuning", EXIT.usage);
  const file = blazeHttpFile(flags.blazehttp!);
  const report = await evaluateBlazeHttp(await loadDetector(flags), loadBlazeHttp(file), split, progress("blazehttp"));
  return renderBlazeHttp(report) + (showFp ? `\n${renderFalsePositives(report.falsePositives, showFp)}` : "");
}
