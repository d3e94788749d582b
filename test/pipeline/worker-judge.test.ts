/** The mirror's judging thread follows the service's site model, and loads models only when it changed. */
import { describe, expect, test } from "bun:test";
import { siteChange, WorkerJudge } from "../../src/pipeline/worker-judge.ts";
import { Detector } from "../../src/detect/detector.ts";
import { toHttpRequest } from "../../src/api/check-input.ts";
import { existsSync, readdirSync, readFileSync } from "node:fs";

/** Each of this process's threads with its niceness, from /proc (Linux). */
function threadNiceness(): { tid: string; name: string; nice: number }[] {
  return readdirSync("/proc/self/task").flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      // Fields after the command's closing parenthesis: state is field 3, nice field 19.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return [{ tid, name: readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim(), nice: Number(fields[16]) }];
    } catch {
      return []; // a thread that ended while it was read
    }
  });
}

describe("siteChange", () => {
  test("no site model on either side: the worker keeps its models (it used to reload the generic model before every batch)", () => {
    expect(siteChange(null, null)).toBe("keep");
  });
  test("the same site model: kept; another one: loaded; none any more: the generic model alone", () => {
    expect(siteChange("site-2", { dir: "/m", version: "site-2" })).toBe("keep");
    expect(siteChange("site-1", { dir: "/m", version: "site-2" })).toBe("replace-site");
    expect(siteChange(null, { dir: "/m", version: "site-2" })).toBe("replace-site");
    expect(siteChange("site-2", null)).toBe("generic-only");
  });
});

describe("WorkerJudge", () => {
  test("starts its thread with the first batch (a Moat without the mirror in use holds no second model), then judges as the service does", async () => {
    const detector = await Detector.load();
    const judge = new WorkerJudge(detector, "/nonexistent-model-dir", 0, () => {});
    try {
      expect(judge.started).toBe(false);
      const request = toHttpRequest({ method: "GET", path: "/search", query_params: { q: "<script>alert(document.cookie)</script>" } }, Date.now());
      const [onThread] = await judge.judge([request]);
      expect(judge.started).toBe(true);
      const [here] = await detector.judge([request]);
      expect({ flagged: onThread!.isAnomaly, type: onThread!.attackType }).toEqual({ flagged: here!.isAnomaly, type: here!.attackType });
      expect(onThread!.isAnomaly).toBe(true);
    } finally {
      judge.close();
    }
  });

  test.if(existsSync("/proc/self/task"))("the judging thread runs at its own niceness; the service's threads keep theirs", async () => {
    const detector = await Detector.load();
    const before = threadNiceness();
    const judge = new WorkerJudge(detector, "/nonexistent-model-dir", 7, () => {});
    try {
      const request = toHttpRequest({ method: "GET", path: "/search", query_params: { q: "blue shoes" } }, Date.now());
      await judge.judge([request]);
      const after = threadNiceness();
      // The worker's thread (and the threads it started since: its heap's collector) at 7.
      expect(after.some((t) => t.name === "Worker" && t.nice === 7)).toBe(true);
      // Every thread there was before, the main thread first, is as it was.
      const was = new Map(before.map((t) => [t.tid, t.nice]));
      expect(after.filter((t) => was.has(t.tid)).every((t) => t.nice === was.get(t.tid))).toBe(true);
      expect(after[0]!.nice).toBe(before[0]!.nice);
    } finally {
      judge.close();
    }
  });

  test("a site model the thread cannot load leaves it judging with the models it has, batch after batch", async () => {
    // The service says its site model is v1 in a folder that holds none.
    const service = { site: { meta: { version: "v1" } }, thresholdSetting: undefined } as unknown as Detector;
    const judge = new WorkerJudge(service, "/nonexistent-model-dir", 0, () => {});
    try {
      const request = toHttpRequest({ method: "GET", path: "/search", query_params: { q: "' UNION SELECT password FROM users--" } }, Date.now());
      for (let batch = 0; batch < 2; batch++) expect((await judge.judge([request]))[0]!.isAnomaly).toBe(true);
    } finally {
      judge.close();
    }
  });
});
