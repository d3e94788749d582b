/**
 * Writing to stdout with back-pressure, so that `moat scan --ndjson | slow-consumer` stays in bounded memory.
 *
 * Everything printed for a person goes through writeText or warn, which make control characters
 * visible (escapeControls): log lines, paths, names and model metadata are attacker text, and must not
 * drive the terminal. A value that may hold a line break of its own (a table cell, a path) is escaped
 * where it is put into the text, so that it cannot forge a line. JSON goes out through safeJson.
 *
 * Every listing (`moat decisions list`, `apikey list`, `model list`, `db stats`) is written by
 * writeListing, so that `-o table|json|csv` means the same everywhere.
 */
import { once } from "node:events";
import { Option, type Command } from "commander";
import { escapeControls, safeJson } from "../src/core/control-chars.ts";
import { csvCell } from "../src/store/export.ts";
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

/**
 * The reader of stdout went away (`moat db export | head -1`). Like `git log | head`, that is not an
 * error: the command stops at once, says nothing, and exits 0, so that `set -o pipefail` scripts that
 * take the first lines do not fail. Thrown (not process.exit) so that open databases are closed.
 */
export class ClosedPipe extends CliError {
  constructor() {
    super("", EXIT.ok);
    this.name = "ClosedPipe";
  }
}

/** Bytes for a program (JSON, NDJSON, CSV, a key), as they are. */
export async function writeOut(text: string): Promise<void> {
  if (!text) return;
  try {
    if (!process.stdout.write(text)) await once(process.stdout, "drain");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EPIPE") throw new ClosedPipe();
    throw new CliError(`cannot write to standard output: ${(e as Error).message}`, EXIT.ioError);
  }
}

/** Installed once for the process (cli/index.ts): a write error that comes as an event rather than from writeOut ends it as writeOut would. */
export function exitQuietlyOnEpipe(): void {
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(EXIT.ok);
    warn(`cannot write to standard output: ${e.message}`);
    process.exit(EXIT.ioError);
  });
}

export const OUTPUT_FORMATS = ["table", "json", "csv"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface OutputFlags {
  output: OutputFormat;
  /** The older spelling of `-o json`, kept for the scripts that use it. */
  json?: boolean;
}

/** Command lines to copy, at the end of the command's --help. */
export function addExamples(cmd: Command, examples: string[]): Command {
  return cmd.addHelpText("after", `\nExamples:\n${examples.map((e) => `  $ ${e}`).join("\n")}\n`);
}

/** `-o table|json|csv` and its `--json` alias, and the command's examples at the end of its --help. */
export function addOutputOptions(cmd: Command, examples: string[]): Command {
  cmd.addOption(new Option("-o, --output <format>", "table for a person; json or csv for a program or a spreadsheet").choices(OUTPUT_FORMATS).default("table")).option("--json", "the same as -o json");
  return addExamples(cmd, examples);
}

/** One column: its name (lowercase, `_` between words: the CSV header; upper-cased for the table) and its cell. */
export type Column<T> = [name: string, cell: (row: T) => string | number | boolean | null];

export interface Listing<T> {
  columns: Column<T>[];
  rows: T[];
  /** What `-o json` prints: the rows with their full, typed values (times as numbers, nulls as null). */
  json: unknown;
  /** The table's text when there is no row: what to do next, for a person. CSV still gets its header. */
  empty?: string;
}

/** Columns padded to their widest cell, two spaces apart; the last one is not padded (a reason or a path can be long). */
function tableText(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((cells) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n") + "\n";
}

/** A listing in the format the flags ask for. CSV cells go through the export's csvCell (formula-looking cells defused). */
export function writeListing<T>(flags: OutputFlags, listing: Listing<T>): Promise<void> {
  const format: OutputFormat = flags.json ? "json" : flags.output;
  if (format === "json") return writeOut(safeJson(listing.json, 2) + "\n");
  const names = listing.columns.map(([name]) => name);
  const cells = listing.rows.map((row) => listing.columns.map(([, cell]) => cell(row)));
  if (format === "csv") return writeOut([names, ...cells].map((r) => r.map(csvCell).join(",")).join("\n") + "\n");
  if (!cells.length && listing.empty) return writeText(`${listing.empty}\n`);
  // Escaped before the widths are taken: a cell with a line break of its own stays on its line.
  const header = names.map((n) => n.toUpperCase().replaceAll("_", " "));
  return writeText(tableText([header, ...cells.map((r) => r.map((c) => escapeControls(c === null ? "" : String(c))))]));
}
