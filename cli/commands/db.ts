import { Command, InvalidArgumentError, Option } from "commander";
import { closeSync, existsSync, openSync, writeFileSync } from "node:fs";
import { dbFileBytes, dbStats } from "../../src/store/stats.ts";
import { checkIntegrity, DEFAULT_MAX_ERRORS, IntegrityCheckError, type IntegrityReport } from "../../src/store/integrity.ts";
import { PRIVATE_FILE_MODE } from "../../src/core/private-files.ts";
import { EXPORT_FORMATS, exportRows, type ExportFormat, type ExportTable } from "../../src/store/export.ts";
import { compactIfDue, enforceRetention } from "../../src/services/retention.ts";
import { applyStoredSettings } from "../../src/services/runtime-settings.ts";
import { parseRange } from "../../src/services/range.ts";
import { addConfigOptions, configFrom, withStore, type ConfigFlags } from "../config-options.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { addExamples, addOutputOptions, writeListing, writeOut, writeText, type Column, type OutputFlags } from "../output.ts";
import { escapeControls, safeJson } from "../../src/core/control-chars.ts";
import { isPostgresUrl } from "../../src/store/sql-client.ts";

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

/** `moat db check`'s report for a person: the verdict, then what SQLite found and what to do. */
function checkSummary(file: string, report: IntegrityReport, maxErrors: number): string {
  const path = escapeControls(file); // one line whatever the path holds (see cli/output.ts)
  const size = `${(report.bytes / 2 ** 20).toFixed(1)} MB`;
  const took = `${(report.ms / 1000).toFixed(1)} s`;
  if (!report.problems.length) return `ok: integrity_check found no problem in ${path} (${size}, ${took})\n`;
  const stopped = report.problems.length >= maxErrors ? ` (stopped at --max-errors ${maxErrors}; there may be more)` : "";
  return [
    `DAMAGED: integrity_check found ${plural(report.problems.length, "problem")} in ${path}${stopped} (${size}, ${took}):`,
    ...report.problems.map((p) => `  ${escapeControls(p)}`),
    "To recover: stop moat serve, then rebuild the database from what can still be read (README, Troubleshooting).",
    "",
  ].join("\n");
}

/** Runs `work`; meanwhile, on a terminal, shows how long it has been going (a check of a large database takes a while). */
async function withElapsedTicker<T>(label: string, work: () => Promise<T>): Promise<T> {
  if (!process.stderr.isTTY) return work();
  const started = performance.now();
  const tick = setInterval(() => process.stderr.write(`\r\x1b[2K${escapeControls(label)}: ${Math.round((performance.now() - started) / 1000)} s`), 1000);
  try {
    return await work();
  } finally {
    clearInterval(tick);
    process.stderr.write("\r\x1b[2K");
  }
}

const STAT_COLUMNS: Column<[string, string | number]>[] = [
  ["name", ([name]) => name],
  ["value", ([, value]) => value],
];

/**
 * `-o` names the format, as in every listing (`-o table|json|csv`); export's formats are its own. It
 * once named the output file: a value that looks like a path says where the file option went.
 */
function exportFormat(value: string): ExportFormat {
  if ((EXPORT_FORMATS as readonly string[]).includes(value)) return value as ExportFormat;
  const hint = /[./]/.test(value) ? ": -o names the format, as in every listing; write to a file with --out <file>" : value === "json" ? " (ndjson is JSON, an object a line)" : "";
  throw new InvalidArgumentError(`the formats are ${EXPORT_FORMATS.join(" and ")}${hint}`);
}

export function dbCommand(): Command {
  const cmd = new Command("db").description("database maintenance (same --db/--config as serve)");
  const stats = cmd.command("stats").description("what the database holds; requests counts every request ever ingested, pruned ones included");
  addOutputOptions(stats, ["moat db stats", "moat db stats -o csv", "moat db stats -o json | jq .threats"]);
  addConfigOptions(stats).action((flags: ConfigFlags & OutputFlags) =>
    withStore(flags, async (store) => {
      const stats = dbStats(store);
      // One row a figure: the table reads down, and the CSV stays two columns whatever the figures become.
      await writeListing(flags, { columns: STAT_COLUMNS, rows: Object.entries(stats), json: stats });
    }),
  );
  addConfigOptions(cmd.command("prune").description("apply the retention limits now (rows, age, size)")).action((flags: ConfigFlags) =>
    withStore(flags, async (store, config) => {
      applyStoredSettings(config, store); // the limits set from the dashboard, as moat serve applies them
      const r = enforceRetention(store, { trafficRows: config.retention.traffic_rows, maxAgeDays: config.retention.max_age_days, maxDbMb: config.retention.max_db_mb }, Date.now());
      await writeOut(`deleted ${r.trafficDeleted} traffic rows, ${r.threatsDeleted} threats, ${r.otherDeleted} other rows; used ${(r.usedBytesBefore / 2 ** 20).toFixed(1)} MB → ${(r.usedBytesAfter / 2 ** 20).toFixed(1)} MB\n`);
    }),
  );
  addConfigOptions(cmd.command("vacuum").description("give free space back to the file system (VACUUM) and optimize").option("--json", "print the sizes (bytes) as JSON")).action((flags: ConfigFlags & { json?: boolean }) =>
    withStore(flags, async (store) => {
      if (!store.sqlite) {
        compactIfDue(store, true);
        return flags.json ? writeOut(safeJson({ db: store.path, vacuumed: true }, 2) + "\n") : writeText(`VACUUM ANALYZE done on ${escapeControls(store.path)} (PostgreSQL gives space back to its own files, not to the file system)\n`);
      }
      const before = dbFileBytes(store);
      compactIfDue(store, true);
      // In WAL mode VACUUM writes the new copy of the database into the write-ahead log: the file
      // shrinks when the log is checkpointed into it. A reader (moat serve) can hold that back.
      const { busy } = store.sqlite.query("PRAGMA wal_checkpoint(TRUNCATE)").get() as { busy: number };
      const after = dbFileBytes(store);
      if (flags.json) return writeOut(safeJson({ db: store.path, database: { before: before.database, after: after.database }, wal: { before: before.wal, after: after.wal }, checkpointed: !busy }, 2) + "\n");
      const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
      const pending = busy ? "\nthe write-ahead log is folded into the database at the next checkpoint (another process, moat serve, is reading it)" : "";
      await writeText(`vacuumed ${escapeControls(store.path)}: database ${mb(before.database)} → ${mb(after.database)}, write-ahead log ${mb(before.wal)} → ${mb(after.wal)}${pending}\n`);
    }),
  );
  addConfigOptions(
    cmd
      .command("check")
      .description("SQLite's full integrity_check of the database, read-only (safe while moat serve runs); exits 65 when it finds damage")
      .option("--max-errors <n>", "stop after this many problems", String(DEFAULT_MAX_ERRORS))
      .option("--json", "print the report as JSON"),
  ).action(async (flags: ConfigFlags & { maxErrors: string; json?: boolean }) => {
    const maxErrors = Number(flags.maxErrors);
    if (!Number.isInteger(maxErrors) || maxErrors < 1) throw new CliError(`--max-errors must be a whole number from 1, got ${flags.maxErrors}`, EXIT.usage);
    const path = configFrom(flags).config.storage.db;
    if (isPostgresUrl(path)) throw new CliError("db check runs SQLite's integrity_check; PostgreSQL checks its own pages (see its amcheck and pg_checksums)", EXIT.usage);
    if (!existsSync(path)) throw new CliError(`${path} does not exist (set storage.db or --db)`, EXIT.noInput);
    const report = await withElapsedTicker(`integrity_check of ${path}`, () => checkIntegrity(path, { pragma: "integrity_check", maxErrors })).catch((e: Error) => {
      throw e instanceof IntegrityCheckError ? new CliError(e.message, EXIT.noInput) : e;
    });
    if (flags.json) await writeOut(safeJson({ db: path, ...report, ok: !report.problems.length }, 2) + "\n");
    else await writeText(checkSummary(path, report, maxErrors));
    if (report.problems.length) process.exitCode = EXIT.dataError;
  });
  const exportCmd = addConfigOptions(
    cmd
      .command("export")
      .description("threats or alerts for a SIEM")
      .addOption(new Option("-o, --output <format>", "ndjson (a JSON object a line) or csv").argParser(exportFormat).default("ndjson"))
      .addOption(new Option("--format <format>", "the same as -o (the older spelling)").argParser(exportFormat).hideHelp())
      .addOption(new Option("--table <table>", "what to export").choices(["threats", "alerts"]).default("threats"))
      .option("--range <range>", "only the last 1h, 24h, 7d, 30d, <N>h or <N>d")
      .option("--out <file>", "write to this file (created 0600) instead of standard output"),
  );
  addExamples(exportCmd, ["moat db export --range 24h", "moat db export -o csv --table alerts --out alerts.csv", "moat db export | jq -r .attack_type | sort | uniq -c"]);
  exportCmd.action(async (flags: ConfigFlags & { output: ExportFormat; format?: ExportFormat; table: ExportTable; range?: string; out?: string }) => {
    // Usage errors are found before the database is opened (or created).
    if (flags.format && exportCmd.getOptionValueSource("output") === "cli" && flags.format !== flags.output) {
      throw new CliError(`-o ${flags.output} and --format ${flags.format} disagree: give one of them`, EXIT.usage);
    }
    let since = 0;
    if (flags.range) {
      try {
        since = Date.now() - parseRange(flags.range).ms;
      } catch (e) {
        throw new CliError((e as Error).message, EXIT.usage);
      }
    }
    return withStore(flags, async (store) => {
      // Opened and written synchronously: a bad path or a full disk is thrown here and mapped to its exit code (a stream would raise it as an uncaught event).
      // 0600: the threats hold what the database holds (see src/core/private-files.ts).
      const fd = flags.out ? openSync(flags.out, "w", PRIVATE_FILE_MODE) : null;
      try {
        for await (const chunk of exportRows(store, flags.table, flags.format ?? flags.output, since)) {
          if (fd === null) await writeOut(chunk);
          else writeFileSync(fd, chunk);
        }
      } finally {
        if (fd !== null) closeSync(fd);
      }
    });
  });
  return cmd;
}
