/**
 * The console API's model endpoints on real services: a store filled by real ingestion of a shop's
 * log, the real retrain job through the regression gate, and the model directory's files.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createApi } from "../../src/api/app.ts";
import { isParseError, type HttpRequest } from "../../src/core/http-request.ts";
import { compileLogFormat, COMBINED_FORMAT } from "../../src/parse/log-format.ts";
import { promote, rejectedPath } from "../../src/detect/site/model-dir.ts";
import { trainSiteModel } from "../../src/training/site/train.ts";
import { apiData, apiFailure, followLogs, makeApiServices } from "../helpers/api.ts";
import { waitFor } from "../helpers/serve.ts";
import { shopLogLines } from "../helpers/site-traffic.ts";
import { tempDir } from "../helpers/tmp.ts";

interface Model {
  version: string;
  kind: "generic" | "site";
  active: boolean;
  createdAt: string;
  metrics: Record<string, number | string>;
  evaluation?: string;
  state: string;
}

const closers: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

test("list, train (409 while a retrain runs), promote a kept model, roll back; errors", async () => {
  const s = await makeApiServices();
  const app = createApi(s);
  const dir = s.ctx.config.detect.model_dir;
  const data = <T>(method: string, path: string) => apiData<T>(app, method, path);
  const failure = async (method: string, path: string) => (await apiFailure(app, method, path)).status;
  const activity = (type: string) => s.ctx.activities.list({ limit: 50 }).filter((a) => a.type === type);
  const trained = () => !s.scheduler.isRunning("retrain");

  // Before any training: the bundled generic model, with its card's evaluation table.
  const [generic] = await data<Model[]>("GET", "/api/models");
  expect(generic).toMatchObject({ version: s.ctx.detector.generic.meta.version, kind: "generic", active: true, state: "bundled" });
  expect(generic!.metrics.threshold).toBe(s.ctx.detector.generic.meta.threshold);
  expect(generic!.evaluation).toStartWith("| set | split | n | flagged | ROC-AUC |");
  expect(Number.isNaN(Date.parse(generic!.createdAt))).toBe(false);

  // Too little traffic: the job says so as an activity.
  const logDir = tempDir("moat-models-");
  const log = join(logDir, "access.log");
  writeFileSync(log, `${shopLogLines(300, 1).join("\n")}\n`);
  const ingest = followLogs(s, [log]);
  closers.push(() => ingest.close());
  await waitFor("the first lines", () => s.sources()[0]?.lines === 300);
  expect(await data("POST", "/api/models/train")).toEqual({ started: true });
  await waitFor("the retrain job", trained);
  expect(activity("job.run")[0]!.details).toContain("not retrained: fewer than 1000 benign requests");

  // While a retrain runs (here a scheduled one held open), another is refused.
  let release = () => {};
  const held = s.scheduler.run({ name: "retrain", pattern: "", run: () => new Promise<null>((resolve) => (release = () => resolve(null))) });
  expect(await failure("POST", "/api/models/train")).toBe(409);
  release();
  await held;

  // Enough benign traffic: trained, gated and promoted by the real job.
  writeFileSync(log, `${shopLogLines(3000, 2).join("\n")}\n`, { flag: "a" });
  await waitFor("the shop's traffic", () => s.sources()[0]?.lines === 3300);
  expect(await data("POST", "/api/models/train")).toEqual({ started: true });
  expect(s.scheduler.isRunning("retrain")).toBe(true);
  await waitFor("the retrain job", trained, 120_000);
  expect(activity("model.promoted").length).toBe(1);
  const first = (await data<Model[]>("GET", "/api/models")).find((m) => m.kind === "site")!;
  expect(first).toMatchObject({ kind: "site", active: true, state: "live" });
  expect(s.ctx.detector.modelVersion).toBe(`${generic!.version}+${first.version}`);
  expect(first.metrics).toMatchObject({ gate: "passed", genericVersion: generic!.version });
  for (const key of ["threshold", "targetFpr", "trainingRequests", "calibrationFpr", "syntheticTpr", "gateHeldOut", "gateCandidateFpr", "gateCandidateTpr"]) expect({ key, type: typeof first.metrics[key] }).toEqual({ key, type: "number" });
  expect(first.evaluation).toContain("| model | FPR on held-out recent traffic | TPR on injected attacks |");
  expect(first.evaluation).toContain(`| candidate ${generic!.version}+${first.version} |`);
  expect(first.evaluation).toContain("Regression gate passed");
  expect(await failure("POST", "/api/models/rollback")).toBe(409); // nothing was replaced yet

  // A second model, as `moat train` writes it into the same directory: the first is kept for rollback.
  const parser = compileLogFormat({ name: "combined", format: COMBINED_FORMAT });
  const requests = shopLogLines(2000, 3).map((l) => parser.parse(l, { source: "shop" })).filter((r): r is HttpRequest => !isParseError(r));
  const second = await trainSiteModel(requests, s.ctx.detector.generic, { targetFpr: 0.01, seed: 3 });
  promote(dir, second.bytes, second.meta.version);
  await s.ctx.detector.replaceSite(dir);
  const models = await data<Model[]>("GET", "/api/models");
  expect(models.map((m) => [m.version, m.state, m.active])).toEqual([[generic!.version, "bundled", true], [second.meta.version, "live", true], [first.version, "replaced", false]]);
  const kept = models[2]!;
  expect(kept.metrics.gate).toBe("passed"); // its gate report comes from the retrain job's record
  expect(models[1]!.evaluation).toContain(`| training requests | ${second.meta.calibration.trainingRequests} |`); // no gate: the calibration

  // Promote the kept one: live again; the one it replaces is kept in its turn.
  const promoted = await data<Model>("POST", `/api/models/${first.version}/promote`);
  expect(promoted).toMatchObject({ version: first.version, state: "live", active: true });
  expect(s.ctx.detector.modelVersion).toBe(`${generic!.version}+${first.version}`);
  expect(readdirSync(join(dir, "history"))).toEqual([`00000002-replaced-before-${first.version}.onnx`]);
  expect(activity("model.promoted")[0]!.title).toBe("Site model promoted by hand");
  expect(s.ctx.store.sqlite!.query("select version from model_versions where active = 1").all()).toEqual([{ version: first.version }]);

  expect(await failure("POST", `/api/models/${first.version}/promote`)).toBe(409);
  expect(await failure("POST", "/api/models/site-1999-01-01/promote")).toBe(404);
  expect(await failure("POST", `/api/models/${generic!.version}/promote`)).toBe(400);
  expect(await failure("POST", "/api/models/not%20a%20version/promote")).toBe(400);

  // Roll back: the second model is live again, and the first is kept in its turn.
  const rolledBack = await data<Model>("POST", "/api/models/rollback");
  expect(rolledBack).toMatchObject({ version: second.meta.version, state: "live" });
  expect(s.ctx.detector.modelVersion).toBe(`${generic!.version}+${second.meta.version}`);
  expect(activity("model.rolled-back").length).toBe(1);
  expect(readdirSync(join(dir, "history"))).toEqual([`00000003-replaced-before-${second.meta.version}.onnx`]);

  // A promote that fails midway (here the new live file cannot be written) keeps the model it was promoting.
  const third = await trainSiteModel(requests, s.ctx.detector.generic, { targetFpr: 0.01, seed: 4 });
  const rejected = rejectedPath(dir, third.meta.version);
  writeFileSync(rejected, third.bytes);
  mkdirSync(join(dir, `site.onnx.${process.pid}.tmp`)); // where promote writes the new live model first
  expect(await failure("POST", `/api/models/${third.meta.version}/promote`)).toBe(500);
  expect(existsSync(rejected)).toBe(true);
  expect(readdirSync(join(dir, "history"))).toHaveLength(1); // no copy of the live model left behind
  expect(s.ctx.detector.modelVersion).toBe(`${generic!.version}+${second.meta.version}`);
}, 180_000);
