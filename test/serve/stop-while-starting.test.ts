/**
 * A stop asked for while `moat serve` starts (its database open, the rest still starting) is a graceful
 * stop as soon as it is up: exit 0 and "stopped" logged, not the signal's default action (exit 143)
 * that would end it without the batch in flight. The service listens and reads its log before its
 * start has returned, so a stop can come in between.
 */
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startServe, waitFor } from "../helpers/serve.ts";
import { tempDir } from "../helpers/tmp.ts";

describe("a stop while moat serve starts", () => {
  test("SIGTERM right after its database opened ends it gracefully once it is up", async () => {
    const dir = tempDir();
    const log = join(dir, "access.log");
    writeFileSync(log, `192.0.2.7 - - [24/Nov/2026:11:54:54 +0000] "GET /products?id=1 HTTP/1.1" 200 3 "-" "Mozilla/5.0"\n`);
    const serve = startServe(["--log", log, "--db", join(dir, "moat.db")]);
    await waitFor("its database open", () => serve.stderr().includes('msg="database open"'), 60_000);
    serve.proc.kill("SIGTERM");
    expect(await serve.proc.exited).toBe(0);
    expect(serve.stderr()).toContain("msg=stopped");
  }, 120_000);
});
