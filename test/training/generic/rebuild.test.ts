/**
 * A small rebuild of the generic model from a datasets folder of a few lines: the whole build runs
 * (placement, decomposition, analyzers, lexical model, combiner, calibration, ONNX), and the model
 * it writes loads, flags attacks of the lists' test side and passes benign requests.
 */
import { expect, test } from "bun:test";
import { buildGenericModel, MIN_THRESHOLD } from "../../../src/training/generic/build.ts";
import { GenericModel } from "../../../src/detect/generic/model.ts";
import { requestForTarget } from "../../../src/training/corpus/placement.ts";
import { miniDatasets } from "../../helpers/mini-datasets.ts";

test("a generic model rebuilt from a few lines loads and tells attacks from benign requests; its sites' traffic is calibrated on cross-fitted", async () => {
  const stages: string[] = [];
  const details: string[] = [];
  // Eight sites' pages: each half of the sites is scored for calibration by models trained without it.
  const sites = Array.from({ length: 40 }, (_, i) => ({ site: `site-${i % 8}.example`, request: requestForTarget(`/shop/${i % 8}/item?id=${i}&ref=home`, "test")! }));
  const result = await buildGenericModel({
    datasets: miniDatasets(), targetFpr: 0.01, benignCount: 1500, generatedCount: 400, epochs: 2, seed: 3,
    crossFitRequests: [{ source: "mini sites", requests: sites }],
    progress: (s, d) => (stages.push(s), details.push(d ?? "")),
  });
  expect(stages).toEqual(expect.arrayContaining(["corpus", "lexical", "combiner", "calibrate", "evaluate"]));
  expect(details.some((d) => d.startsWith("calibration fold 1/2"))).toBe(true);
  expect(details.some((d) => d.startsWith("calibration fold 2/2"))).toBe(true);
  expect(result.training["mini sites (calibration, cross-fitted in 2 folds of sites)"]).toBe(40);
  expect(result.training["mini sites (benign)"]).toBeGreaterThan(0);
  const model = await GenericModel.fromBytes(result.bytes);
  expect(model.meta.version).toBe(result.meta.version);
  // However few the calibration's benign requests (40 here, at 1%), the threshold never falls below the floor.
  expect(model.meta.threshold).toBeGreaterThanOrEqual(MIN_THRESHOLD);
  expect(result.calibrationTop.scores.length).toBeGreaterThan(0);
  const requests = ["/search?q=1%27%20UNION%20SELECT%20password%20FROM%20users--", "/p?x=%3Cscript%3Ealert(7)%3C/script%3E", "/search?q=red+shoes&page=2", "/news?page=4"].map((t) => requestForTarget(t, "test")!);
  const scores = await model.scoreRequests(requests);
  expect(scores.map((s) => s.score >= model.meta.threshold)).toEqual([true, true, false, false]);
  expect(model.classes[scores[0]!.cls]).toBe("sqli");
  expect(model.classes[scores[1]!.cls]).toBe("xss");
  expect(result.evaluation.some((e) => e.set.startsWith("legit-queries"))).toBe(true);
}, 120_000);
