/**
 * The database's health as `moat serve` last checked it: a quick_check at start and on the
 * `jobs.integrity_check_cron` schedule (src/store/integrity.ts runs it off the service's thread).
 * A damaged database makes /ready answer 503 with the reason, and is recorded as a `db.damaged`
 * activity and a critical alert (to the webhook too), so that it is noticed before a backup is
 * overwritten with it. Recovery: README, Troubleshooting.
 */
import type { ServiceContext } from "./context.ts";
import { checkIntegrity, type IntegrityReport } from "../store/integrity.ts";
import type { AlertService } from "./alerts.ts";

/** Enough lines to say where the damage is; `moat db check` lists more. */
const REPORTED_PROBLEMS = 20;
const SHOWN_IN_SUMMARY = 3;

/** A quick_check reads the whole file once (about 0.6 s for 480 MB here); one taking longer than this is stuck. */
const CHECK_TIMEOUT_MS = 30 * 60_000;

export class DatabaseIntegrity {
  private last: IntegrityReport | null = null;
  /** Ends a check under way when the service stops: its late result must not reach a closed store. */
  private readonly stopped = new AbortController();

  constructor(
    private readonly ctx: Pick<ServiceContext, "store" | "activities" | "log">,
    private readonly alerts: Pick<AlertService, "raiseAlert">,
  ) {}

  /** Why the database cannot be trusted, after the last check; null when it found nothing (or has not run yet). */
  problem(): string | null {
    const problems = this.last?.problems ?? [];
    if (!problems.length) return null;
    const more = problems.length > SHOWN_IN_SUMMARY ? `; ${problems.length - SHOWN_IN_SUMMARY} more` : "";
    return `database damaged (quick_check): ${problems.slice(0, SHOWN_IN_SUMMARY).join("; ")}${more}. Run moat db check; recovery: README, Troubleshooting`;
  }

  /** Runs the check (the scheduled job); returns the job's summary. Throws when the check could not run. */
  async check(): Promise<string> {
    const signal = AbortSignal.any([this.stopped.signal, AbortSignal.timeout(CHECK_TIMEOUT_MS)]);
    let report: IntegrityReport;
    try {
      report = await checkIntegrity(this.ctx.store.path, { pragma: "quick_check", maxErrors: REPORTED_PROBLEMS, signal });
    } catch (e) {
      if (this.stopped.signal.aborted) return "stopped with moat serve";
      throw e;
    }
    this.last = report;
    const size = `${(report.bytes / 2 ** 20).toFixed(1)} MB`;
    if (!report.problems.length) return `database sound (quick_check of ${size})`;
    const problem = this.problem()!;
    this.ctx.log.error("the database is damaged", { db: this.ctx.store.path, problems: report.problems.length, first: report.problems[0] });
    // Both are written to the damaged database, and may fail there: the log line above and /ready do not depend on it.
    this.ctx.activities.record({ type: "db.damaged", title: "Database damaged", details: problem });
    try {
      this.alerts.raiseAlert({ type: "critical", severity: "high", title: "Database damaged", description: problem, source: "database", groupKey: "database-integrity", occurrences: 1 });
    } catch (e) {
      this.ctx.log.error("cannot store the alert of the damaged database", { error: (e as Error).message });
    }
    return `database damaged: ${report.problems.length} problems found in ${size}`;
  }

  /** Stops a check under way (the service is stopping). */
  close(): void {
    this.stopped.abort("moat serve is stopping");
  }
}
