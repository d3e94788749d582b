/** The common ending of a bench script: run main, map known errors to their exit codes. */
import { EXIT } from "../../cli/exit-codes.ts";

/** An expected failure of a bench (bad input, a tool that miscounted), with its exit code. */
export class BenchError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

/** `--help`: not a failure; its message is the usage, for stdout. */
export class BenchHelp extends BenchError {
  constructor(usage: string) {
    super(usage, EXIT.ok);
  }
}

export async function runBench(main: (argv: string[]) => Promise<number>, log: (msg: string) => void): Promise<void> {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (e instanceof BenchHelp) {
      process.stdout.write(`${e.message}\n`);
      process.exitCode = e.exitCode;
    } else if (e instanceof BenchError) {
      log(e.message);
      process.exitCode = e.exitCode;
    } else if (err?.code === "ENOENT") {
      log(err.message);
      process.exitCode = EXIT.noInput;
    } else {
      log(`internal error: ${err?.stack ?? String(e)}`);
      process.exitCode = EXIT.software;
    }
  }
}
