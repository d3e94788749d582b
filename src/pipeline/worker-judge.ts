/**
 * The models' judgement on another thread (judge-worker.ts), shaped like a Detector for the verdict path.
 * The mirror judges through it so that answering nginx's copies never waits behind judging. If the
 * worker cannot start or dies, batches are judged on this thread instead: slower answers, never lost copies.
 */
import type { HttpRequest } from "../core/http-request.ts";
import type { Detector } from "../detect/detector.ts";
import { workerModule } from "../core/worker-module.ts";
import type { Verdict } from "../detect/verdict.ts";

export interface JudgeRequest {
  id: number;
  requests: HttpRequest[];
  /** The operator's threshold, or undefined for the calibrated one. */
  threshold: number | undefined;
  /** The live site model: where it is and which version, or null when there is none. */
  site: { dir: string; version: string } | null;
}

/** What the judging thread is started with. */
export interface JudgeWorkerData {
  /** Its niceness (`mirror.judge_nice`). */
  niceness: number;
}

/**
 * What the worker does before a batch so that its detector judges as the service's does: keep its
 * models, load the service's new site model, or go back to the generic model alone (the site model was
 * rolled back to none). Models are loaded only when the version differs: loading costs milliseconds.
 */
export function siteChange(workerVersion: string | null, service: JudgeRequest["site"]): "keep" | "replace-site" | "generic-only" {
  const wanted = service?.version ?? null;
  if (wanted === workerVersion) return "keep";
  return wanted === null ? "generic-only" : "replace-site";
}

export type JudgeReply = { id: number; verdicts: Verdict[] } | { id: number; error: string };

const WORKER = workerModule(import.meta.url, "src/pipeline/judge-worker.ts");

/**
 * The worker is started with the first batch, not with the service: its models cost about 100 MB, which
 * a Moat that only follows logs (no nginx mirror installed) should not hold.
 */
export class WorkerJudge {
  /** Undefined until the first batch; null once lost (judging is then on this thread). */
  private worker: Worker | null | undefined;
  private readonly pending = new Map<number, { requests: HttpRequest[]; resolve: (v: Promise<Verdict[]> | Verdict[]) => void; reject: (e: Error) => void }>();
  private nextId = 1;

  /**
   * `niceness` is the judging thread's (`mirror.judge_nice`; on this thread, when judging falls back
   * here, nothing is reniced: it also answers the API). `onFallback` is told once when the worker is
   * lost and judging moves to this thread.
   */
  constructor(private readonly detector: Detector, private readonly modelDir: string, private readonly niceness: number, private readonly onFallback: (why: string) => void) {}

  /** Whether the judging thread has been started (by a first batch). */
  get started(): boolean {
    return this.worker !== undefined;
  }

  private start(): Worker {
    // Bun's Worker hands node's `workerData` to the thread (the DOM's WorkerOptions type does not list it).
    const options: WorkerOptions & { workerData: JudgeWorkerData } = { workerData: { niceness: this.niceness } };
    const worker = new Worker(WORKER, options);
    worker.onmessage = (event: MessageEvent<JudgeReply>) => this.settle(event.data);
    worker.onerror = (event) => this.lose(`the judging thread failed: ${event.message}`);
    return worker;
  }

  /** The generic model of the service's detector: the verdict path reads its threshold. */
  get generic(): Detector["generic"] {
    return this.detector.generic;
  }

  judge(requests: HttpRequest[]): Promise<Verdict[]> {
    if (this.worker === undefined) this.worker = this.start();
    if (!this.worker) return this.detector.judge(requests);
    const id = this.nextId++;
    const site = this.detector.site;
    const request: JudgeRequest = { id, requests, threshold: this.detector.thresholdSetting, site: site ? { dir: this.modelDir, version: site.meta.version } : null };
    return new Promise<Verdict[]>((resolve, reject) => {
      this.pending.set(id, { requests, resolve, reject });
      this.worker!.postMessage(request);
    });
  }

  private settle(reply: JudgeReply): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if ("error" in reply) waiting.reject(new Error(reply.error));
    else waiting.resolve(reply.verdicts);
  }

  /** The worker is gone: what it held is judged here, and so is everything after. */
  private lose(why: string): void {
    if (!this.worker) return;
    this.worker.terminate();
    this.worker = null;
    this.onFallback(why);
    for (const [id, waiting] of this.pending) {
      this.pending.delete(id);
      waiting.resolve(this.detector.judge(waiting.requests));
    }
  }

  close(): void {
    this.worker?.terminate();
    this.worker = null;
    for (const waiting of this.pending.values()) waiting.reject(new Error("the service is stopping"));
    this.pending.clear();
  }
}
