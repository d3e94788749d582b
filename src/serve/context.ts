/** What the services, jobs and API of a running `moat serve` share. */
import type { Config } from "../config/schema.ts";
import type { Logger } from "../core/log.ts";
import type { Detector } from "../detect/detector.ts";
import type { Store } from "../store/db.ts";
import type { Activities } from "../services/activities.ts";
import type { Bus } from "../services/bus.ts";

export interface ServiceContext {
  config: Config;
  store: Store;
  bus: Bus;
  activities: Activities;
  detector: Detector;
  log: Logger;
  /** Epoch ms when the service started (uptime). */
  startedAt: number;
  /** Injectable clock, for tests. */
  now(): number;
}
