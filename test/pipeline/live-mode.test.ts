/**
 * One pipeline for every source: the mode an operator sets while Moat runs (PUT /api/waf/config)
 * decides what the tail, the inline checks and the mirror mark as blocked, and what the metrics count.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { followLogs, makeApiServices, type TestServices } from "../helpers/api.ts";
import { waitFor } from "../helpers/serve.ts";
import { tempDir } from "../helpers/tmp.ts";

const SQLI_LINE = `203.0.113.9 - - [04/Dec/2026:10:00:00 +0000] "GET /search?q=1'%20UNION%20SELECT%20password%20FROM%20users-- HTTP/1.1" 200 512 "-" "curl/8.5.0"`;
const BENIGN_LINE = `203.0.113.10 - - [04/Dec/2026:10:00:01 +0000] "GET /products/42 HTTP/1.1" 200 2048 "-" "Mozilla/5.0"`;

let closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
});

async function servicesIn(mode: "detect" | "block"): Promise<TestServices> {
  const s = await makeApiServices({ MOAT_DETECT_MODE: mode });
  closers.push(() => s.ctx.store.close());
  return s;
}

function follow(s: TestServices, lines: string[]) {
  const log = join(tempDir("moat-mode-"), "access.log");
  writeFileSync(log, `${lines.join("\n")}\n`);
  const ingest = followLogs(s, [log]);
  closers.unshift(() => ingest.close());
  return waitFor("the log stored", () => s.sources()[0]?.lines === lines.length);
}

const stored = (s: TestServices) => ({
  traffic: s.ctx.store.sqlite!.query("select path, blocked from traffic order by id").all(),
  threats: s.ctx.store.sqlite!.query("select endpoint, blocked from threats order by id").all(),
});

describe("the live mode", () => {
  test("switched to block after start-up: tailed threats are blocked, in the store and in the metrics", async () => {
    const s = await servicesIn("detect");
    s.settings.update({ mode: "block" });
    await follow(s, [SQLI_LINE, BENIGN_LINE]);
    expect(stored(s)).toEqual({ traffic: [{ path: "/search", blocked: 1 }, { path: "/products/42", blocked: 0 }], threats: [{ endpoint: "/search", blocked: 1 }] });
    await Promise.resolve(); // the metrics follow the bus on a microtask
    expect(s.metrics.snapshot()).toMatchObject({ requests: 2, flagged: 1, blocked: 1 });
  });

  test("switched back to detect: nothing is blocked any more", async () => {
    const s = await servicesIn("block");
    s.settings.update({ mode: "detect" });
    await follow(s, [SQLI_LINE]);
    expect(stored(s).threats).toEqual([{ endpoint: "/search", blocked: 0 }]);
    await Promise.resolve();
    expect(s.metrics.snapshot()).toMatchObject({ flagged: 1, blocked: 0 });
  });

  test("a request from an address the deny list refuses counts as blocked (nginx answered it 403), in any mode", async () => {
    const s = await makeApiServices({ MOAT_BAN_ENABLED: "true", MOAT_BAN_TEST_COMMAND: "" });
    closers.push(() => s.ctx.store.close());
    s.denyList!.ban("203.0.113.10", { source: "manual", reason: "test", durationMs: null });
    await s.denyList!.sync();
    await follow(s, [BENIGN_LINE.replace('" 200 2048', '" 403 153'), SQLI_LINE]);
    expect(stored(s).traffic).toEqual([{ path: "/products/42", blocked: 1 }, { path: "/search", blocked: 0 }]);
    await Promise.resolve();
    expect(s.metrics.snapshot()).toMatchObject({ requests: 2, blocked: 1 });
  });
});
