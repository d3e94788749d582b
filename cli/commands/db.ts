import { Command } from "commander";
import { statSync } from "node:fs";
import { count, eq } from "drizzle-orm";
import { activities, alerts, counters, threats, traffic } from "../../src/store/schema.ts";
import { addConfigOptions, configFrom, storeFrom, type ConfigFlags } from "../config-options.ts";
import { writeOut } from "../output.ts";

export function dbCommand(): Command {
  const cmd = new Command("db").description("database maintenance");
  addConfigOptions(
    cmd
      .command("stats")
      .description("what the database holds; requests counts every request ever ingested, pruned ones included")
      .option("--json", "print JSON"),
  ).action(async (flags: ConfigFlags & { json?: boolean }) => {
    const store = storeFrom(configFrom(flags));
    try {
      const { db } = store;
      const counter = (key: string) => db.select({ value: counters.value }).from(counters).where(eq(counters.key, key)).get()?.value ?? 0;
      const rows = (table: typeof traffic | typeof threats | typeof alerts | typeof activities) => db.select({ n: count() }).from(table).get()?.n ?? 0;
      const size = (p: string) => {
        try {
          return statSync(p).size;
        } catch {
          return 0;
        }
      };
      const stats = {
        requests: counter("requests"),
        threats: rows(threats),
        alerts: rows(alerts),
        activities: rows(activities),
        trafficRows: rows(traffic),
        rejectedLines: counter("rejected"),
        dbBytes: size(store.path) + size(`${store.path}-wal`),
        db: store.path,
      };
      await writeOut(flags.json ? JSON.stringify(stats, null, 2) + "\n" : Object.entries(stats).map(([k, v]) => `${k.padEnd(14)} ${v}`).join("\n") + "\n");
    } finally {
      store.close();
    }
  });
  for (const c of cmd.commands) c.exitOverride();
  return cmd;
}
