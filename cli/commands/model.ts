import { Command } from "commander";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readSiteMetadata, SiteModel } from "../../src/detect/site/model.ts";
import { rollback, siteModelFiles, tidyModelDir } from "../../src/detect/site/model-dir.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { addOutputOptions, warn, writeListing, writeOut, writeText, type Column, type OutputFlags } from "../output.ts";
import type { SiteModelState } from "../../src/core/enums.ts";
import { escapeControls, safeJson } from "../../src/core/control-chars.ts";

/** Clears what an interrupted write left in a model directory, and says so on stderr. */
export function tidyModelDirSaying(dir: string): void {
  for (const file of tidyModelDir(dir)) warn(`removed ${escapeControls(file)}, left by an interrupted model write`);
}

interface ModelRow {
  state: SiteModelState;
  version: string;
  threshold: number;
  trainedAt: string;
  trainingRequests: number;
  file: string;
}

const MODEL_COLUMNS: Column<ModelRow>[] = [
  ["state", (m) => m.state],
  ["version", (m) => m.version],
  ["threshold", (m) => m.threshold.toFixed(4)],
  ["trained", (m) => m.trainedAt],
  ["requests", (m) => m.trainingRequests],
  ["file", (m) => m.file],
];

export function modelCommand(): Command {
  const cmd = new Command("model").description("inspect a site model directory, or roll it back to the model it replaced");
  const list = cmd
    .command("list")
    .description("the live model, the replaced ones kept for rollback, and rejected candidates")
    .argument("<dir>", "site model directory (from moat train)");
  addOutputOptions(list, ["moat model list /var/lib/moat/model", "moat model list /var/lib/moat/model -o json | jq -r '.[] | select(.state == \"live\") | .version'"]);
  list.action(async (dir: string, flags: OutputFlags) => {
    const entries = siteModelFiles(dir);
    if (!entries.length) throw new CliError(`no site model in ${dir}: train one with moat train --from <access logs> --out ${dir}`, EXIT.noInput);
    const rows: ModelRow[] = entries.map(({ state, file }) => {
      const meta = readSiteMetadata(readFileSync(file));
      if (!meta) throw new CliError(`${file} is not a Moat site model`, EXIT.dataError);
      return { state, version: meta.version, threshold: meta.threshold, trainedAt: meta.trainedAt, trainingRequests: meta.calibration.trainingRequests, file };
    });
    // A model file's metadata is whatever the file says: writeListing escapes every cell.
    await writeListing(flags, { columns: MODEL_COLUMNS, rows, json: rows });
  });
  cmd
    .command("info")
    .description("version, threshold, calibration and what the profile holds")
    .argument("<dir>", "site model directory (from moat train)")
    .action(async (dir: string) => {
      const site = await SiteModel.fromFile(join(dir, "site.onnx")).catch((e: NodeJS.ErrnoException) => {
        throw new CliError(`cannot read ${join(dir, "site.onnx")}: ${e.message}`, e.code === "ENOENT" ? EXIT.noInput : EXIT.dataError);
      });
      const { calibration, ...meta } = site.meta;
      await writeOut(safeJson({ ...meta, calibration, endpoints: Object.keys(site.profile.endpoints).length, profiledRequests: site.profile.requests }, 2) + "\n");
    });
  cmd
    .command("rollback")
    .description("put back the model the last training replaced (the live one is kept, so a second rollback undoes the first)")
    .argument("<dir>", "site model directory")
    .option("--to <version>", "put back the newest kept model of this version instead")
    .action(async (dir: string, flags: { to?: string }) => {
      tidyModelDirSaying(dir);
      let restored;
      try {
        restored = rollback(dir, flags.to);
      } catch (e) {
        throw new CliError(`rollback failed: ${(e as Error).message}`, EXIT.ioError);
      }
      if (!restored) throw new CliError(`no earlier model${flags.to ? ` of version ${flags.to}` : ""} in ${join(dir, "history")} (other than the live one)`, EXIT.dataError);
      await writeText(`restored ${escapeControls(restored.version ?? "a model with no version")} from ${restored.file} as ${join(dir, "site.onnx")} (sha256 ${restored.sha256.slice(0, 16)}, checked); the model it replaced is kept in the history\n`);
    });
  return cmd;
}
