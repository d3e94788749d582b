/** Writing to stdout with back-pressure, so that `moat scan --ndjson | slow-consumer` stays in bounded memory. */
import { once } from "node:events";
import { CliError, EXIT } from "./exit-codes.ts";

export async function writeOut(text: string): Promise<void> {
  if (!text) return;
  try {
    if (!process.stdout.write(text)) await once(process.stdout, "drain");
  } catch (e) {
    throw new CliError(`cannot write to standard output: ${(e as Error).message}`, EXIT.ioError);
  }
}

/** A closed pipe (`moat scan --ndjson | head`) ends the command quietly instead of crashing. */
export function exitQuietlyOnEpipe(): void {
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(EXIT.ok);
    console.error(`moat: cannot write to standard output: ${e.message}`);
    process.exit(EXIT.ioError);
  });
}
