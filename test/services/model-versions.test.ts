import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { recordLiveSiteModel } from "../../src/services/model-versions.ts";
import { openStore } from "../../src/store/db.ts";
import { tempDir } from "../helpers/tmp.ts";

describe("recordLiveSiteModel", () => {
  const store = openStore(join(tempDir(), "moat.db"));
  const rows = () => store.sqlite!.query<{ version: string; path: string; active: number; metrics: string }, []>("select version, path, active, metrics from model_versions order by id").all();

  test("one live site model at a time; a version seen first without figures gets the retrain job's", () => {
    recordLiveSiteModel(store, { version: "site-a", path: "/m/site.onnx", metrics: '{"gate":1}' }, 1);
    // The file watcher sees the next model before the retrain job records it with its gate report.
    recordLiveSiteModel(store, { version: "site-b", path: "/m/site.onnx" }, 2);
    recordLiveSiteModel(store, { version: "site-b", path: "/m/site.onnx", metrics: '{"gate":2}' }, 3);
    expect(rows()).toEqual([
      { version: "site-a", path: "/m/site.onnx", active: 0, metrics: '{"gate":1}' },
      { version: "site-b", path: "/m/site.onnx", active: 1, metrics: '{"gate":2}' },
    ]);
  });

  test("a rollback keeps the figures and takes the path it is live at; no site model leaves none live", () => {
    recordLiveSiteModel(store, { version: "site-a", path: "/other/site.onnx" }, 4);
    expect(rows().map((r) => [r.version, r.path, r.active, r.metrics])).toEqual([
      ["site-a", "/other/site.onnx", 1, '{"gate":1}'],
      ["site-b", "/m/site.onnx", 0, '{"gate":2}'],
    ]);
    recordLiveSiteModel(store, null, 5);
    expect(rows().map((r) => r.active)).toEqual([0, 0]);
  });
});
