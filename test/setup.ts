/**
 * Preloaded by bun test (bunfig.toml): what every test run does at its end. bun test runs no process
 * exit handlers, and a hook registered by a helper module belongs to the first test file that imports
 * it only; a hook registered here runs once, after the last file.
 */
import { afterAll } from "bun:test";
import { stopLeftoverServes } from "./helpers/serve.ts";
import { removeTempDirs } from "./helpers/tmp.ts";
import { stopPostgres } from "./helpers/postgres.ts";

afterAll(async () => {
  stopLeftoverServes(); // those a failed test left running
  await stopPostgres(); // before its data directory goes
  removeTempDirs();
});
