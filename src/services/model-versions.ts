/**
 * The model_versions table says which site model is live, and keeps the figures of each one that
 * Moat promoted. This is its one writer. The retrain job, promote and rollback from the console,
 * and a model changed on disk by the CLI all call it, so the table cannot disagree with the model
 * the detector loaded.
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

/** One transaction: the table never shows no live site model, or two. */
export function recordLiveSiteModel(store: Store, live: LiveSiteModel, now: number): void {
  store.db.transaction((tx) => {
    tx.insert(modelVersions).values({ version: live.version, kind: "site", path: live.path, metrics: live.metrics ?? "{}", createdAt: now }).onConflictDoNothing().run();
    tx.update(modelVersions).set({ active: sql`${modelVersions.version} = ${live.version}` }).where(eq(modelVersions.kind, "site")).run();
  });
}
