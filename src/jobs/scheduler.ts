/**
 * Scheduled jobs (croner). A job never overlaps itself (croner's `protect`, and a run asked for while
 * one is going is skipped), is safe to run twice, and leaves a trace: a run that changed something,
 * and every failure, is recorded as an activity. Where several hubs share one database, a job runs on
 * one of them at a time (src/store/job-claims.ts), unless its work is each process's own.
 */
import { Cron } from "croner";
import type { ServiceContext } from "../services/context.ts";
import { claimJob } from "../store/job-claims.ts";

export interface Job {
  name: string;
  /** Cron pattern; six fields allow seconds. */
  pattern: string;
  /** Does the work; returns a summary worth an activity, or null when there was nothing to do. */
  run(now: number): Promise<string | null> | string | null;
  /** Its work is this process's own (its live bus, its host's checks): it runs in every process sharing the database. */
  perProcess?: boolean;
}

export class Scheduler {
  private readonly crons = new Map<string, Cron>();
  private readonly jobs = new Map<string, Job>();
  private readonly running = new Set<string>();
  constructor(private readonly ctx: Pick<ServiceContext, "activities" | "log" | "now" | "store">) {}

  add(job: Job): void {
    if (!job.pattern) return; // an empty pattern disables the job
    this.jobs.set(job.name, job);
    this.crons.set(job.name, new Cron(job.pattern, { protect: true, name: job.name }, async () => {
      await this.runNow(job.name);
    }));
  }

  /** Runs a job at once (also what the schedule calls); never throws. */
  async runNow(name: string): Promise<string | null> {
    const job = this.jobs.get(name);
    return job ? this.run(job) : null;
  }

  /** Whether a job of that name is running now. */
  isRunning(name: string): boolean {
    return this.running.has(name);
  }

  /**
   * Runs `job` now, scheduled or not (an operator's "run now"), with the same trace; a job whose name
   * is already running is not started again (null). Never throws.
   */
  async run(job: Job): Promise<string | null> {
    const name = job.name;
    if (this.running.has(name)) return null;
    if (!job.perProcess && !this.tryClaim(name)) return null;
    this.running.add(name);
    const started = performance.now();
    try {
      const summary = await job.run(this.ctx.now());
      const ms = Math.round(performance.now() - started);
      this.ctx.log.debug("job ran", { job: name, ms });
      if (summary) this.ctx.activities.record({ type: "job.run", title: `Job ${name}`, details: `${summary} (${ms} ms)` });
      return summary;
    } catch (e) {
      const message = (e as Error).message;
      this.ctx.log.error("job failed", { job: name, error: message });
      this.ctx.activities.record({ type: "job.failed", title: `Job ${name} failed`, details: message });
      return null;
    } finally {
      this.running.delete(name);
    }
  }

  /** Whether this process runs the job now; a database that cannot answer is a failed run, logged. */
  private tryClaim(name: string): boolean {
    try {
      return claimJob(this.ctx.store, name);
    } catch (e) {
      this.ctx.log.error("job not run: cannot take its lock", { job: name, error: (e as Error).message });
      return false;
    }
  }

  nextRun(name: string): Date | null {
    return this.crons.get(name)?.nextRun() ?? null;
  }

  stop(): void {
    for (const c of this.crons.values()) c.stop();
    this.crons.clear();
  }
}
