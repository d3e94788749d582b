/**
 * Writing to stdout with back-pressure, so that `moat scan --ndjson | slow-consumer` stays in bounded memory.
 *
 * Everything printed for a person goes through writeText or warn, which make control characters
 * visible (escapeControls): log lines, paths, names and model metadata are attacker text, and must not
 * drive the terminal. A value that may hold a line break of its own (a table cell, a path) is escaped
 * where it is put into the text, so that it cannot forge a line. JSON goes out through safeJson.
 */
import { once } from "node:events";
import { escapeControls } from "../src/core/control-chars.ts";
import { CliError, EXIT } from "./exit-codes.ts";

/** Text for a terminal: every control character made visible except the line breaks that separate its lines. */
export function terminalText(text: string): string {
  return text.split("\n").map(escapeControls).join("\n");
}

/** Human-readable output on stdout (see terminalText). */
export function writeText(text: string): Promise<void> {
  return writeOut(terminalText(text));
}

/** A message for the user on stderr, after `moat: ` (see terminalText). */
export function warn(message: string): void {
  console.error(`moat: ${terminalText(message)}`);
}

/** Bytes for a program (JSON, NDJSON, CSV, a key), as they are. */
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
    warn(`cannot write to standard output: ${e.message}`);
    process.exit(EXIT.ioError);
  });
}
