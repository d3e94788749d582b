/** The progress line of `moat scan`: a percent and the time left when the share done is known, .gz inputs included. */
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { createProgress, duration } from "../../cli/progress.ts";
import { readInputLines, resolveInputs } from "../../src/ingest/batch.ts";
import { tempDir } from "../helpers/tmp.ts";

/** A progress line written to a string, on a clock the test moves. */
function recorded() {
  let clock = 0;
  const written: string[] = [];
  const progress = createProgress(true, { write: (t: string) => written.push(t), columns: 200 }, () => clock);
  return { progress, at: (ms: number) => (clock = ms), last: () => written.at(-1)!.replace("\r\x1b[2K", "") };
}

describe("progress", () => {
  test("a percent and an ETA from the pace so far; none before a second, none when the share is unknown", () => {
    const { progress, at, last } = recorded();
    at(500);
    progress.update({ label: "access.log.gz", done: 1000, unit: "lines", fraction: 0.05 });
    expect(last()).toBe("access.log.gz 5.0%  1.0k lines  2.0k lines/s"); // too early to tell
    at(30_000);
    progress.update({ label: "access.log.gz", done: 40_000, unit: "lines", fraction: 0.25 });
    expect(last()).toBe("access.log.gz 25.0% ETA 1m30s  40.0k lines  1.3k lines/s"); // 30 s for a quarter: 90 s left
    at(31_000);
    progress.update({ label: "stdin", done: 41_000, unit: "lines" });
    expect(last()).toBe("stdin  41.0k lines  1.3k lines/s");
  });

  test("durations read as a person says them", () => {
    expect([duration(9.4), duration(90), duration(3600 + 5 * 60 + 59)]).toEqual(["9s", "1m30s", "1h05m"]);
  });

  test("a .gz input counts its compressed bytes read, so that its share reaches its file size", async () => {
    const file = join(tempDir(), "access.log.gz");
    writeFileSync(file, gzipSync(Buffer.from('1.2.3.4 - - [24/Nov/2026:11:54:54 +0000] "GET /x HTTP/1.1" 200 3 "-" "ua"\n'.repeat(50_000))));
    const [input] = resolveInputs([file]);
    expect(input!.bytesRead!()).toBe(0);
    let lines = 0;
    for await (const batch of readInputLines(input!)) lines += batch.length;
    expect(lines).toBe(50_000);
    expect(input!.bytesRead!()).toBe(input!.size!); // the compressed size on disk, not the 3.6 MB it holds
  });
});
