import { Command } from "commander";
import { join } from "node:path";
import { SiteModel } from "../../src/detect/site/model.ts";
import { rollback } from "../../src/detect/site/retrain.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { writeOut } from "../output.ts";

export function modelCommand(): Command {
  const cmd = new Command("model").description("inspect a site model directory, or roll it back to the model it replaced");
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
  for (const c of cmd.commands) c.exitOverride();
  return cmd;
}
