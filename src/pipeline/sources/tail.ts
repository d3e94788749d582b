/**
 * The tail source: followed logs → parse → the pipeline → store. Each batch of lines of a file is
 * parsed, judged and written together with that file's checkpoint in one transaction, so that a
 * restart (even after a crash) resumes right after the last stored line: nothing lost, nothing
 * counted twice. A line whose `$request_id` names a mirrored copy waiting in the join takes the
 * copy's verdict (judged with its body) and is stored as one row with it.
 */
import { resolve } from "node:path";
import type { MemoryGuard } from "../../core/memory.ts";
import { isParseError, type HttpRequest } from "../../core/http-request.ts";
import type { Logger } from "../../core/log.ts";
import { tailFiles, type TailCheckpoint, type TailEvent, type Tailer } from "../../ingest/tail.ts";
import type { SourceLine } from "../../core/source-line.ts";
import { parserFor, type FormatOptions } from "../../parse/formats.ts";
import type { Parser } from "../../parse/parser.ts";
import { Rejections } from "../../parse/rejections.ts";
import { KeyFieldWatch } from "../../parse/key-fields.ts";
import { parseLine } from "../../parse/stream.ts";
import type { StoreWriter } from "../../store/writer.ts";
import type { Pipeline } from "../pipeline.ts";
import type { JoinedRequest, MirrorJoin } from "../join.ts";
import type { Bus } from "../bus.ts";
import type { Activities } from "../../services/activities.ts";
import type { LiveTimings } from "../../services/metrics.ts";

/** A batch where at least this share of lines (and 20 lines) did not parse is a parse-error burst. */
const BURST_SHARE = 0.2;
/** At most one parse-error activity per log per this many ms. */
const BURST_QUIET_MS = 60_000;
/** A log's first this many requests say whether its format leaves key fields empty (warned once). */
const KEY_FIELD_SAMPLE = 100;

export interface IngestOptions {
  logs: string[];
  format: FormatOptions;
  startAt: "beginning" | "end";
  pipeline: Pipeline;
  /** Mirrored copies waiting for their log line, when the mirror source runs. */
  join?: MirrorJoin;
  writer: StoreWriter;
  log: Logger;
  /** Stored traffic and threats are published here. */
  bus: Bus;
  /** Tail events worth keeping (rotations, lost files) become activities. */
  activities: Activities;
  /** Lines read and ingestion lag are measured here. */
  timings: LiveTimings;
  /** Asked to keep resident memory down after each batch. */
  memory: MemoryGuard;
}

/** How one followed log is doing, since this process started. */
export interface SourceStatus {
  path: string;
  /** The format chosen for it (the configured one until `auto` has seen its first lines). */
  format: string;
  /** Its file is open (false while waiting for it, or after a read error). */
  alive: boolean;
  lines: number;
  parseErrors: number;
  /** Epoch ms when its last lines were stored. */
  lastLineAt: number | null;
  /** For its last batch: from the newest line's own time (as the log gives it) to the batch's commit. */
  lagMs: number | null;
  rotations: number;
  /**
   * Why its lines are not being stored, while they are not: the file does not exist yet, cannot be
   * read, or its lines cannot be written (a full disk). Null once a batch is stored again.
   */
  problem: string | null;
}

export interface Ingest {
  readonly rejections: Rejections;
  stored(): number;
  sources(): SourceStatus[];
  close(): Promise<void>;
}

export function startIngest(options: IngestOptions): Ingest {
  const { log, writer, timings } = options;
  if (options.format.format === "raw-http") throw new Error("raw-http is a batch format: moat serve follows line-based logs (use moat scan for raw requests)");
  const parsers = new Map<string, Parser>();
  const rejections = new Rejections();
  let stored = 0;
  const lastBurst = new Map<string, number>();
  const keyFields = new KeyFieldWatch(KEY_FIELD_SAMPLE);
  const undetected = new Set<string>();
  const freshStatus = (path: string): SourceStatus => ({ path, format: options.format.format, alive: false, lines: 0, parseErrors: 0, lastLineAt: null, lagMs: null, rotations: 0, problem: null });
  // One source per file: `a.log` and `./a.log` are followed once (as tailFiles does), and listed once.
  const logs = [...new Map(options.logs.map((path) => [resolve(path), path])).values()];
  const status = new Map(logs.map((path) => [path, freshStatus(path)]));
  function statusOf(path: string): SourceStatus {
    let source = status.get(path);
    if (!source) status.set(path, (source = freshStatus(path)));
    return source;
  }

  function reportBurst(path: string, rejected: number, total: number): void {
    if (rejected < 20 || rejected < total * BURST_SHARE) return;
    const now = performance.now(); // an interval: the monotonic clock, which a clock step cannot stretch or cut
    if (now - (lastBurst.get(path) ?? Number.NEGATIVE_INFINITY) < BURST_QUIET_MS) return;
    lastBurst.set(path, now);
    const sample = rejections.bySource.get(path)?.samples.at(-1);
    options.activities.record({ type: "parse.errors", title: "Burst of unparsable log lines", details: `${rejected} of ${total} lines of ${path} did not parse${sample ? `; e.g. line ${sample.line}: ${sample.reason}` : ""}` });
    log.warn("parse-error burst", { path, rejected, total });
  }

  /** A format that parses but leaves the client, request, status or time empty misreads the log: said once per log. */
  function reportKeyFields(path: string, format: string, parsed: HttpRequest[]): void {
    for (const r of parsed) keyFields.add(path, r);
    const warning = keyFields.warning(path, format);
    if (!warning) return;
    options.activities.record({ type: "parse.errors", title: "Log lines read with key fields empty", details: warning });
    log.warn("log lines read with key fields empty", { path, format, detail: warning });
  }

  /** The parser of a followed log, chosen from its first lines and then kept. */
  function parserOf(path: string, lines: SourceLine[]): Parser | null {
    const known = parsers.get(path);
    if (known) return known;
    try {
      const parser = parserFor(options.format, lines.map((l) => l.text), path);
      parsers.set(path, parser);
      statusOf(path).format = parser.name;
      log.info("log format chosen", { path, format: parser.name });
      return parser;
    } catch (e) {
      log.warn("log format not recognised yet; these lines are counted as rejected", { path, error: (e as Error).message });
      // Once per log: the console must say why nothing is stored (no format fits, or several do).
      if (!undetected.has(path)) options.activities.record({ type: "parse.errors", title: "Log format not recognised", details: (e as Error).message });
      undetected.add(path);
      return null;
    }
  }

  async function onLines(lines: SourceLine[], checkpoint: TailCheckpoint): Promise<void> {
    const path = checkpoint.path;
    const requests: HttpRequest[] = [];
    const texts: string[] = [];
    const joined: JoinedRequest[] = [];
    let rejected = 0;
    const parser = lines.length ? parserOf(path, lines) : null;
    const parsed: HttpRequest[] = [];
    const parsedTexts: string[] = [];
    for (const line of lines) {
      const r = parser ? parseLine(parser, line) : null;
      if (r && !isParseError(r)) {
        parsed.push(r);
        parsedTexts.push(line.text);
      } else {
        rejected++;
        if (r) rejections.add(r);
      }
    }
    // A line whose mirrored copy came takes the copy's verdict (judged with the body) and is not judged again.
    const copies = options.join ? await options.join.claimAll(parsed) : [];
    parsed.forEach((r, i) => {
      const copy = copies[i];
      if (copy) joined.push(copy);
      else {
        requests.push(r);
        texts.push(parsedTexts[i]!);
      }
    });
    // Judged on the real values; stored and published without the secrets. A threat row keeps the
    // line it came from (the request as received), redacted too.
    const judged = await options.pipeline.run({ requests, records: texts });
    const rows = writer.write({
      requests: [...judged.redacted, ...joined.map((j) => j.request)],
      verdicts: [...judged.verdicts, ...joined.map((j) => j.verdict)],
      blocked: [...judged.blocked, ...joined.map((j) => j.blocked)],
      rejected,
      checkpoint,
    });
    reportBurst(path, rejected, lines.length);
    if (parser) reportKeyFields(path, parser.name, parsed);
    stored += requests.length + joined.length;
    measure(path, lines.length, rejected, [...requests, ...joined.map((j) => j.request)]);
    for (const data of rows.traffic) options.bus.publish({ type: "traffic", data });
    for (const data of rows.threats) options.bus.publish({ type: "threat", data });
    options.memory.relieve();
  }

  function measure(path: string, lineCount: number, rejected: number, requests: HttpRequest[]): void {
    if (!lineCount) return;
    const now = Date.now();
    const source = statusOf(path);
    source.alive = true;
    source.problem = null;
    source.lines += lineCount;
    source.parseErrors += rejected;
    source.lastLineAt = now;
    timings.lines.add(lineCount);
    let newest = -Infinity;
    for (const r of requests) {
      if (r.time === null) continue;
      timings.ingestLag(now, r.time);
      if (r.time > newest) newest = r.time;
    }
    source.lagMs = newest > -Infinity ? Math.max(0, now - newest) : null;
  }

  function onTailEvent(e: TailEvent): void {
    // Only the logs followed: a watcher error that names no file is logged, not made a source.
    const source = status.get(e.path);
    if (!source) return;
    if (e.type === "opened" || e.type === "resumed") {
      source.alive = true;
      source.problem = null;
    } else if (e.type === "waiting" || e.type === "error") {
      source.alive = false;
      source.problem = e.type === "waiting" ? "the file does not exist yet" : e.detail;
    } else if (e.type === "recovered") {
      source.alive = e.following;
      source.problem = null;
    } else if (e.type === "rotated") source.rotations++;
  }

  const tailer: Tailer = tailFiles({
    paths: logs,
    checkpoints: writer.checkpoints(),
    startAt: options.startAt,
    onLines,
    onEvent(e) {
      onTailEvent(e);
      if (e.type === "rotated") options.activities.record({ type: "log.rotated", title: `Log rotated (${e.how})`, details: e.path });
      if (e.type === "waiting") options.activities.record({ type: "log.waiting", title: "Waiting for a log file", details: `${e.path} does not exist yet` });
      if (e.type === "error" || e.type === "lost") log.warn(`tail ${e.type}`, { path: e.path, detail: e.detail });
      else if (e.type === "rejected") log.warn("tail rejected a line", { path: e.path, line: e.line, detail: e.detail });
      else log.info(`tail ${e.type}`, { path: e.path, ...("how" in e ? { how: e.how } : {}), ...("offset" in e ? { offset: e.offset } : {}) });
    },
  });
  return { rejections, stored: () => stored, sources: () => [...status.values()].map((x) => ({ ...x })), close: () => tailer.close() };
}
