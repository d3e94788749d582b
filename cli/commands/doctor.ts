import { Command } from "commander";
import { runDoctor } from "../../src/serve/doctor.ts";
import { addConfigOptions, configFrom, type ConfigFlags } from "../config-options.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { addOutputOptions, writeListing, type Column, type OutputFlags } from "../output.ts";
import type { DoctorFinding } from "../../src/serve/doctor-finding.ts";

interface DoctorFlags extends ConfigFlags, OutputFlags {
  log?: string[];
  port?: string;
  nginx: string;
}

const FINDING_COLUMNS: Column<DoctorFinding>[] = [
  ["status", (f) => f.status.toUpperCase()],
  ["check", (f) => f.check],
  ["message", (f) => f.message],
];

export function doctorCommand(): Command {
  const cmd = new Command("doctor")
    .description("check a first run: log path and permissions, its format, the database location, the port, nginx; exits 1 when something fails")
    .option("--log <paths...>", "access logs (overrides ingest.logs)")
    .option("-p, --port <n>", "port (overrides server.port)")
    .option("--nginx <host:port>", "where nginx listens", "127.0.0.1:80");
  addOutputOptions(cmd, ["moat doctor --log /var/log/nginx/access.log", "moat doctor -c /etc/moat/moat.toml --nginx 127.0.0.1:8081", "moat doctor -o json | jq -r '.[] | select(.status != \"ok\") | .message'"]);
  addConfigOptions(cmd);
  return cmd.action(async (flags: DoctorFlags) => {
    const { config } = configFrom(flags, { "ingest.logs": flags.log, "server.port": flags.port });
    const m = /^(.+):(\d+)$/.exec(flags.nginx);
    if (!m) throw new CliError(`--nginx must be host:port, got ${flags.nginx}`, EXIT.usage);
    const findings = await runDoctor(config, { host: m[1]!, port: Number(m[2]) });
    // A finding can quote a log's first line: writeListing escapes every cell.
    await writeListing(flags, { columns: FINDING_COLUMNS, rows: findings, json: findings });
    if (findings.some((f) => f.status === "fail")) process.exitCode = 1;
  });
}
