/** `moat hub`: one console for many web servers. Agents (moat serve --hub URL) send it what they judged. */
import { Command, Option } from "commander";
import { addConfigOptions, configFrom, type ConfigFlags } from "../config-options.ts";
import { runService } from "./serve.ts";

interface HubFlags extends ConfigFlags {
  port?: string;
  host?: string;
  logLevel?: string;
}

export function hubCommand(): Command {
  const cmd = new Command("hub")
    .description("serve the API, the dashboard and the WebSocket for agents (moat serve --hub URL --hub-key KEY on each web server): it stores what they judge, and its bans reach every agent's deny list")
    .option("-p, --port <n>", "port (overrides server.port)")
    .option("--host <addr>", "address to listen on (overrides server.host); agents on other hosts need it beyond loopback, where API keys are required")
    .addOption(new Option("--log-level <level>", "Moat's own log level (overrides log.level)").choices(["debug", "info", "warn", "error"]));
  addConfigOptions(cmd);
  cmd.addHelpText("after", "\nAgents need a key each: moat apikey create <agent name> --scope agent (on the hub's database).");
  return cmd.action(async (flags: HubFlags) => {
    const { config } = configFrom(flags, { "server.port": flags.port, "server.host": flags.host, "log.level": flags.logLevel });
    await runService(config, "hub");
  });
}
