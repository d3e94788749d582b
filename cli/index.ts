#!/usr/bin/env bun
/** The `moat` command line: a thin shell over src/. */
import { Command, CommanderError } from "commander";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { COMMIT, VERSION } from "../src/version.ts";
import { modelVersionOf } from "../src/detect/model-version.ts";
import { BUNDLED_GENERIC_MODEL } from "../src/detect/detector.ts";
import { configFrom } from "./config-options.ts";
import { InputError } from "../src/ingest/batch.ts";
import { FormatDetectionError } from "../src/parse/formats.ts";
import { CliError, EXIT } from "./exit-codes.ts";
import { exitQuietlyOnEpipe, terminalText, warn } from "./output.ts";
import { scanCommand } from "./commands/scan.ts";
import { explainCommand } from "./commands/explain.ts";
import { checkCommand } from "./commands/check.ts";
import { trainCommand } from "./commands/train.ts";
import { evalCommand } from "./commands/eval.ts";
import { modelCommand } from "./commands/model.ts";
import { serveCommand } from "./commands/serve.ts";
import { hubCommand } from "./commands/hub.ts";
import { initCommand } from "./commands/init.ts";
import { dbCommand } from "./commands/db.ts";
import { doctorCommand } from "./commands/doctor.ts";
import { apikeyCommand } from "./commands/apikey.ts";
import { decisionsCommand } from "./commands/decisions.ts";

/** `moat --version`: the build, the generic model it ships, and the site model the configuration points at. */
function versionText(): string {
  const lines = [`moat ${VERSION} (commit ${COMMIT})`, `generic model  ${modelVersionOf(BUNDLED_GENERIC_MODEL)} (shipped)`];
  try {
    const dir = configFrom({}).config.detect.model_dir;
    const site = join(dir, "site.onnx");
    lines.push(existsSync(site) ? `site model     ${modelVersionOf(site)} (active: ${site})` : `site model     none in ${dir} (the generic model judges alone)`);
  } catch (e) {
    lines.push(`site model     unknown: ${(e as Error).message}`);
  }
  return lines.join("\n") + "\n";
}

export function buildProgram(): Command {
  const program = new Command("moat")
    .description("Self-hosted web-attack detection: reads nginx logs, scores every request, explains why.")
    .option("-V, --version", "print the version, the commit and the model versions")
    .on("option:version", () => {
      process.stdout.write(terminalText(versionText()));
      throw new CommanderError(0, "commander.version", "");
    })
    .showHelpAfterError("(run with --help for usage)");
  program.addCommand(scanCommand());
  program.addCommand(explainCommand());
  program.addCommand(checkCommand());
  program.addCommand(trainCommand());
  program.addCommand(evalCommand());
  program.addCommand(modelCommand());
  program.addCommand(serveCommand());
  program.addCommand(hubCommand());
  program.addCommand(initCommand());
  program.addCommand(dbCommand());
  program.addCommand(doctorCommand());
  program.addCommand(apikeyCommand());
  program.addCommand(decisionsCommand());
  exitOverrideAll(program);
  return program;
}

/** Commander errors are thrown, not exited on, at every depth (`moat db stats` as well as `moat scan`), so main() maps them to exit codes. */
function exitOverrideAll(cmd: Command): void {
  cmd.exitOverride();
  for (const sub of cmd.commands) exitOverrideAll(sub);
}

function exitCodeFor(e: unknown): { code: number; message?: string } {
  if (e instanceof CommanderError) {
    // --help and --version end with exitCode 0; every other commander error is a usage error.
    return { code: e.exitCode === 0 ? EXIT.ok : EXIT.usage };
  }
  if (e instanceof CliError) return { code: e.exitCode, message: e.message };
  if (e instanceof InputError) return { code: EXIT.noInput, message: e.message };
  if (e instanceof FormatDetectionError) return { code: EXIT.dataError, message: e.message };
  const err = e as NodeJS.ErrnoException;
  if (err?.code === "ENOENT" || err?.code === "EACCES" || err?.code === "EISDIR") return { code: EXIT.noInput, message: err.message };
  if (err?.code === "EPIPE") return { code: EXIT.ok }; // the reader went away: quiet, as ClosedPipe (cli/output.ts)
  if (err?.code === "ENOSPC") return { code: EXIT.ioError, message: err.message };
  return { code: EXIT.software, message: `internal error: ${err?.stack ?? String(e)}` };
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return Number(process.exitCode ?? EXIT.ok);
  } catch (e) {
    const { code, message } = exitCodeFor(e);
    if (message) warn(message);
    return code;
  }
}

if (import.meta.main) {
  exitQuietlyOnEpipe(); // process-wide: stdout belongs to the process, not to one run of main()
  process.exit(await main(process.argv));
}
