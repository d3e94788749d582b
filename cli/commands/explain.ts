import { Command } from "commander";
import { isParseError, type ParseError } from "../../src/core/http-request.ts";
import { createParser, DETECTED_LINE_FORMATS, FormatDetectionError, parserFor } from "../../src/parse/formats.ts";
import { AmbiguousFormatError } from "../../src/parse/detect.ts";
import type { Explanation, Parser } from "../../src/parse/parser.ts";
import { addInputOptions, formatOptions, type InputFlags } from "./scan.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { writeText } from "../output.ts";
import { escapeControls, safeJson } from "../../src/core/control-chars.ts";

const ORIGIN = { source: "argument" };

/** A piece of the line as shown: JSON-escaped, and with no control or bidi character left raw. */
const shown = (text: string) => escapeControls(JSON.stringify(text).slice(1, -1));

function showFailure(line: string, error: ParseError): string {
  const out = [`${error.format}: ${error.reason}`];
  if (error.column !== undefined) {
    const from = Math.max(0, error.column - 60);
    const snippet = line.slice(from, error.column + 40);
    out.push(`  ${shown(snippet)}`);
    out.push(`  ${" ".repeat(shown(line.slice(from, error.column)).length)}^ here (column ${error.column})`);
  }
  return out.join("\n");
}

function showSuccess(parser: Parser, e: Explanation): string {
  const rows = e.fields.map((f) => {
    const span = f.start === undefined ? "" : `${f.start}-${f.end}`;
    const value = f.value === f.raw ? "" : `  => ${JSON.stringify(f.value)}`;
    return escapeControls(`  ${f.name.padEnd(22)} ${span.padEnd(9)} ${JSON.stringify(f.raw)}${value}`);
  });
  return [`format: ${parser.name}`, "fields:", ...rows, "request:", safeJson(e.result, 2)].join("\n");
}

export function explainCommand(): Command {
  const cmd = new Command("explain")
    .description("show how one log line (or raw request) is parsed, field by field, or exactly where and why it fails")
    .argument("[line]", "the log line; omit it to read the record from stdin (e.g. a raw HTTP request)");
  addInputOptions(cmd);
  return cmd.action(async (arg: string | undefined, flags: InputFlags) => {
    const line = arg ?? (await Bun.stdin.text()).replace(/\r?\n$/, "");
    if (!line) throw new CliError("nothing to explain: give a line as argument or on stdin", EXIT.usage);
    const options = formatOptions(flags);
    let parser: Parser;
    try {
      parser = parserFor(options, line.split("\n"), ORIGIN.source);
    } catch (e) {
      if (!(e instanceof FormatDetectionError)) throw e;
      // Several formats fit and disagree: the message names them and shows the difference.
      if (e instanceof AmbiguousFormatError) throw new CliError(e.message, EXIT.dataError);
      // Say why each candidate rejected the line.
      const why = DETECTED_LINE_FORMATS.map((format) => {
        const r = createParser({ ...options, format }).explain(line, ORIGIN).result;
        return isParseError(r) ? showFailure(line, r) : "";
      });
      throw new CliError(`no known format fits this line.\n${why.join("\n")}\nPass --format, or --log-format '<your nginx log_format>'.`, EXIT.dataError);
    }
    const explained = parser.explain(line, ORIGIN);
    if (isParseError(explained.result)) throw new CliError(showFailure(line, explained.result), EXIT.dataError);
    await writeText(showSuccess(parser, explained) + "\n");
  });
}
