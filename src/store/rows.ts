/** The stored rows as the rest of Moat reads them: inferred from the drizzle schema, their one source of truth. */
import type { InferSelectModel } from "drizzle-orm";
import type { activities, alerts, threats, traffic } from "./schema.ts";

export type TrafficRow = InferSelectModel<typeof traffic>;
export type ThreatRow = InferSelectModel<typeof threats>;
export type AlertRow = InferSelectModel<typeof alerts>;
export type ActivityRow = InferSelectModel<typeof activities>;
