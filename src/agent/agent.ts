/**
 * `moat serve --hub URL`: the agent's pieces, wired once. Every writer of the live pipeline queues
 * what it stores in the outbox (in the same transaction), the shipper drains it to the hub, and what
 * the hub answers on the heartbeat is applied here: its bans to the deny list, its detection settings,
 * its site model.
 */
import type { Config } from "../config/schema.ts";
import type { Logger } from "../core/log.ts";
import type { Detector } from "../detect/detector.ts";
import { readSiteMetadata, runningLineage, SiteModel } from "../detect/site/model.ts";
import { promote } from "../detect/site/model-dir.ts";
import type { Activities } from "../services/activities.ts";
import type { DenyList } from "../services/deny-list/service.ts";
import type { WafSettings } from "../services/waf-settings.ts";
import type { Store } from "../store/db.ts";
import type { WriterOptions } from "../store/writer.ts";
import { Shipper } from "./shipper.ts";
import type { WireHubState } from "../core/agent-wire.ts";
import { toWireEntries } from "./wire-entries.ts";

/** Drops are reported at most this often (each report gives the count since the last). */
const DROP_REPORT_MS = 60_000;

export class AgentConfigError extends Error {}

export const MISSING_HUB_KEY = "hub.url is set but hub.key is empty: create an agent key on the hub (moat apikey create NAME --scope agent) and pass it with --hub-key or MOAT_HUB_KEY";

/** This run's id: the outbox entries it queues carry it, and the hub keeps the last seq it stored per run. */
export function newInstanceId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64url");
}

/**
 * The writers' outbox: batches queued for the hub as `instance`'s. Requests a full outbox could not
 * keep are logged and recorded at most once a minute, the ones of the last minute when it ends.
 */
export function outboxWriterOptions(config: Config, log: Logger, activities: Activities, instance: string): WriterOptions {
  let unreported = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const report = () => {
    timer = null;
    if (!unreported) return;
    log.error("outbox full: requests will never reach the hub", { dropped: unreported, hub: config.hub.url });
    activities.record({ type: "outbox.full", title: "Outbox full: requests not sent to the hub", details: `${unreported} request(s) judged and stored here were not queued for the hub: the outbox holds hub.outbox_max_requests (${config.hub.outbox_max_requests}) already. Is the hub reachable?` });
    unreported = 0;
    timer = setTimeout(report, DROP_REPORT_MS);
    timer.unref?.();
  };
  return {
    outbox: {
      maxRequests: config.hub.outbox_max_requests,
      instance,
      entries: (batch, at) => toWireEntries({ ...batch, now: at }),
      onDropped(requests) {
        unreported += requests;
        if (!timer) report();
      },
    },
  };
}

export interface AgentParts {
  config: Config;
  store: Store;
  log: Logger;
  activities: Activities;
  detector: Detector;
  settings: WafSettings;
  denyList: DenyList | null;
  now: () => number;
}

/** Applies the hub's state: its bans, its settings (hub.pull_settings), its site model (hub.pull_site_model). */
function followHub(o: AgentParts, shipper: () => Shipper): (state: WireHubState) => Promise<void> {
  const { hub, detect } = o.config;
  /** The last model version offered that was taken or refused: not fetched again (the watcher may not have loaded a taken one yet). */
  let handled: string | null = null;
  /** The last failed download, logged once: it is tried again at each heartbeat. */
  let failedDownload: string | null = null;
  return async (state) => {
    o.denyList?.adopt(state.bans);
    if (hub.pull_settings) o.settings.update(state.settings);
    const offered = state.siteModel?.version;
    if (!hub.pull_site_model || !offered || offered === o.detector.site?.meta.version || offered === handled) return;
    let model;
    try {
      model = await shipper().fetchSiteModel();
    } catch (e) {
      const why = (e as Error).message;
      if (why !== failedDownload) o.log.warn("cannot download the hub's site model: tried again at the next heartbeat", { version: offered, error: why });
      failedDownload = why;
      return;
    }
    failedDownload = null;
    handled = offered;
    if (!model) return;
    try {
      if (model.version !== offered || readSiteMetadata(model.bytes)?.version !== offered) throw new Error(`the hub offered ${offered} but sent another model`);
      await SiteModel.fromBytes(model.bytes, runningLineage(o.detector.generic));
      // The model watcher of moat serve loads it, as it loads one trained or rolled back by hand.
      promote(detect.model_dir, model.bytes, model.version);
      o.log.info("site model taken from the hub", { version: model.version });
    } catch (e) {
      o.log.error("cannot take the hub's site model: the current one stays", { version: offered, error: (e as Error).message });
      o.activities.record({ type: "model.rejected", title: "The hub's site model is not taken", details: `${offered}: ${(e as Error).message}` });
    }
  };
}

export function startShipper(o: AgentParts): Shipper {
  const { hub, ingest, mirror } = o.config;
  const shipper: Shipper = new Shipper({
    store: o.store,
    url: hub.url,
    key: hub.key,
    heartbeatMs: hub.heartbeat_seconds * 1000,
    log: o.log,
    activities: o.activities,
    sources: () => ({ logs: ingest.logs, mirror: mirror.enabled }),
    site: hub.site,
    onHubState: followHub(o, () => shipper),
    now: o.now,
  });
  shipper.start();
  return shipper;
}
