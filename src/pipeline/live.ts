/**
 * The running pipeline of `moat serve`, wired once for every source: the followed logs (tail), the
 * inline checks and nginx's mirrored copies all go through one Pipeline (one verdict path, one live
 * mode) into the store, and what is stored is published on the bus, which feeds the sinks that
 * follow it (metrics, alert rules, the deny list).
 */
import { blockPolicy } from "../detect/site/block-policy.ts";
import type { Severity } from "../core/enums.ts";
import type { Redactor } from "../detect/redact.ts";
import type { HttpRequest } from "../core/http-request.ts";
import type { Verdict } from "../detect/verdict.ts";
import type { MemoryGuard } from "../core/memory.ts";
import { StoreWriter, type WriterOptions } from "../store/writer.ts";
import type { ServiceContext } from "../services/context.ts";
import type { MetricsService } from "../services/metrics.ts";
import type { AlertService } from "../services/alerts.ts";
import type { DenyList } from "../services/deny-list/service.ts";
import { batched } from "./bus.ts";
import { createPipeline, type LiveSettings, type Pipeline, type PipelineOptions } from "./pipeline.ts";
import { WriteBehind } from "./sinks/write-behind.ts";
import { inlineSource, type InlineSource } from "./sources/inline.ts";
import { MirrorSource } from "./sources/mirror.ts";
import { MirrorJoin } from "./join.ts";
import { startIngest, type Ingest } from "./sources/tail.ts";
import type { ThreatRow, TrafficRow } from "../store/rows.ts";

/** Mirrored copies judged at a time: about a millisecond of judging, so that answering nginx never waits long behind it. */
const MIRROR_BATCH = 16;

export interface LivePipelineOptions {
  ctx: ServiceContext;
  /** The live mode (WafSettings): read when each batch is judged. */
  live: LiveSettings;
  /** The models, then the allowlist. */
  judge(requests: HttpRequest[]): Promise<Verdict[]>;
  /** The same, judged off the thread that answers nginx (mirrored copies); `judge` when absent. */
  judgeOffThread?(requests: HttpRequest[]): Promise<Verdict[]>;
  redact: Redactor;
  metrics: MetricsService;
  alerts: AlertService;
  denyList: DenyList | null;
  memory: MemoryGuard;
  /** An agent's outbox (src/agent/): every writer queues what it stores for the hub. */
  writer?: WriterOptions;
  /** A hub follows no log of its own: no warning that none is set. */
  expectLogs?: boolean;
}

export interface LivePipeline {
  pipeline: Pipeline;
  /** The store sink of inline checks and mirrored copies. */
  writeBehind: WriteBehind;
  inline: InlineSource;
  /** Null when mirror.enabled is false. */
  mirror: MirrorSource | null;
  /** Mirrored copies waiting for their log lines (null when mirror.enabled is false). */
  join: MirrorJoin | null;
  /** Null when no log is followed. */
  tail: Ingest | null;
  /** Stops the sources and stores what they hold: mirrored copies still waiting are stored alone. */
  close(): Promise<void>;
}

/** The sinks that follow what is stored, in batches: one alert or metrics call per burst, not per request. */
function followStored(o: LivePipelineOptions): void {
  const { bus, log } = o.ctx;
  const failed = (consumer: string) => (e: Error) => {
    bus.errors++;
    log.error("a consumer of the live stream failed", { consumer, error: e.message });
  };
  const observeTraffic = batched((rows: TrafficRow[]) => o.metrics.observe(rows), failed("metrics"));
  const alertOnThreats = batched((rows: ThreatRow[]) => o.alerts.onThreats(rows), failed("alert rules"));
  bus.subscribe((e) => {
    if (e.type === "traffic") observeTraffic(e.data);
    else if (e.type === "threat") {
      alertOnThreats(e.data);
      o.denyList?.onThreat(e.data);
    }
  });
}

export function startLivePipeline(o: LivePipelineOptions): LivePipeline {
  const { config, store, bus, log } = o.ctx;
  followStored(o);
  const denyList = o.denyList;
  const pipelineOptions: PipelineOptions = {
    judge: o.judge,
    redact: o.redact,
    live: o.live,
    policy: blockPolicy(config.detect.block_min_severity as Severity, config.detect.block_anomaly_endpoints),
    ...(denyList ? { denied: (ip: string) => denyList.denies(ip) } : {}),
  };
  const pipeline = createPipeline(pipelineOptions);
  const writeBehind = new WriteBehind(store, bus, (e) => log.error("cannot store judged requests", { error: e.message }), o.writer);
  const join = config.mirror.enabled
    ? new MirrorJoin({
        waitMs: config.mirror.join_wait_ms,
        maxPending: config.mirror.max_queued,
        monotonic: o.ctx.monotonic,
        storeAlone: (copies) => writeBehind.add(copies.map((c) => c.request), copies.map((c) => c.verdict), copies.map((c) => c.blocked)),
      })
    : null;
  // The mirror's own pipeline differs only in where the models run (src/pipeline/worker-judge.ts).
  const mirrorPipeline = o.judgeOffThread ? createPipeline({ ...pipelineOptions, judge: o.judgeOffThread }) : pipeline;
  const mirror = join
    ? new MirrorSource({ pipeline: mirrorPipeline, join, maxQueued: config.mirror.max_queued, batchSize: MIRROR_BATCH, now: o.ctx.now, onError: (e) => log.error("cannot judge mirrored copies", { error: e.message }) })
    : null;
  const tail = config.ingest.logs.length
    ? startIngest({
        logs: config.ingest.logs,
        format: { format: config.ingest.format, logFormat: config.ingest.log_format || undefined },
        startAt: config.ingest.start_at,
        pipeline,
        join: join ?? undefined,
        writer: new StoreWriter(store, o.writer),
        log,
        bus,
        activities: o.ctx.activities,
        timings: o.metrics.timings,
        memory: o.memory,
      })
    : null;
  if (!tail && o.expectLogs !== false) log.warn("no log to follow: set [ingest] logs or pass --log <path>");
  return {
    pipeline,
    writeBehind,
    inline: inlineSource(pipeline, writeBehind),
    mirror,
    join,
    tail,
    async close() {
      await mirror?.close();
      await tail?.close();
      writeBehind.flush();
    },
  };
}
