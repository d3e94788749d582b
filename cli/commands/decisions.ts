import { Command } from "commander";
import type { Config } from "../../src/config/schema.ts";
import { createLogger } from "../../src/core/log.ts";
import { Activities } from "../../src/services/activities.ts";
import { Bus } from "../../src/pipeline/bus.ts";
import { DenyList, type SyncResult } from "../../src/services/deny-list/service.ts";
import { BanError, describeExpiry, parseDuration, type BanRow } from "../../src/services/deny-list/rules.ts";
import { addConfigOptions, withStore, type ConfigFlags } from "../config-options.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { addOutputOptions, writeListing, writeText, type Column, type OutputFlags } from "../output.ts";
import { escapeControls } from "../../src/core/control-chars.ts";

/** Opens the store and a deny list over it; the CLI rewrites the file itself, so a manual ban takes effect without `moat serve`. */
async function withDenyList(flags: ConfigFlags, run: (denyList: DenyList, config: Config) => Promise<void>): Promise<void> {
  try {
    await withStore(flags, async (store, config) => {
      // Every outcome is printed by the command itself: Moat's own log lines would only repeat it.
      const log = createLogger({ level: "error", format: config.log.format, write: () => {} });
      await run(new DenyList({ config, store, activities: new Activities(store, new Bus()), log, now: () => Date.now(), monotonic: () => performance.now() }), config);
    });
  } catch (e) {
    if (e instanceof BanError) throw new CliError(e.message, EXIT.usage);
    throw e;
  }
}

/** Drops expired bans, rewrites the file and reloads; a failure is an error after the ban itself was stored. */
async function apply(denyList: DenyList, done: string): Promise<void> {
  denyList.expire(Date.now());
  const result: SyncResult = await denyList.sync();
  const file = result.written ? `wrote ${result.file} (${result.addresses} address${result.addresses === 1 ? "" : "es"})` : `${result.file} already up to date`;
  const reload = result.reload === "ok" ? "; reload command ran" : result.reload === "not configured" ? "; no reload command configured (ban.reload_command): reload nginx yourself" : "";
  if (result.error) throw new CliError(`${done}, but the deny list is not applied: ${result.error}`, EXIT.ioError);
  await writeText(`${escapeControls(done)}\n${escapeControls(file)}${reload}\n`);
}

/** A ban's reason quotes the request that earned it: writeListing escapes it, one line per ban. */
const DECISION_COLUMNS: Column<BanRow>[] = [
  ["ip", (r) => r.ip],
  ["source", (r) => (r.simulated ? `${r.source} (simulated: not written)` : r.source)],
  ["expires", (r) => describeExpiry(r.expiresAt)],
  ["reason", (r) => r.reason],
];

/** `moat decisions` (like `cscli decisions`), also `moat ban`: the bans of the nginx deny list. */
export function decisionsCommand(): Command {
  const cmd = new Command("decisions")
    .alias("ban")
    .description("the ban decisions of passive blocking (the nginx deny list): list, add or delete them (same --db/--config as serve); `moat ban` is the same command");
  const list = cmd.command("list").description("active decisions, newest first: addresses and prefixes, automatic or by hand, simulated ones marked");
  addOutputOptions(list, ["moat decisions list", "moat decisions list -o csv > bans.csv", "moat decisions list -o json | jq -r '.[] | select(.source == \"auto\") | .ip'"]);
  addConfigOptions(list).action((flags: ConfigFlags & OutputFlags) =>
    withDenyList(flags, async (denyList) => {
      const rows = denyList.list();
      await writeListing(flags, { columns: DECISION_COLUMNS, rows, json: rows, empty: "no active bans" });
    }),
  );
  addConfigOptions(
    cmd
      .command("add")
      .description("ban an address now and rewrite the deny file (ban.file), then run ban.reload_command")
      .argument("<ip>", "IPv4 or IPv6 unicast address")
      .option("--duration <duration>", "how long: 90s, 15m, 1h, 7d; 0 for until removed", "0")
      .option("--reason <text>", "why (shown by moat ban list and in the activities)", "banned by hand"),
  ).action((ip: string, flags: ConfigFlags & { duration: string; reason: string }) =>
    withDenyList(flags, async (denyList, config) => {
      const row = denyList.ban(ip, { source: "manual", reason: flags.reason, durationMs: parseDuration(flags.duration) });
      await apply(denyList, `banned ${row.ip} ${describeExpiry(row.expiresAt)}`);
      if (row.expiresAt !== null && !config.ban.enabled) await writeText("note: ban.enabled is false, so moat serve will not lift it when it expires; the next moat ban add|remove will\n");
    }),
  );
  addConfigOptions(
    cmd.command("delete").alias("remove").description("lift a ban now and rewrite the deny file, then run ban.reload_command").argument("<ip>", "IPv4 or IPv6 address, or a banned prefix such as 203.0.113.0/24"),
  ).action((ip: string, flags: ConfigFlags) =>
    withDenyList(flags, async (denyList) => {
      const row = denyList.unban(ip);
      if (!row) throw new CliError(`${ip} is not banned (moat ban list shows the active bans)`, EXIT.noInput);
      await apply(denyList, `removed the ban on ${row.ip}`);
    }),
  );
  return cmd;
}
