import { Command } from "commander";
import { runDoctor } from "../../src/serve/doctor.ts";
import { addConfigOptions, configFrom, type ConfigFlags } from "../config-options.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { addExamples, writeOut, writeText } from "../output.ts";
import { escapeControls, safeJson } from "../../src/core/control-chars.ts";

interface DoctorFlags extends ConfigFlags {
  log?: string[];
  port?: string;
  nginx: string;
  json?: boolean;
}

export function doctorCommand(): Command {
  const cmd = new Command("doctor")
    .description("check a first run: log path and permissions, its format, the database location, the port, nginx; exits 1 when something fails")
    .option("--log <paths...>", "access logs (overrides ingest.logs)")
    .option("-p, --port <n>", "port (overrides server.port)")
    .option("--nginx <host:port>", "where nginx listens", "127.0.0.1:80")
    .option("--json", "print the findings as JSON");
  addExamples(cmd, ["moat doctor --log /var/log/nginx/access.log", "moat doctor -c /etc/moat/moat.toml --nginx 127.0.0.1:8081", "moat doctor --json | jq -r '.[] | select(.status != \"ok\") | .message'"]);
  addConfigOptions(cmd);
  return cmd.action(async (flags: DoctorFlags) => {
    const { config } = configFrom(flags, { "ingest.logs": flags.log, "server.port": flags.port });
    const m = /^(.+):(\d+)$/.exec(flags.nginx);
    if (!m) throw new CliError(`--nginx must be host:port, got ${flags.nginx}`, EXIT.usage);
    const findings = await runDoctor(config, { host: m[1]!, port: Number(m[2]) });
    // A finding can quote a log's first line: one line per finding, escaped.
    if (flags.json) await writeOut(safeJson(findings, 2) + "\n");
    else await writeText(findings.map((f) => escapeControls(`${f.status.toUpperCase().padEnd(5)} ${f.check}: ${f.message}`)).join("\n") + "\n");
    if (findings.some((f) => f.status === "fail")) process.exitCode = 1;
  });
}
