/** --config / --db, shared by the commands that use the service's configuration and database. */
import { Command } from "commander";
import { existsSync } from "node:fs";
import { ConfigError, loadConfig, type LoadedConfig } from "../src/config/load.ts";
import type { Config } from "../src/config/schema.ts";
import { openStore, StoreError, type Store } from "../src/store/db.ts";
import { CliError, EXIT } from "./exit-codes.ts";
import { warn } from "./output.ts";

export interface ConfigFlags {
  config?: string;
  db?: string;
}

export const DEFAULT_CONFIG_FILE = "moat.toml";

export function addConfigOptions(cmd: Command): Command {
  return cmd
    .option("-c, --config <file>", `configuration file (default: $MOAT_CONFIG, else ./${DEFAULT_CONFIG_FILE} when present)`)
    .option("--db <file|url>", "SQLite database file or postgres:// URL (overrides storage.db)");
}

/** Loads the configuration; `flags` maps extra command-line values onto config keys. */
export function configFrom(flags: ConfigFlags, extra: Record<string, unknown> = {}): LoadedConfig {
  const file = flags.config ?? process.env.MOAT_CONFIG ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  try {
    const loaded = loadConfig({ file, fileRequired: Boolean(flags.config ?? process.env.MOAT_CONFIG), flags: { "storage.db": flags.db, ...extra } });
    for (const warning of loaded.warnings) warn(warning);
    return loaded;
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const warning of e.warnings) warn(warning);
      throw new CliError(e.message, EXIT.usage);
    }
    throw e;
  }
}

function storeFrom(loaded: LoadedConfig): Store {
  try {
    return openStore(loaded.config.storage.db);
  } catch (e) {
    if (e instanceof StoreError) throw new CliError(e.message, EXIT.ioError);
    throw e;
  }
}

/** Runs `run` with the configured database open, and closes it however `run` ends. */
export async function withStore(flags: ConfigFlags, run: (store: Store, config: Config) => Promise<void>): Promise<void> {
  const loaded = configFrom(flags);
  const store = storeFrom(loaded);
  try {
    await run(store, loaded.config);
  } finally {
    store.close();
  }
}
