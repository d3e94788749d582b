/**
 * One `moat serve` per database, with real processes: a second one on the same database refuses to
 * start (exit 75, naming the database and the first one's pid) and stores nothing; the first goes on
 * storing each line once; read commands work beside it; the lock dies with a SIGKILLed holder. A
 * second one on the same port fails to bind instead of sharing it (no SO_REUSEPORT).
 */
import { describe, expect, test } from "bun:test";
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startServe, serveDetail, waitFor, waitForListening, waitForMirrorListening } from "../helpers/serve.ts";
import { dbCounts } from "../helpers/db.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

const line = (i: number) => `192.0.2.7 - - [24/Nov/2026:11:54:54 +0000] "GET /products?id=${i} HTTP/1.1" 200 3 "-" "Mozilla/5.0"\n`;
const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => line(from + i)).join("");

describe("a second moat serve", () => {
  test("on the same database exits 75 with the database and the pid; the first keeps storing each line once; a SIGKILLed holder leaves no lock", async () => {
    const dir = tempDir();
    const db = join(dir, "moat.db");
    const log = join(dir, "access.log");
    writeFileSync(log, lines(0, 20));
    const first = startServe(["--log", log, "--db", db]);
    await waitForListening(first);
    await waitFor("20 stored requests", () => dbCounts(db).requests === 20, 30_000, serveDetail(first, () => dbCounts(db)));

    const second = startServe(["--log", log, "--db", db]);
    expect(await second.proc.exited).toBe(75);
    expect(second.stderr()).toContain(`moat: ${db} is in use by another moat serve (pid ${first.proc.pid})`);
    expect(second.stderr()).not.toContain("msg=listening");

    // Reading commands work beside the running service.
    const stats = runCli(["db", "stats", "--db", db, "-c", "/dev/null", "--json"]);
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ requests: 20, trafficRows: 20 });
    expect(runCli(["db", "export", "--db", db, "-c", "/dev/null"]).code).toBe(0);
    const doctor = runCli(["doctor", "--db", db, "-c", "/dev/null", "--log", log, "--port", "0", "--nginx", "127.0.0.1:1"]);
    expect(doctor.stdout).toContain(`OK    database: ${db} (exists, in use by moat serve (pid ${first.proc.pid}))`);

    appendFileSync(log, lines(20, 10));
    await waitFor("30 stored requests", () => dbCounts(db).requests === 30, 30_000, serveDetail(first, () => dbCounts(db)));
    await Bun.sleep(1000); // a second consumer of the log would double them now
    expect(dbCounts(db)).toMatchObject({ requests: 30, trafficRows: 30 });

    // SIGKILL: no chance to clean up, and the kernel drops the lock with the process.
    first.proc.kill("SIGKILL");
    await first.proc.exited;
    const third = startServe(["--log", log, "--db", db]);
    await waitForListening(third);
    appendFileSync(log, lines(30, 5));
    await waitFor("35 stored requests", () => dbCounts(db).requests === 35, 30_000, serveDetail(third, () => dbCounts(db)));
    third.proc.kill("SIGTERM");
    expect(await third.proc.exited).toBe(0);
  }, 120_000);

  test("on the same port (another database) exits 75 instead of sharing the port", async () => {
    const first = startServe(["--db", join(tempDir(), "moat.db")]);
    const url = await waitForListening(first);
    const port = new URL(url).port;
    const second = startServe(["--db", join(tempDir(), "moat.db"), "--port", port]);
    expect(await second.proc.exited).toBe(75);
    expect(second.stderr()).toContain(`moat: 127.0.0.1:${port} is in use by another program`);
    first.proc.kill("SIGTERM");
    expect(await first.proc.exited).toBe(0);
  }, 60_000);

  test("on the same mirror port (another database) exits 75 and names the mirror's listener", async () => {
    const first = startServe(["--db", join(tempDir(), "moat.db")]);
    await waitForListening(first);
    const mirrorPort = await waitForMirrorListening(first);
    const second = startServe(["--db", join(tempDir(), "moat.db")], { MOAT_MIRROR_PORT: String(mirrorPort) });
    expect(await second.proc.exited).toBe(75);
    expect(second.stderr()).toContain(`moat: 127.0.0.1:${mirrorPort}, the mirror's listener, is in use by another program`);
    first.proc.kill("SIGTERM");
    expect(await first.proc.exited).toBe(0);
  }, 60_000);
});
