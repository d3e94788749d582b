/**
 * `moat serve --hub URL`: the agent's pieces, wired once. Every writer of the live pipeline queues
 * what it stores in the outbox (in the same transaction), and the shipper drains it to the hub.
 */
import type { Config } from "../config/schema.ts";
import type { Logger } from "../core/log.ts";
import type { Activities } from "../services/activities.ts";
import type { DenyList } from "../services/deny-list/service.ts";
import type { Store } from "../store/db.ts";
import type { WriterOptions } from "../store/writer.ts";
import { Shipper } from "./shipper.ts";
import { toWireEntries } from "./wire.ts";

/** Drops are reported at most this often (each report gives the count since the last). */
const DROP_REPORT_MS = 60_000;

export class AgentConfigError extends Error {}

export const MISSING_HUB_KEY = "hub.url is set but hub.key is empty: create an agent key on the hub (moat apikey create NAME --scope agent) and pass it with --hub-key or MOAT_HUB_KEY";

/** The writers' outbox: batches queued for the hub; a full outbox's drops are logged and recorded, once a minute at most. */
export function outboxWriterOptions(config: Config, log: Logger, activities: Activities, now: () => number): WriterOptions {
  let unreported = 0;
  let reportedAt = Number.NEGATIVE_INFINITY;
  return {
    outbox: {
      maxRequests: config.hub.outbox_max_requests,
      entries: (batch, at) => toWireEntries({ ...batch, now: at }),
      onDropped(requests) {
        unreported += requests;
        if (now() - reportedAt < DROP_REPORT_MS) return;
        reportedAt = now();
        const details = `${unreported} request(s) judged and stored here were not queued for the hub: the outbox holds hub.outbox_max_requests (${config.hub.outbox_max_requests}) already. Is the hub reachable?`;
        log.error("outbox full: requests will never reach the hub", { dropped: unreported, hub: config.hub.url });
        activities.record({ type: "outbox.full", title: "Outbox full: requests not sent to the hub", details });
        unreported = 0;
      },
    },
  };
}

export function startShipper(o: { config: Config; store: Store; log: Logger; activities: Activities; denyList: DenyList | null; now: () => number }): Shipper {
  const { hub, ingest, mirror } = o.config;
  if (!hub.key) throw new AgentConfigError(MISSING_HUB_KEY);
  const shipper = new Shipper({
    store: o.store,
    url: hub.url,
    key: hub.key,
    heartbeatMs: hub.heartbeat_seconds * 1000,
    log: o.log,
    activities: o.activities,
    sources: () => ({ logs: ingest.logs, mirror: mirror.enabled }),
    adoptBans: o.denyList ? (bans) => void o.denyList!.adopt(bans) : null,
    now: o.now,
  });
  shipper.start();
  return shipper;
}
