import { Command } from "commander";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readSiteMetadata, SiteModel } from "../../src/detect/site/model.ts";
import { rollback, siteModelFiles } from "../../src/detect/site/retrain.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { writeOut } from "../output.ts";

export function modelCommand(): Command {
  const cmd = new Command("model").description("inspect a site model directory, or roll it back to the model it replaced");
  cmd
    .command("list")
    .description("the live model, the replaced ones kept for rollback, and rejected candidates")
    .argument("<dir>", "site model directory (from moat train)")
    .action(async (dir: string) => {
      const entries = siteModelFiles(dir);
      if (!entries.length) throw new CliError(`no site model in ${dir}: train one with moat train --from <access logs> --out ${dir}`, EXIT.noInput);
      const rows: string[] = [];
      for (const { state, file } of entries) {
        const meta = readSiteMetadata(readFileSync(file));
        if (!meta) throw new CliError(`${file} is not a Moat site model`, EXIT.dataError);
        rows.push(`${state.padEnd(9)} ${meta.version.padEnd(36)} threshold ${meta.threshold.toFixed(4)}  trained ${meta.trainedAt}  on ${meta.calibration.trainingRequests} requests  ${file}`);
      }
      await writeOut(rows.join("\n") + "\n");
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
      await writeOut(JSON.stringify({ ...meta, calibration, endpoints: Object.keys(site.profile.endpoints).length, profiledRequests: site.profile.requests }, null, 2) + "\n");
    });
  cmd
    .command("rollback")
    .description("put back the model the last training replaced")
    .argument("<dir>", "site model directory")
    .action(async (dir: string) => {
      const restored = rollback(dir);
      if (!restored) throw new CliError(`no earlier model in ${join(dir, "history")}`, EXIT.dataError);
      await writeOut(`restored ${restored} as ${join(dir, "site.onnx")}\n`);
    });
  return cmd;
}
