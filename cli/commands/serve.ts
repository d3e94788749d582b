import { Command, Option } from "commander";
import { createLogger, type Level } from "../../src/core/log.ts";
import { startService, type ServiceRole } from "../../src/serve/service.ts";
import type { Config } from "../../src/config/schema.ts";
import { AgentConfigError } from "../../src/agent/agent.ts";
import { FORMAT_NAMES } from "../../src/parse/formats.ts";
import { StoreError } from "../../src/store/db.ts";
import { DatabaseInUseError } from "../../src/store/lock.ts";
import { IncompatibleSiteModel } from "../../src/detect/site/model.ts";
import { addConfigOptions, configFrom, type ConfigFlags } from "../config-options.ts";
import os from "node:os";
import { CliError, EXIT } from "../exit-codes.ts";
import { writeText } from "../output.ts";
import { localUrlHost } from "../../src/config/exposure.ts";
import { MirrorListenError } from "../../src/api/mirror/listener.ts";

interface ServeFlags extends ConfigFlags {
  log?: string[];
  format?: string;
  logFormat?: string;
  port?: string;
  host?: string;
  logLevel?: string;
  model?: string;
  hub?: string;
  hubKey?: string;
}

export function serveCommand(): Command {
  const cmd = new Command("serve")
    .description("follow access logs, judge every request, keep what matters in SQLite, serve the API and the dashboard")
    .option("--log <paths...>", "access logs to follow (overrides ingest.logs)")
    .addOption(new Option("-f, --format <format>", "log format (overrides ingest.format)").choices([...FORMAT_NAMES]))
    .option("--log-format <string>", "nginx log_format string (overrides ingest.log_format)")
    .option("-m, --model <dir>", "site model directory (overrides detect.model_dir)")
    .option("-p, --port <n>", "port (overrides server.port)")
    .option("--host <addr>", "address to listen on (overrides server.host)")
    .option("--hub <url>", "run as an agent of this hub: send judged batches to it, apply its bans (overrides hub.url)")
    .option("--hub-key <key>", "the agent key the hub gave (overrides hub.key; MOAT_HUB_KEY keeps it out of the process list)")
    .addOption(new Option("--log-level <level>", "Moat's own log level (overrides log.level)").choices(["debug", "info", "warn", "error"]));
  addConfigOptions(cmd);
  return cmd.action(async (flags: ServeFlags) => {
    const { config } = configFrom(flags, {
      "ingest.logs": flags.log,
      "ingest.format": flags.format,
      "ingest.log_format": flags.logFormat,
      "detect.model_dir": flags.model,
      "server.port": flags.port,
      "server.host": flags.host,
      "log.level": flags.logLevel,
      "hub.url": flags.hub,
      "hub.key": flags.hubKey,
    });
    await runService(config, "serve");
  });
}

/** Starts the service in a role, says where it listens, and runs it until SIGINT or SIGTERM. */
export async function runService(config: Config, role: ServiceRole): Promise<void> {
  const log = createLogger({ level: config.log.level as Level, format: config.log.format });
  // Graceful shutdown: stop reading, let the batch in flight be written with its checkpoint, close.
  // A stop that fails is an error of the command (exit 70), not a process left running. Stopping is
  // started once: a second SIGINT or SIGTERM while it runs ends the process at once. The handlers are
  // in place before the service starts: it listens and ingests before startService returns (the
  // mirror's listener, the jobs come after), and a stop that came in between would end the process
  // with the default action, without the batch in flight. A stop asked for while it starts closes it
  // as soon as it is up.
  let service: Awaited<ReturnType<typeof startService>> | undefined;
  let stopping = false;
  const stopped = Promise.withResolvers<void>();
  const close = () => void service!.close().then(stopped.resolve, stopped.reject);
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(128 + os.constants.signals[signal]); // as the signal itself would
    stopping = true;
    if (service) close();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  try {
    service = await startService(config, log, role);
  } catch (e) {
    if (e instanceof AgentConfigError) throw new CliError(e.message, EXIT.usage);
    if (e instanceof StoreError) throw new CliError(e.message, EXIT.ioError);
    if (e instanceof DatabaseInUseError) throw new CliError(e.message, EXIT.tempFail);
    // One of another release is not thrown (the generic model judges alone): this file is no site model.
    if (e instanceof IncompatibleSiteModel) throw new CliError(`cannot load the site model in ${config.detect.model_dir}: ${e.message}`, EXIT.dataError);
    if (e instanceof MirrorListenError && e.inUse) {
      throw new CliError(`${config.mirror.host}:${config.mirror.port}, the mirror's listener, is in use by another program: stop it, or set mirror.port (or mirror.enabled = false)`, EXIT.tempFail);
    }
    if ((e as NodeJS.ErrnoException).code === "EADDRINUSE") throw new CliError(`${config.server.host}:${config.server.port} is in use by another program: stop it, or set server.port or --port`, EXIT.tempFail);
    throw e;
  }
  if (stopping) close();
  // For the person who started it (`npm start`): where to look, on stdout, besides the "listening" log line on
  // stderr. Nobody has to read it: a stdout that cannot be written does not stop the service.
  const mirror = service.mirrorPort === null ? "" : `; nginx's mirror copies go to http://${localUrlHost(config.mirror.host)}:${service.mirrorPort}/mirror`;
  await writeText(`Moat is running: open the dashboard at http://${localUrlHost(config.server.host)}:${service.port}/${mirror} (Ctrl-C stops it)\n`).catch(() => {});
  await stopped.promise;
}
