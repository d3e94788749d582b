import { Command, Option } from "commander";
import { closeSync, openSync, writeFileSync } from "node:fs";
import { dbBytes, dbStats } from "../../src/store/stats.ts";
import { exportRows, type ExportFormat, type ExportTable } from "../../src/store/export.ts";
import { compactIfDue, enforceRetention } from "../../src/services/retention.ts";
import { parseRange } from "../../src/services/range.ts";
import { addConfigOptions, withStore, type ConfigFlags } from "../config-options.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { writeOut } from "../output.ts";

export function dbCommand(): Command {
  const cmd = new Command("db").description("database maintenance (same --db/--config as serve)");
  addConfigOptions(cmd.command("stats").description("what the database holds; requests counts every request ever ingested, pruned ones included").option("--json", "print JSON")).action(
    (flags: ConfigFlags & { json?: boolean }) =>
      withStore(flags, async (store) => {
        const stats = dbStats(store);
        await writeOut(flags.json ? JSON.stringify(stats, null, 2) + "\n" : Object.entries(stats).map(([k, v]) => `${k.padEnd(14)} ${v}`).join("\n") + "\n");
      }),
  );
  addConfigOptions(cmd.command("prune").description("apply the retention limits now (rows, age, size)")).action((flags: ConfigFlags) =>
    withStore(flags, async (store, config) => {
      const r = enforceRetention(store, { trafficRows: config.retention.traffic_rows, maxAgeDays: config.retention.max_age_days, maxDbMb: config.retention.max_db_mb }, Date.now());
      await writeOut(`deleted ${r.trafficDeleted} traffic rows, ${r.threatsDeleted} threats, ${r.otherDeleted} other rows; used ${(r.usedBytesBefore / 2 ** 20).toFixed(1)} MB → ${(r.usedBytesAfter / 2 ** 20).toFixed(1)} MB\n`);
    }),
  );
  addConfigOptions(cmd.command("vacuum").description("give free space back to the file system (VACUUM) and optimize")).action((flags: ConfigFlags) =>
    withStore(flags, async (store) => {
      const before = dbBytes(store);
      compactIfDue(store, true);
      await writeOut(`vacuumed: ${(before / 2 ** 20).toFixed(1)} MB → ${(dbBytes(store) / 2 ** 20).toFixed(1)} MB\n`);
    }),
  );
  addConfigOptions(
    cmd
      .command("export")
      .description("threats or alerts for a SIEM")
      .addOption(new Option("--format <format>", "output format").choices(["ndjson", "csv"]).default("ndjson"))
      .addOption(new Option("--table <table>", "what to export").choices(["threats", "alerts"]).default("threats"))
      .option("--range <range>", "only the last 1h, 24h, 7d, 30d, <N>h or <N>d")
      .option("-o, --out <file>", "write to a file instead of stdout"),
  ).action((flags: ConfigFlags & { format: ExportFormat; table: ExportTable; range?: string; out?: string }) =>
    withStore(flags, async (store) => {
      let since = 0;
      if (flags.range) {
        try {
          since = Date.now() - parseRange(flags.range).ms;
        } catch (e) {
          throw new CliError((e as Error).message, EXIT.usage);
        }
      }
      // Opened and written synchronously: a bad path or a full disk is thrown here and mapped to its exit code (a stream would raise it as an uncaught event).
      const fd = flags.out ? openSync(flags.out, "w") : null;
      try {
        for await (const chunk of exportRows(store, flags.table, flags.format, since)) {
          if (fd === null) await writeOut(chunk);
          else writeFileSync(fd, chunk);
        }
      } finally {
        if (fd !== null) closeSync(fd);
      }
    }),
  );
  return cmd;
}
