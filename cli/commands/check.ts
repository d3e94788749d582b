import { Command } from "commander";
import { readFileSync } from "node:fs";
import { isParseError, type HttpRequest } from "../../src/core/http-request.ts";
import { parserFor } from "../../src/parse/formats.ts";
import { addInputOptions, formatOptions, type InputFlags } from "./scan.ts";
import { addDetectOptions, loadDetector, type DetectFlags } from "../detect-options.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { writeOut, writeText } from "../output.ts";
import { escapeControls, safeJson } from "../../src/core/control-chars.ts";
import type { Verdict } from "../../src/detect/verdict.ts";

interface CheckFlags extends InputFlags, DetectFlags {
  file?: string;
  json?: boolean;
}

/** A raw request, a bare `METHOD target` line, or a log line. */
function toRequest(text: string, flags: InputFlags): HttpRequest {
  const origin = { source: "check" };
  let record = text.replace(/\r?\n$/, "");
  const firstLine = record.split(/\r?\n/)[0] ?? "";
  if (/^[A-Z]+ \S+$/.test(firstLine)) record = record.replace(firstLine, `${firstLine} HTTP/1.1`);
  const parser = parserFor(formatOptions(flags), record.split(/\r?\n/), origin.source);
  const result = parser.parse(parser.framing === "raw-http" ? record.replaceAll("\r\n", "\n") : record, origin);
  if (isParseError(result)) throw new CliError(`cannot read the request: ${result.reason}`, EXIT.dataError);
  return result;
}

/** One line per fact, each escaped whole: a decoded path, evidence or a model's version can hold any character. */
function human(req: HttpRequest, v: Verdict): string {
  const lines = [
    `${req.method} ${req.path}${req.query ? `?${req.query}` : ""}`,
    `verdict   ${v.isAnomaly ? `FLAGGED: ${v.attackType} (${v.severity})` : "benign"}`,
    `score     ${v.score.toFixed(6)} (threshold ${v.threshold.toFixed(6)})`,
    `model     ${v.modelVersion}`,
  ];
  // A benign verdict without reasons: no value holds anything an analyzer recognises, and no site model saw a departure.
  if (v.reasons.length) lines.push("reasons");
  else if (!v.isAnomaly) lines.push("reasons   none");
  for (const r of v.reasons) lines.push(`  [${r.detector}] ${r.field}: ${r.name} — evidence ${JSON.stringify(r.evidence)} (weight ${r.weight.toFixed(3)}; ${r.detail})`);
  return lines.map(escapeControls).join("\n") + "\n";
}

export function checkCommand(): Command {
  const cmd = new Command("check")
    .description("judge one request: a raw HTTP request, 'METHOD /target', or a log line; exits 1 when it is flagged")
    .argument("[request]", "the request text (omit with --file, or pipe it on stdin)")
    .option("--file <path>", "a raw HTTP request file")
    .option("--json", "print the verdict as JSON");
  addInputOptions(cmd);
  addDetectOptions(cmd);
  return cmd.action(async (arg: string | undefined, flags: CheckFlags) => {
    const text = flags.file ? readFileSync(flags.file, "latin1") : arg ?? (await Bun.stdin.text());
    if (!text.trim()) throw new CliError("nothing to check: give a request, --file, or stdin", EXIT.usage);
    const request = toRequest(text, flags);
    const detector = await loadDetector(flags, true);
    const [verdict] = await detector.judge([request]);
    if (flags.json) await writeOut(safeJson({ request, verdict }, 2) + "\n");
    else await writeText(human(request, verdict!));
    if (verdict!.isAnomaly) process.exitCode = 1;
  });
}
