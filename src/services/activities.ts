/** Activities: what the system and its users did (start and stop, rotations, models, alert changes, settings). */
import { and, desc, gte, lte } from "drizzle-orm";
import type { Store } from "../store/db.ts";
import { activities } from "../store/schema.ts";
import type { ActivityRow } from "../store/rows.ts";
import type { Bus } from "../pipeline/bus.ts";

export type ActivityType =
  | "service.started" | "service.stopped" | "log.rotated" | "log.waiting" | "parse.errors" | "model.generic-only"
  | "model.trained" | "model.promoted" | "model.rejected" | "model.rolled-back" | "alert.acknowledged" | "alert.dismissed"
  | "alert.resolved" | "settings.changed" | "job.run" | "job.failed" | "threat.blocked" | "threat.allowed"
  | "ban.added" | "ban.removed" | "ban.expired" | "ban.failed" | "db.damaged" | "agent.joined" | "hub.unreachable" | "hub.reached" | "hub.refused" | "outbox.full";

export interface NewActivity {
  type: ActivityType;
  title: string;
  details: string;
  ip?: string;
  endpoint?: string;
  time?: number;
}

export class Activities {
  /**
   * `onError` hears of an activity that could not be stored (a full disk), which is then dropped:
   * recording what happened must not break what happened (a job's failure path, a tail event). The
   * default rethrows, for tests and one-shot commands; `moat serve` logs it.
   */
  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly onError: (e: Error, activity: NewActivity) => void = (e) => {
      throw e;
    },
  ) {}

  record(a: NewActivity): void {
    let row: ActivityRow;
    try {
      row = this.store.db
        .insert(activities)
        .values({ time: a.time ?? Date.now(), type: a.type, title: a.title, details: a.details, ip: a.ip ?? null, endpoint: a.endpoint ?? null })
        .returning()
        .get();
    } catch (e) {
      this.onError(e as Error, a);
      return;
    }
    this.bus.publish({ type: "activity", data: row });
  }

  /** Newest first, within [since, until], at most `limit`. */
  list(options: { since?: number; until?: number; limit: number }): ActivityRow[] {
    const conditions = [options.since !== undefined ? gte(activities.time, options.since) : undefined, options.until !== undefined ? lte(activities.time, options.until) : undefined].filter((c) => c !== undefined);
    return this.store.db.select().from(activities).where(conditions.length ? and(...conditions) : undefined).orderBy(desc(activities.time), desc(activities.id)).limit(options.limit).all();
  }
}
