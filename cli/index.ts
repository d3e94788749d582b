#!/usr/bin/env bun
/** The `moat` command line: a thin shell over src/. */
import { Command, CommanderError } from "commander";
import { COMMIT, VERSION } from "../src/version.ts";
import { InputError } from "../src/ingest/batch.ts";
import { CliError, EXIT } from "./exit-codes.ts";
import { scanCommand } from "./commands/scan.ts";
import { explainCommand } from "./commands/explain.ts";
import { checkCommand } from "./commands/check.ts";
import { trainCommand } from "./commands/train.ts";
import { evalCommand } from "./commands/eval.ts";
import { modelCommand } from "./commands/model.ts";
import { serveCommand } from "./commands/serve.ts";
import { initCommand } from "./commands/init.ts";
import { dbCommand } from "./commands/db.ts";
import { doctorCommand } from "./commands/doctor.ts";
import { apikeyCommand } from "./commands/apikey.ts";

export function buildProgram(): Command {
  const program = new Command("moat")
    .description("Self-hosted web-attack detection: reads nginx logs, scores every request, explains why.")
    .version(`moat ${VERSION} (commit ${COMMIT})`, "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  program.addCommand(scanCommand());
  program.addCommand(explainCommand());
  program.addCommand(checkCommand());
  program.addCommand(trainCommand());
  program.addCommand(evalCommand());
  program.addCommand(modelCommand());
  program.addCommand(serveCommand());
  program.addCommand(initCommand());
  program.addCommand(dbCommand());
  program.addCommand(doctorCommand());
  program.addCommand(apikeyCommand());
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

function exitCodeFor(e: unknown): { code: number; message?: string } {
  if (e instanceof CommanderError) {
    // --help and --version end with exitCode 0; every other commander error is a usage error.
    return { code: e.exitCode === 0 ? EXIT.ok : EXIT.usage };
  }
  if (e instanceof CliError) return { code: e.exitCode, message: e.message };
  if (e instanceof InputError) return { code: EXIT.noInput, message: e.message };
  const err = e as NodeJS.ErrnoException;
  if (err?.code === "ENOENT" || err?.code === "EACCES" || err?.code === "EISDIR") return { code: EXIT.noInput, message: err.message };
  if (err?.code === "ENOSPC" || err?.code === "EPIPE") return { code: EXIT.ioError, message: err.message };
  return { code: EXIT.software, message: `internal error: ${err?.stack ?? String(e)}` };
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return Number(process.exitCode ?? EXIT.ok);
  } catch (e) {
    const { code, message } = exitCodeFor(e);
    if (message) console.error(`moat: ${message}`);
    return code;
  }
}

if (import.meta.main) process.exit(await main(process.argv));
