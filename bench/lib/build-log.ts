/**
 * Builds a large nginx `combined` log from any log Moat reads: the input is read with Moat's own
 * reader and each request written back as a combined line, the input repeated until N lines are out,
 * each repetition shifted forward in time. Streamed: the output is never held in memory.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { readRequests } from "../../src/ingest/read.ts";
import { Rejections } from "../../src/parse/rejections.ts";
import { EXIT } from "../../cli/exit-codes.ts";
import { thousands } from "./table.ts";
import { BenchError } from "./run.ts";
import { combinedParts, timeLocalFormatter, type CombinedParts } from "./nginx-combined.ts";

/** One pass of the input is kept in memory (to repeat it without re-parsing) up to this many characters. */
const CACHE_CHARS = 64 * 2 ** 20;
const WRITE_CHUNK = 1 << 20;


export interface Built {
  path: string;
  lines: number;
  bytes: number;
  /** Requests in one pass of the input. */
  inputRequests: number;
  inputRejected: number;
  inputFormat: string;
  passes: number;
  seconds: number;
}

/** One pass over the input with Moat's reader (auto format), as combined-line parts. */
interface PassStats {
  rejected: number;
  format: string;
  /** Inputs whose format could not be detected (skipped by the reader). */
  errors: string[];
}

async function* readAsCombined(input: string, stats: PassStats): AsyncGenerator<CombinedParts[]> {
  const rejections = new Rejections();
  stats.errors = [];
  const hooks = {
    onInput: (_: unknown, parser: { name: string }) => { stats.format = parser.name; },
    onInputError: (_: unknown, error: Error) => { stats.errors.push(error.message); },
  };
  for await (const batch of readRequests([input], { format: "auto" }, rejections, hooks)) yield batch.map(combinedParts);
  stats.rejected = rejections.total;
}

export async function buildLog(input: string, target: number, path: string, log: (msg: string) => void): Promise<Built> {
  const started = performance.now();
  const fd = openSync(path, "w");
  const timeText = timeLocalFormatter();
  let written = 0;
  let bytes = 0;
  let chunk = "";
  let nextReport = 100_000;
  const flush = () => {
    if (!chunk) return;
    bytes += writeSync(fd, chunk);
    chunk = "";
  };

  const stats: PassStats = { rejected: 0, format: "?", errors: [] };
  let cache: CombinedParts[] | null = [];
  let cachedChars = 0;
  let inputRequests = 0;
  let span = 0; // ms covered by one pass, +1 s: pass k is shifted by k * span
  let passes = 0;
  const fallbackTime = Date.UTC(2026, 0, 1);

  try {
    while (written < target) {
      const offset = passes * span;
      let minTime = Infinity;
      let maxTime = -Infinity;
      let lastTime = fallbackTime;
      let count = 0;
      const emit = (p: CombinedParts) => {
        const t = p.time ?? lastTime;
        lastTime = t;
        if (t < minTime) minTime = t;
        if (t > maxTime) maxTime = t;
        chunk += p.head + timeText(t + offset) + p.tail;
        count++;
        written++;
        if (chunk.length >= WRITE_CHUNK) flush();
        if (written >= nextReport) {
          log(`building: ${thousands(written)} / ${thousands(target)} lines`);
          nextReport += 100_000;
        }
      };
      if (passes === 0 || cache === null) {
        for await (const batch of readAsCombined(input, stats)) {
          for (const p of batch) {
            if (written >= target) break;
            emit(p);
            if (passes === 0 && cache) {
              cachedChars += p.head.length + p.tail.length;
              if (cachedChars > CACHE_CHARS) cache = null;
              else cache.push(p);
            }
          }
          if (written >= target) break;
        }
      } else {
        for (const p of cache) {
          if (written >= target) break;
          emit(p);
        }
      }
      if (passes === 0) {
        inputRequests = count;
        if (count === 0) {
          const why = stats.errors.length ? stats.errors.join("; ") : `${stats.rejected} lines rejected (format ${stats.format})`;
          throw new BenchError(`no request could be read from ${input}: ${why}`, EXIT.dataError);
        }
        for (const e of stats.errors) log(`warning: skipped: ${e}`);
        if (cache === null && input === "-") throw new BenchError("stdin is too large to repeat; save it to a file first", EXIT.usage);
        log(`input: ${thousands(count)} requests (format ${stats.format}, ${stats.rejected} rejected)${cache ? ", repeated from memory" : ", re-read on each pass"}`);
      }
      span = Math.max(span, maxTime - minTime + 1000);
      passes++;
    }
    flush();
  } finally {
    closeSync(fd);
  }
  return {
    path,
    lines: written,
    bytes,
    inputRequests,
    inputRejected: stats.rejected,
    inputFormat: stats.format,
    passes,
    seconds: (performance.now() - started) / 1000,
  };
}

