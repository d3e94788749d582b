/**
 * The live pipeline: tail → parse → judge → store. Each batch of lines of a file is parsed, judged and
 * written together with that file's checkpoint in one transaction, so that a restart (even after a
 * crash) resumes right after the last stored line: nothing lost, nothing counted twice.
 */
import { isParseError, type HttpRequest } from "../core/http-request.ts";
import type { Logger } from "../core/log.ts";
import type { Detector } from "../detect/detector.ts";
import { tailFiles, type TailCheckpoint, type Tailer } from "../ingest/tail.ts";
import type { SourceLine } from "../ingest/lines.ts";
import { createParser, detectFormat, type FormatOptions } from "../parse/formats.ts";
import type { Parser } from "../parse/parser.ts";
import { Rejections } from "../parse/rejections.ts";
import { parseLine } from "../parse/stream.ts";
import type { StoreWriter } from "../store/writer.ts";
import type { Bus } from "../services/bus.ts";
import type { Activities } from "../services/activities.ts";

const JUDGE_BATCH = 512;
/** A batch where at least this share of lines (and 20 lines) did not parse is a parse-error burst. */
const BURST_SHARE = 0.2;
/** At most one parse-error activity per log per this many ms. */
const BURST_QUIET_MS = 60_000;

export interface IngestOptions {
  logs: string[];
  format: FormatOptions;
  startAt: "beginning" | "end";
  detector: Detector;
  writer: StoreWriter;
  log: Logger;
  /** Stored traffic and threats are published here. */
  bus: Bus;
  /** Tail events worth keeping (rotations, lost files) become activities. */
  activities: Activities;
}

export interface Ingest {
  readonly rejections: Rejections;
  stored(): number;
  close(): Promise<void>;
}

export function startIngest(options: IngestOptions): Ingest {
  const { log, detector, writer } = options;
  if (options.format.format === "raw-http") throw new Error("raw-http is a batch format: moat serve follows line-based logs (use moat scan for raw requests)");
  const parsers = new Map<string, Parser>();
  const rejections = new Rejections();
  let stored = 0;
  const lastBurst = new Map<string, number>();

  function reportBurst(path: string, rejected: number, total: number): void {
    if (rejected < 20 || rejected < total * BURST_SHARE) return;
    const now = Date.now();
    if (now - (lastBurst.get(path) ?? 0) < BURST_QUIET_MS) return;
    lastBurst.set(path, now);
    const sample = rejections.bySource.get(path)?.samples.at(-1);
    options.activities.record({ type: "parse.errors", title: "Burst of unparsable log lines", details: `${rejected} of ${total} lines of ${path} did not parse${sample ? `; e.g. line ${sample.line}: ${sample.reason}` : ""}` });
    log.warn("parse-error burst", { path, rejected, total });
  }

  function parserFor(path: string, lines: SourceLine[]): Parser | null {
    const known = parsers.get(path);
    if (known) return known;
    try {
      const parser = options.format.format === "auto" && !options.format.logFormat ? detectFormat(lines.map((l) => l.text), path, options.format) : createParser(options.format);
      parsers.set(path, parser);
      log.info("log format chosen", { path, format: parser.name });
      return parser;
    } catch (e) {
      log.warn("log format not recognised yet; these lines are counted as rejected", { path, error: (e as Error).message });
      return null;
    }
  }

  async function onLines(lines: SourceLine[], checkpoint: TailCheckpoint): Promise<void> {
    const path = checkpoint.path;
    const requests: HttpRequest[] = [];
    let rejected = 0;
    const parser = lines.length ? parserFor(path, lines) : null;
    for (const line of lines) {
      const r = parser ? parseLine(parser, line) : null;
      if (r && !isParseError(r)) requests.push(r);
      else {
        rejected++;
        if (r) rejections.add(r);
      }
    }
    // Judged in slices: a tail read can hold thousands of lines, and the featurized batch is what costs memory.
    const verdicts = [];
    for (let i = 0; i < requests.length; i += JUDGE_BATCH) verdicts.push(...(await detector.judge(requests.slice(i, i + JUDGE_BATCH))));
    const rows = writer.write({ requests, verdicts, rejected, checkpoint });
    reportBurst(path, rejected, lines.length);
    stored += requests.length;
    for (const data of rows.traffic) options.bus.publish({ type: "traffic", data });
    for (const data of rows.threats) options.bus.publish({ type: "threat", data });
  }

  const tailer: Tailer = tailFiles({
    paths: options.logs,
    checkpoints: writer.checkpoints(),
    startAt: options.startAt,
    onLines,
    onEvent(e) {
      if (e.type === "rotated") options.activities.record({ type: "log.rotated", title: `Log rotated (${e.how})`, details: e.path });
      if (e.type === "waiting") options.activities.record({ type: "log.waiting", title: "Waiting for a log file", details: `${e.path} does not exist yet` });
      if (e.type === "error" || e.type === "lost") log.warn(`tail ${e.type}`, { path: e.path, detail: e.detail });
      else if (e.type === "rejected") log.warn("tail rejected a line", { path: e.path, line: e.line, detail: e.detail });
      else log.info(`tail ${e.type}`, { path: e.path, ...("how" in e ? { how: e.how } : {}), ...("offset" in e ? { offset: e.offset } : {}) });
    },
  });
  return { rejections, stored: () => stored, close: () => tailer.close() };
}
