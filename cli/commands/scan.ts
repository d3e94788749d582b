import { Command, Option } from "commander";
import { scan } from "../../src/scan/scan.ts";
import type { ScanSummary } from "../../src/scan/summary.ts";
import { createParser, FORMAT_NAMES, type FormatName, type FormatOptions } from "../../src/parse/formats.ts";
import { parseJsonMapping } from "../../src/parse/json-lines.ts";
import { KeyFieldWatch } from "../../src/parse/key-fields.ts";
import { createProgress } from "../progress.ts";
import { terminalText, warn, writeOut } from "../output.ts";
import { safeJson } from "../../src/core/control-chars.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { formatSummary } from "../format-summary.ts";
import { addDetectOptions, loadDetector, type DetectFlags } from "../detect-options.ts";

export interface InputFlags {
  format: FormatName;
  logFormat?: string;
  jsonMap?: string;
}

/** --format / --log-format / --json-map, shared by every command that reads logs. */
export function addInputOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("-f, --format <format>", "input format").choices([...FORMAT_NAMES]).default("auto"))
    .option("--log-format <string>", "nginx log_format string (as in nginx.conf, escape=json allowed); implies --format nginx")
    .option("--json-map <pairs>", "JSON key mapping for --format json, e.g. request_uri=req.url,remote_addr=client.ip");
}

/** The input flags as format options; a format named but unusable (nginx without --log-format, a log_format with no variables) is a usage error before any input is read. */
export function formatOptions(flags: InputFlags): FormatOptions {
  try {
    const options: FormatOptions = { format: flags.format, logFormat: flags.logFormat, jsonMap: flags.jsonMap ? parseJsonMapping(flags.jsonMap) : undefined };
    if (options.format !== "auto" || options.logFormat) createParser(options);
    return options;
  } catch (e) {
    throw new CliError((e as Error).message, EXIT.usage);
  }
}

interface ScanFlags extends InputFlags, DetectFlags {
  detect: boolean;
  ndjson?: boolean;
  json?: boolean;
  top: string;
}

export function scanCommand(): Command {
  const cmd = new Command("scan")
    .description("read log files (or raw HTTP requests) and summarise them; - reads stdin")
    .argument("<paths...>", "files, directories, globs or - for stdin; .gz is read transparently")
    .option("--ndjson", "write one JSON object per request to stdout, in input order (summary goes to stderr)")
    .option("--json", "print the summary as JSON")
    .option("--top <n>", "how many top paths and clients to show", "10")
    .option("--no-detect", "only parse and summarise (no verdicts)");
  addInputOptions(cmd);
  addDetectOptions(cmd);
  return cmd.action(async (paths: string[], flags: ScanFlags) => {
    const top = Number(flags.top);
    if (!Number.isInteger(top) || top < 1) throw new CliError(`--top must be a positive integer, got ${flags.top}`, EXIT.usage);
    const detector = flags.detect ? await loadDetector(flags) : undefined;
    const progress = createProgress();
    let requests = 0;
    const keyFields = new KeyFieldWatch();
    const summary: ScanSummary = await scan(paths, {
      ...formatOptions(flags),
      top,
      detector,
      hooks: {
        onProgress(input) {
          // Bytes read from disk against the size on disk: a percent for .gz inputs too (compressed bytes).
          progress.update({ label: input.name, done: requests, unit: "lines", fraction: input.size && input.bytesRead ? input.bytesRead() / input.size : null });
        },
        onInputError(input, error) {
          progress.finish();
          warn(error.message);
        },
      },
      async onRequests(batch, verdicts) {
        requests += batch.length;
        for (const r of batch) keyFields.add(r.origin.source, r);
        if (!flags.ndjson) return;
        const line = (r: (typeof batch)[number], i: number) => {
          const v = verdicts?.[i];
          return safeJson(v ? { ...r, score: v.score, isAnomaly: v.isAnomaly, attackType: v.attackType, severity: v.severity, reasons: v.reasons } : r);
        };
        await writeOut(batch.map(line).join("\n") + "\n");
      },
    });
    progress.finish();
    // A format that parses but leaves key fields empty would otherwise pass for a clean read.
    for (const input of summary.inputs) {
      const warning = keyFields.warning(input.source, input.format);
      if (warning) warn(warning);
    }
    const text = flags.json ? safeJson(summary, 2) + "\n" : terminalText(formatSummary(summary));
    if (flags.ndjson) process.stderr.write(text);
    else await writeOut(text);
    if (summary.failedInputs.length || (summary.requests === 0 && summary.rejected > 0)) process.exitCode = EXIT.dataError;
  });
}
