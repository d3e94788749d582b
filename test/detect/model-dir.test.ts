/**
 * The site model directory's history: ordered by when models were replaced (not by their names),
 * rollback keeps the model it replaces, and what a kill inside a promote leaves is cleaned up and
 * never reported as a restore.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exportDenseLogisticOnnx } from "../../src/detect/onnx/dense.ts";
import { SITE_META_KEY } from "../../src/detect/site/model.ts";
import { promote, rollback } from "../../src/detect/site/model-dir.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

/** A file that reads as a site model of `version` (metadata only: enough for the directory's bookkeeping). */
function model(version: string): Uint8Array {
  return exportDenseLogisticOnnx({ w: Float32Array.of(1), b: 0 }, { [SITE_META_KEY]: JSON.stringify({ kind: "site", version }) });
}

const live = (dir: string) => readFileSync(join(dir, "site.onnx"));
const isModel = (bytes: Uint8Array, version: string) => Buffer.from(bytes).equals(Buffer.from(model(version)));
/** A pid no process can have (above Linux's pid_max): the writer of a temporary file named with it is gone. */
const DEAD_PID = 2_147_483_647;

describe("site model history", () => {
  test("rollback restores the model the last promote replaced, whatever the versions' names", () => {
    const dir = tempDir();
    promote(dir, model("site-1"), "site-1");
    promote(dir, model("site-2"), "site-2");
    promote(dir, model("site-3"), "site-3");
    // An older model promoted by hand: it replaces site-3, so rolling back must bring site-3 back (a
    // history sorted by name would pick the entry named after site-3, which holds site-2).
    promote(dir, model("site-1"), "site-1");
    const restored = rollback(dir);
    expect(isModel(live(dir), "site-3")).toBe(true);
    expect(restored?.version).toBe("site-3");
  });

  test("rollback keeps the model it replaces, so a second rollback undoes the first; --to goes further back", () => {
    const dir = tempDir();
    promote(dir, model("site-a"), "site-a");
    promote(dir, model("site-b"), "site-b");
    promote(dir, model("site-c"), "site-c");
    rollback(dir);
    expect(isModel(live(dir), "site-b")).toBe(true);
    const kept = readdirSync(join(dir, "history")).map((f) => readFileSync(join(dir, "history", f)));
    expect(kept.some((bytes) => isModel(bytes, "site-c"))).toBe(true);
    rollback(dir);
    expect(isModel(live(dir), "site-c")).toBe(true);
    expect(rollback(dir, "site-a")?.version).toBe("site-a");
    expect(isModel(live(dir), "site-a")).toBe(true);
    expect(rollback(dir, "site-z")).toBeNull();
  });

  test("a rollback reports the hash of the live file, which is the restored entry's", () => {
    const dir = tempDir();
    promote(dir, model("site-a"), "site-a");
    promote(dir, model("site-b"), "site-b");
    const restored = rollback(dir)!;
    expect(restored.sha256).toBe(new Bun.CryptoHasher("sha256").update(live(dir)).digest("hex"));
    expect(restored.sha256).toBe(new Bun.CryptoHasher("sha256").update(model("site-a")).digest("hex"));
  });
});

describe("after a kill between keeping the live model and the rename", () => {
  /**
   * What a kill there leaves: the live model unchanged, a copy of it as the newest history entry,
   * and the new model in a temporary file.
   */
  function interruptedPromote(dir: string, liveVersion: string, newVersion: string): string {
    mkdirSync(join(dir, "history"), { recursive: true });
    writeFileSync(join(dir, "history", `00000009-replaced-before-${newVersion}.onnx`), live(dir));
    const tmp = join(dir, `site.onnx.${DEAD_PID}.tmp`);
    writeFileSync(tmp, model(newVersion));
    expect(isModel(live(dir), liveVersion)).toBe(true);
    return tmp;
  }

  test("moat model rollback removes the stray temporary file and does not claim a restore that changes nothing", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "site.onnx"), model("site-1"));
    const tmp = interruptedPromote(dir, "site-1", "site-2");
    const r = runCli(["model", "rollback", dir]);
    expect(existsSync(tmp)).toBe(false);
    expect(r.stderr).toContain(`removed ${tmp}`);
    expect(r.stdout).not.toContain("restored");
    expect(r.code).toBe(65);
    expect(r.stderr).toContain("no earlier model");
    expect(isModel(live(dir), "site-1")).toBe(true);
  });

  test("with an earlier model kept, rollback skips the copy of the live one and restores that model", () => {
    const dir = tempDir();
    promote(dir, model("site-0"), "site-0");
    promote(dir, model("site-1"), "site-1");
    interruptedPromote(dir, "site-1", "site-2");
    const r = runCli(["model", "rollback", dir]);
    expect(isModel(live(dir), "site-0")).toBe(true);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("restored site-0");
    // The history now holds site-1 (replaced by the rollback) once: the copy left by the kill is gone.
    const kept = readdirSync(join(dir, "history")).map((f) => readFileSync(join(dir, "history", f)));
    expect(kept.filter((bytes) => isModel(bytes, "site-1"))).toHaveLength(1);
    expect(kept).toHaveLength(1);
  });

  test("a temporary file of a process still running is left alone", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "site.onnx"), model("site-1"));
    const running = Bun.spawn(["sleep", "30"]);
    try {
      const tmp = join(dir, `site.onnx.${running.pid}.tmp`);
      writeFileSync(tmp, model("site-2"));
      runCli(["model", "rollback", dir]);
      expect(existsSync(tmp)).toBe(true);
    } finally {
      running.kill();
    }
  });
});
