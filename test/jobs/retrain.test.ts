/** The retrain job: from the store's recent benign traffic to a promoted, live site model. */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { retrainJob } from "../../src/jobs/retrain.ts";
import { Detector } from "../../src/detect/detector.ts";
import { openStore } from "../../src/store/db.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { Bus } from "../../src/pipeline/bus.ts";
import { Activities } from "../../src/services/activities.ts";
import { createLogger } from "../../src/core/log.ts";
import { loadConfig } from "../../src/config/load.ts";
import { compileLogFormat, COMBINED_FORMAT } from "../../src/parse/log-format.ts";
import type { HttpRequest } from "../../src/core/http-request.ts";
import type { ServiceContext } from "../../src/services/context.ts";
import { shopLogLines } from "../helpers/site-traffic.ts";
import { recordAgentReport } from "../../src/services/agents.ts";
import { benignTrafficCount } from "../../src/services/recent-benign.ts";
import { siteModelDir, siteTraffic } from "../../src/services/site-models.ts";
import { readSiteMetadata } from "../../src/detect/site/model.ts";
import { tempDir } from "../helpers/tmp.ts";

const parser = compileLogFormat({ name: "combined", format: COMBINED_FORMAT });

/** A Moat's services over a new store, with no site model yet. */
async function setup() {
  const dir = tempDir();
  const store = openStore(join(dir, "moat.db"));
  const bus = new Bus();
  const config = loadConfig({ env: { MOAT_STORAGE_DATA_DIR: dir } }).config;
  const detector = await Detector.load();
  const ctx: ServiceContext = { config, store, bus, activities: new Activities(store, bus), detector, log: createLogger({ level: "error", format: "json" }), monotonicStart: performance.now(), now: () => Date.now(), monotonic: () => performance.now() };
  return { store, config, detector, ctx, writer: new StoreWriter(store) };
}

describe("retrain job", () => {
  test("needs enough benign traffic, then trains, gates, promotes and swaps the live model", async () => {
    const { store, config, detector, ctx, writer } = await setup();
    const ingest = async (lines: string[]) => {
      const requests = lines.map((l, i) => parser.parse(l, { source: "shop", line: i + 1 }) as HttpRequest);
      writer.write({ requests, verdicts: await detector.judge(requests) });
    };

    await ingest(shopLogLines(500, 1));
    expect(await retrainJob(ctx, Date.now())).toBeNull();
    expect(detector.site).toBeNull();

    await ingest(shopLogLines(3000, 2));
    const summary = await retrainJob(ctx, Date.now());
    expect(summary).toMatch(/^promoted site-/);
    expect(summary).toBe(`promoted ${detector.site?.meta.version}`);
    expect(detector.modelVersion).toContain("+site-");
    expect(existsSync(join(config.detect.model_dir, "site.onnx"))).toBe(true);
    const promoted = ctx.activities.list({ limit: 5 }).find((a) => a.type === "model.promoted");
    expect(promoted?.details).toMatch(/candidate FPR \d+\.\d+% TPR \d+\.\d+%/);

    // A second retrain is gated against the live model; either way the outcome is recorded.
    const second = await retrainJob(ctx, Date.now());
    expect(second).toMatch(/^(promoted site-|retrain rejected: )/);
    if (second!.startsWith("promoted")) expect(readdirSync(join(config.detect.model_dir, "history"))).toHaveLength(1);
    expect(store.sqlite!.query("select version from model_versions where active = 1").all()).toEqual([{ version: detector.site!.meta.version }]);
    store.close();
  }, 60_000);

  test("on a hub, one model per site: a named site's from its agents' traffic only, the default site's from the rest", async () => {
    const { store, config, detector, ctx, writer } = await setup();
    const now = Date.now();
    for (const [agent, site] of [["web-1", ""], ["blog-1", "blog"], ["blog-2", "blog"]] as const) {
      recordAgentReport(store, ctx.activities, agent, { host: agent, version: "t", site, sources: { logs: [], mirror: false }, outbox: { batches: 0, requests: 0, dropped: 0, lagSeconds: 0 } }, now);
    }
    let seq = 0;
    const ingest = async (agent: string, lines: string[]) => {
      const requests = lines.map((l, i) => parser.parse(l, { source: agent, line: i + 1 }) as HttpRequest);
      writer.write({ requests, verdicts: await detector.judge(requests), from: { agent, instance: "run-aaaaaaaa", seq: ++seq, receivedAt: now } });
    };
    await ingest("web-1", shopLogLines(2500, 3));
    await ingest("blog-1", shopLogLines(800, 4));
    await ingest("blog-2", shopLogLines(800, 5));
    expect(benignTrafficCount(store, siteTraffic(store).defaultSite)).toBeGreaterThan(2000);
    expect(benignTrafficCount(store, siteTraffic(store).named.get("blog"))).toBeLessThan(1700);

    const summary = await retrainJob(ctx, now);
    expect(summary).toMatch(/^promoted site-.*; site blog: promoted site-/);
    const blog = readSiteMetadata(new Uint8Array(readFileSync(join(siteModelDir(config.detect.model_dir, "blog"), "site.onnx"))))!;
    const own = readSiteMetadata(new Uint8Array(readFileSync(join(config.detect.model_dir, "site.onnx"))))!;
    // Each learned from its own traffic: the blog's agents' 1,600 requests, the rest's 2,500.
    expect(blog.calibration.trainingRequests).toBeLessThanOrEqual(1600);
    expect(own.calibration.trainingRequests).toBeLessThanOrEqual(2500);
    expect(own.calibration.trainingRequests).toBeGreaterThan(1600);
    // The hub judges with the default site's model.
    expect(detector.site?.meta.version).toBe(own.version);
    store.close();
  }, 90_000);
});
