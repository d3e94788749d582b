/** What the services, jobs and API of a running `moat serve` share. */
import type { Config } from "../config/schema.ts";
import type { Logger } from "../core/log.ts";
import type { Detector } from "../detect/detector.ts";
import type { Store } from "../store/db.ts";
import type { Activities } from "./activities.ts";
import type { Bus } from "../pipeline/bus.ts";

export interface ServiceContext {
  config: Config;
  store: Store;
  bus: Bus;
  activities: Activities;
  detector: Detector;
  log: Logger;
  /** monotonic() when the service started: uptime is measured from it. */
  monotonicStart: number;
  /** The wall clock, epoch ms: for times that are stored or shown. Injectable, for tests. */
  now(): number;
  /**
   * A monotonic clock, ms from an arbitrary origin (performance.now()): it never steps when the wall
   * clock is set, so every duration is measured with it (rate limits, uptime, rates, intervals).
   * Injectable, for tests.
   */
  monotonic(): number;
}
