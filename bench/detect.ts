#!/usr/bin/env bun
/**
 * Detection speed: batch throughput, single-request latency, and `moat train` time on 1M log lines.
 *
 *   bun run bench:detect <train input> <test input> [--lines N] [--batch B] [--single N]
 *
 * e.g. `bun run bench:detect ../shared/datasets/csic2010/normalTrafficTraining.txt.gz \
 *        ../shared/datasets/csic2010/anomalousTrafficTest.txt.gz`
 *
 * 1. Trains a site model on <train input> (any format Moat reads).
 * 2. Judges every request of <test input> in batches (decomposition, analyzers, generic and site models,
 *    all through onnxruntime; reasons for the flagged ones): requests/s. The generic model remembers
 *    the scores of field values it has seen (real traffic repeats them); the table gives the hit rate.
 *    Then again on a fresh detector: the first pass includes compiling the attack paths' code.
 * 3. Judges requests one at a time, in process: p50 / p99 latency; then POST requests whose
 *    JSON bodies are 1, 4 and 8 KB of values never seen before (no cache helps), and a 1 MB body.
 * 4. Builds a combined log of N lines (default 1,000,000) from <train input> and times
 *    `moat train --from` on it as a child process: seconds and peak RSS.
 * Prints a Markdown table on stdout; progress on stderr.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { readRequests } from "../src/ingest/read.ts";
import { Rejections } from "../src/parse/rejections.ts";
import { isParseError, type HttpRequest } from "../src/core/http-request.ts";
import { rawHttpParser } from "../src/parse/raw-http.ts";
import { GenericModel } from "../src/detect/generic/model.ts";
import { BUNDLED_GENERIC_MODEL, Detector } from "../src/detect/detector.ts";
import { SITE_TARGET_FPR, trainSiteModel } from "../src/training/site/train.ts";
import { describeMachine } from "./lib/machine.ts";
import { measureCommand } from "./lib/measure.ts";
import { markdownTable, thousands } from "./lib/table.ts";
import { percentile } from "./lib/percentile.ts";
import { buildLog } from "./lib/build-log.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { BenchError, runBench } from "./lib/run.ts";
import { intOption, parseBenchArgs } from "./lib/args.ts";

const ROOT = resolve(import.meta.dir, "..");
const log = (msg: string) => process.stderr.write(`bench:detect: ${msg}\n`);
const USAGE = "usage: bun run bench:detect <train input> <test input> [--lines N] [--batch B] [--single N]";

async function load(path: string): Promise<HttpRequest[]> {
  const out: HttpRequest[] = [];
  for await (const batch of readRequests([path], { format: "auto" }, new Rejections())) out.push(...batch);
  if (!out.length) throw new BenchError(`no request could be read from ${path}`, EXIT.dataError);
  return out;
}

/**
 * A POST of at most `bytes` of JSON: objects of ordinary fields (words, numbers, a URL, a sentence with
 * punctuation), every value unique to request `seed` so that no cache serves it.
 */
function jsonPost(bytes: number, seed: number): HttpRequest {
  const items: unknown[] = [];
  let size = 12;
  for (let i = 0; ; i++) {
    const item = { id: seed * 100_000 + i, name: `item ${seed}-${i}`, note: `Tom's order #${seed}-${i}: 2 x shoes (size ${i % 12}), ship via "express"; ok?`, link: `https://shop.example/p/${seed}/${i}?ref=list&page=${i % 7}`, tags: ["a", `t${i}`] };
    const length = JSON.stringify(item).length + 1;
    if (size + length > bytes) break;
    items.push(item);
    size += length;
  }
  const body = JSON.stringify({ items });
  const parsed = rawHttpParser.parse(`POST /api/orders HTTP/1.1\r\nHost: shop.example\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, { source: "bench" });
  if (isParseError(parsed)) throw new BenchError(`the bench's own request does not parse: ${parsed.reason}`, EXIT.software);
  return parsed;
}

/** Requests per body size: a p99 of 500 was the fifth slowest, and moved by milliseconds between runs. */
const SIZED_REQUESTS = 2000;

/** Milliseconds to judge each request alone, sorted. */
async function timeEach(detector: Detector, requests: HttpRequest[]): Promise<number[]> {
  const times: number[] = [];
  for (const req of requests) {
    const s = performance.now();
    await detector.judge([req]);
    times.push(performance.now() - s);
  }
  return times.sort((a, b) => a - b);
}

/**
 * The two batch passes' rows. Their detectors are let go when it returns: the single-request rows
 * measure one detector, as a server has, not three with full caches on the heap.
 */
async function batchRows(dir: string, train: HttpRequest[], test: HttpRequest[], batchSize: number): Promise<string[][]> {
  const detector = await Detector.load({ site: dir });

  // Warm up on training requests, not on the measured ones: the field-score cache must not start full.
  log(`warm-up`);
  await detector.judge(train.slice(0, batchSize));
  const hits0 = detector.generic.cacheHits;
  const misses0 = detector.generic.cacheMisses;
  log(`batch throughput: ${thousands(test.length)} requests in batches of ${batchSize}`);
  let flagged = 0;
  const t0 = performance.now();
  for (let i = 0; i < test.length; i += batchSize) flagged += (await detector.judge(test.slice(i, i + batchSize))).filter((v) => v.isAnomaly).length;
  const batchSeconds = (performance.now() - t0) / 1000;
  const hits = detector.generic.cacheHits - hits0;
  const hitRate = hits / Math.max(1, hits + detector.generic.cacheMisses - misses0);

  // The first pass also pays for compiling the analyzers' attack paths, which a benign warm-up never
  // runs. A server that has run a while has compiled them: the same input again, on a fresh detector
  // (its caches empty, warmed like the first), measures that steady state.
  log(`batch throughput again: a fresh detector, the process's compiled code warm`);
  const steady = await Detector.load({ site: dir });
  await steady.judge(train.slice(0, batchSize));
  const t1 = performance.now();
  for (let i = 0; i < test.length; i += batchSize) await steady.judge(test.slice(i, i + batchSize));
  const steadySeconds = (performance.now() - t1) / 1000;
  return [
    ["batch scoring (decompose, analyzers, generic + site models)", `${thousands(test.length)} requests, batch ${batchSize}`, `${thousands(test.length / batchSeconds)} requests/s`, `${flagged} flagged; lexical cache hit rate ${(hitRate * 100).toFixed(1)}%`],
    ["batch scoring, second pass (fresh detector, compiled code warm)", `${thousands(test.length)} requests, batch ${batchSize}`, `${thousands(test.length / steadySeconds)} requests/s`, "empty caches; the path and header-line memos are the process's (bounded)"],
  ];
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseBenchArgs({ args: argv, allowPositionals: true, options: { lines: { type: "string" }, batch: { type: "string" }, single: { type: "string" } } }, USAGE);
  const [trainInput, testInput] = positionals;
  if (!trainInput || !testInput) throw new BenchError(`expected a train input and a test input, got ${positionals.length}\n${USAGE}`, EXIT.usage);
  const lines = intOption("--lines", values.lines, 1_000_000, USAGE);
  const batchSize = intOption("--batch", values.batch, 1024, USAGE);
  const singles = intOption("--single", values.single, 5000, USAGE);
  const dir = mkdtempSync(join(tmpdir(), "moat-bench-detect-"));
  try {
    log(`reading ${trainInput} and ${testInput}`);
    const train = await load(trainInput);
    const test = await load(testInput);
    log(`training a site model on ${thousands(train.length)} requests`);
    const site = await trainSiteModel(train, await GenericModel.fromFile(BUNDLED_GENERIC_MODEL), { targetFpr: SITE_TARGET_FPR, seed: 7 });
    writeFileSync(join(dir, "site.onnx"), site.bytes);
    const batch = await batchRows(dir, train, test, batchSize);
    // Their detectors collected now, not during the timed single requests.
    Bun.gc(true);

    // A fresh detector (an empty field-score cache), warmed on training requests like the first.
    log(`single-request latency: ${thousands(singles)} requests one at a time`);
    const single = await Detector.load({ site: dir });
    await single.judge(train.slice(0, batchSize));
    const latencies = await timeEach(single, Array.from({ length: singles }, (_, i) => test[i % test.length]!));

    log(`single requests by body size, and a 1 MB body`);
    const sized = [];
    for (const kb of [1, 4, 8]) {
      // Seeds of their own per size: a smaller body's values are not a larger one's first ones.
      const times = await timeEach(single, Array.from({ length: SIZED_REQUESTS }, (_, i) => jsonPost(kb * 1024, kb * 1_000_000 + i)));
      sized.push([`single request, ${kb} KB JSON body`, `${thousands(SIZED_REQUESTS)} requests, unseen values`, `p50 ${percentile(times, 0.5).toFixed(3)} ms, p99 ${percentile(times, 0.99).toFixed(3)} ms`, `max ${times.at(-1)!.toFixed(3)} ms`]);
    }
    // 1 MB = 10^6 bytes: under the 1 MiB a source keeps by default (mirror.max_body_bytes), as a real copy would be.
    const megabyte = await timeEach(single, Array.from({ length: 10 }, (_, i) => jsonPost(1_000_000, i)));
    sized.push(["single request, 1 MB JSON body", "10 requests", `median ${percentile(megabyte, 0.5).toFixed(1)} ms`, `max ${megabyte.at(-1)!.toFixed(1)} ms`]);

    log(`building a ${thousands(lines)}-line combined log from ${trainInput}`);
    const big = join(dir, "train.log");
    const built = await buildLog(trainInput, lines, big, log);
    log(`moat train --from ${thousands(built.lines)} lines`);
    const trained = await measureCommand([process.execPath, join(ROOT, "cli/index.ts"), "train", "--from", big, "--out", join(dir, "big-model")], { cwd: ROOT });
    if (trained.exitCode !== 0) throw new BenchError(`moat train failed: ${trained.stderr}`, EXIT.software);

    const rows = [
      ...batch,
      ["single request in process", `${thousands(singles)} requests`, `p50 ${percentile(latencies, 0.5).toFixed(3)} ms, p99 ${percentile(latencies, 0.99).toFixed(3)} ms`, `max ${latencies[latencies.length - 1]!.toFixed(3)} ms`],
      ...sized,
      ["moat train --from (child process)", `${thousands(built.lines)} combined lines`, `${trained.seconds.toFixed(1)} s`, `peak RSS ${trained.peakRssBytes === null ? "?" : (trained.peakRssBytes / 2 ** 20).toFixed(0)} MB`],
    ];
    console.log(describeMachine().join("\n"));
    console.log(`- train input: ${trainInput} (${thousands(train.length)} requests); test input: ${testInput} (${thousands(test.length)} requests)\n`);
    console.log(markdownTable(["measure", "work", "result", "note"], rows, ["left", "left", "right", "left"]));
    return EXIT.ok;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await runBench(main, log);
