/**
 * The model_versions table says which site model is live, and keeps the figures of each one that
 * Moat promoted. This is its one writer. The retrain job, promote and rollback from the console,
 * and `moat serve` at start and when the model changes on disk (a CLI `moat train`) all call it, so
 * the table cannot disagree with the model the detector loaded. Moat's own views work the state out
 * from the model files; the table is for what reads the database from outside (exports, reports).
 */
import { eq, sql } from "drizzle-orm";
import type { Store } from "../store/db.ts";
import { modelVersions } from "../store/schema.ts";

export interface LiveSiteModel {
  version: string;
  path: string;
  /** Calibration and gate figures (JSON), kept for a version seen for the first time. */
  metrics?: string;
}

/**
 * One transaction: the table never shows two live site models. `null`: none is loaded. A version
 * already recorded keeps its figures unless new ones are given (the retrain job's gate report wins
 * over a watcher that saw the same file first), and takes the path it is live at now.
 */
export function recordLiveSiteModel(store: Store, live: LiveSiteModel | null, now: number): void {
  store.db.transaction((tx) => {
    if (live) {
      tx.insert(modelVersions)
        .values({ version: live.version, kind: "site", path: live.path, metrics: live.metrics ?? "{}", createdAt: now })
        .onConflictDoUpdate({ target: modelVersions.version, set: live.metrics === undefined ? { path: live.path } : { path: live.path, metrics: live.metrics } })
        .run();
    }
    tx.update(modelVersions).set({ active: live ? sql`${modelVersions.version} = ${live.version}` : false }).where(eq(modelVersions.kind, "site")).run();
  });
}
