import { Command } from "commander";
import { existsSync, writeFileSync } from "node:fs";
import { makePrivateDir } from "../../src/core/private-files.ts";
import { join } from "node:path";
import { readRequests } from "../../src/ingest/read.ts";
import { Rejections } from "../../src/parse/rejections.ts";
import { GenericModel } from "../../src/detect/generic/model.ts";
import { BUNDLED_GENERIC_MODEL } from "../../src/detect/detector.ts";
import { SITE_TARGET_FPR, trainSiteModel, type SiteTrainResult } from "../../src/training/site/train.ts";
import { retrainWithGate, type GateReport } from "../../src/training/site/retrain.ts";
import { promote, rejectedPath } from "../../src/detect/site/model-dir.ts";
import { tidyModelDirSaying } from "./model.ts";
import { payloadLinesFrom } from "../detect-options.ts";
import { addInputOptions, formatOptions, type InputFlags } from "./scan.ts";
import { createProgress } from "../progress.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { warn, writeText } from "../output.ts";

interface TrainFlags extends InputFlags {
  from?: string[];
  out: string;
  targetFpr?: string;
  payloads?: string;
  generic?: boolean;
  data?: string;
  seed: string;
  force?: boolean;
}

type GenericBuild = typeof import("../../src/training/generic/build.ts") & typeof import("../../src/training/generic/card.ts");

/**
 * The generic model's build, loaded from the source tree when asked for: its corpus generators pull
 * in faker's locales, which the single binary must not carry. The specifier is computed, so the
 * bundler does not follow it; from the binary, rebuilding the generic model needs a source checkout.
 */
async function loadGenericBuild(): Promise<GenericBuild> {
  const dir = join(import.meta.dir, "../../src/training/generic");
  if (!existsSync(join(dir, "build.ts"))) throw new CliError("moat train --generic runs from a source checkout (bun run moat train --generic ...): the binary does not carry the corpus generators", EXIT.usage);
  const [build, card] = await Promise.all([import(join(dir, "build.ts")), import(join(dir, "card.ts"))]);
  return { ...build, ...card };
}

function gateLines(g: GateReport): string[] {
  const side = (name: string, x: { version: string; fpr: number; tpr: number }) => `${name.padEnd(10)} FPR ${(x.fpr * 100).toFixed(3)}%  TPR ${(x.tpr * 100).toFixed(2)}%  (${x.version})`;
  return [
    `regression gate on ${g.heldOut} held-out recent requests and ${g.attacks} attacks injected into them:`,
    ...(g.live ? [`  ${side("live", g.live)}`] : []),
    `  ${side("candidate", g.candidate)}`,
    g.pass ? "  passed" : `  FAILED: ${g.failures.join("; ")}`,
  ];
}

function stage(label: string) {
  const started = performance.now();
  return (s: string, detail?: string) => process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${label}: ${s}${detail ? ` (${detail})` : ""}\n`);
}

/** Per-batch "read" progress is already on the terminal line: the log gets the stages only. */
function quietRead(log: (s: string, detail?: string) => void) {
  return (s: string, detail?: string) => {
    if (s !== "read") log(s, detail);
  };
}

/** The site's traffic as a stream of batches, with progress on the terminal. */
function readTraffic(paths: string[], flags: InputFlags, rejections: Rejections, counted: { requests: number }) {
  const progress = createProgress();
  return (async function* () {
    for await (const batch of readRequests(paths, formatOptions(flags), rejections, {
      onProgress: (input) => progress.update({ label: `training on ${input.name}`, done: counted.requests, unit: "requests" }),
      onInputError: (_, e) => warn(e.message),
    })) {
      counted.requests += batch.length;
      yield batch;
    }
    progress.finish();
  })();
}

export function trainCommand(): Command {
  const cmd = new Command("train")
    .description("learn a site model from the site's own traffic (--from), or rebuild the generic model (--generic)")
    .option("--from <paths...>", "access logs or raw requests of the site (mostly benign; a few percent of attacks are tolerated)")
    .option("-o, --out <dir>", "where to write the model", "moat-model")
    .option("--target-fpr <x>", `false-positive rate the threshold is calibrated to, on held-out traffic (default: ${SITE_TARGET_FPR} for a site model, the shipped model's for --generic)`)
    .option("--payloads <dir>", "payload lists (<class>.txt) to inject when sharpening the site model; only their training split is used (default: the built-in grammar)")
    .option("--generic", "rebuild the generic attack model from the shared datasets (--data)")
    .option("--data <dir>", "the datasets folder, for --generic")
    .option("--seed <n>", "random seed", "7")
    .option("--force", "replace the live model even when the candidate fails the regression gate");
  addInputOptions(cmd);
  return cmd.action(async (flags: TrainFlags) => {
    const targetFprFlag = flags.targetFpr === undefined ? undefined : Number(flags.targetFpr);
    if (targetFprFlag !== undefined && !(targetFprFlag > 0 && targetFprFlag < 0.5)) throw new CliError(`--target-fpr must be between 0 and 0.5, got ${flags.targetFpr}`, EXIT.usage);
    const seed = Number(flags.seed);
    // A site model is learned from the site's traffic: only Moat's user may read it (a generic build too, for simplicity).
    makePrivateDir(flags.out);
    if (flags.generic) {
      if (!flags.data) throw new CliError("--generic needs --data <datasets folder>", EXIT.usage);
      const { buildGenericModel, DEFAULT_GENERIC_BUILD, NoCalibrationData, realTraffic, renderGenericCard } = await loadGenericBuild();
      const targetFpr = targetFprFlag ?? DEFAULT_GENERIC_BUILD.targetFpr;
      const result = await buildGenericModel({ ...DEFAULT_GENERIC_BUILD, ...(await realTraffic(flags.data)), datasets: flags.data, targetFpr, seed, progress: stage("generic") }).catch((e: unknown) => {
        throw e instanceof NoCalibrationData ? new CliError(e.message, EXIT.dataError) : e;
      });
      writeFileSync(join(flags.out, "model.onnx"), result.bytes);
      const card = renderGenericCard(result, process.argv.slice(2).join(" "));
      writeFileSync(join(flags.out, "MODEL_CARD.md"), card);
      await writeText(card);
      return;
    }
    if (!flags.from?.length) throw new CliError("give the site's traffic with --from <paths...> (or --generic --data <dir>)", EXIT.usage);
    tidyModelDirSaying(flags.out);
    const rejections = new Rejections();
    const counted = { requests: 0 };
    const generic = await GenericModel.fromFile(BUNDLED_GENERIC_MODEL);
    const payloads = flags.payloads ? payloadLinesFrom(flags.payloads, "train").map((p) => p.payload) : undefined;
    const liveFile = join(flags.out, "site.onnx");
    const targetFpr = targetFprFlag ?? SITE_TARGET_FPR;
    const options = { targetFpr, seed, payloads, progress: quietRead(stage("train")) };
    const traffic = readTraffic(flags.from, flags, rejections, counted);
    let result: SiteTrainResult;
    let gate: GateReport | null = null;
    try {
      if (existsSync(liveFile)) {
        // A model is live here: the candidate must not do worse before it replaces it.
        ({ trained: result, gate } = await retrainWithGate(traffic, generic, { ...options, liveDir: flags.out }));
      } else {
        result = await trainSiteModel(traffic, generic, options);
      }
    } catch (e) {
      throw new CliError((e as Error).message, EXIT.dataError);
    }
    if (gate && !gate.pass && !flags.force) {
      const rejected = rejectedPath(flags.out, result.meta.version);
      writeFileSync(rejected, result.bytes);
      await writeText([...gateLines(gate), `the live model stays; the candidate is kept as ${rejected} (use --force to install it anyway)`, ""].join("\n"));
      process.exitCode = EXIT.dataError;
      return;
    }
    promote(flags.out, result.bytes, result.meta.version);
    const c = result.meta.calibration;
    await writeText(
      [
        `site model written to ${join(flags.out, "site.onnx")} (${result.meta.version})`,
        `requests read        ${counted.requests} (${rejections.total} lines rejected)`,
        `left out as attacks  ${c.droppedAsAttacks} (flagged by the generic model)`,
        `profile / scorer / calibration  ${c.profileRequests} / ${c.scorerNegatives} real + ${c.scorerPositives} synthetic / ${c.calibrationRequests}`,
        `endpoints learned    ${c.endpoints}`,
        `threshold            ${result.meta.threshold.toFixed(6)} for target FPR ${targetFpr}`,
        `calibration FPR      ${(c.calibrationFpr * 100).toFixed(3)}% on ${c.calibrationRequests} held-out requests`,
        `synthetic TPR        ${(c.syntheticTpr * 100).toFixed(2)}% on attacks made from held-out requests`,
        ...(gate ? gateLines(gate) : []),
        "",
      ].join("\n"),
    );
  });
}
