/**
 * Preloaded by bun test (bunfig.toml): what every test run does at its end. bun test runs no process
 * exit handlers, and a hook registered by a helper module belongs to the first test file that imports
 * it only; a hook registered here runs once, after the last file.
 */
import { afterAll } from "bun:test";
import { stopLeftoverServes } from "./helpers/serve.ts";
import { removeTempDirs, tempDir } from "./helpers/tmp.ts";
import { stopPostgres } from "./helpers/postgres.ts";

// The default data directory ($XDG_DATA_HOME/moat) is the user's: a test that names none (a `moat
// serve` that auto-trains a site model, writes a deny list or a redaction key) must not write there,
// and must not read what is there. Every process the tests start inherits this one.
process.env.XDG_DATA_HOME = tempDir("moat-xdg-");

afterAll(async () => {
  stopLeftoverServes(); // those a failed test left running
  await stopPostgres(); // before its data directory goes
  removeTempDirs();
});
