import { Command } from "commander";
import { existsSync, writeFileSync } from "node:fs";
import { renderDefaultConfig } from "../../src/config/load.ts";
import { DEFAULT_CONFIG_FILE } from "../config-options.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { writeText } from "../output.ts";

export function initCommand(): Command {
  return new Command("init")
    .description("write a commented default configuration and print the next steps")
    .argument("[file]", "where to write it", DEFAULT_CONFIG_FILE)
    .option("--force", "overwrite an existing file")
    .action(async (file: string, flags: { force?: boolean }) => {
      if (existsSync(file) && !flags.force) throw new CliError(`${file} exists; use --force to overwrite it`, EXIT.usage);
      writeFileSync(file, renderDefaultConfig());
      await writeText(
        [
          `wrote ${file}`,
          "next steps:",
          `  1. set [ingest] logs to your access log(s), e.g. logs = ["/var/log/nginx/access.log"]`,
          `  2. learn your site: moat train --from /var/log/nginx/access.log* --out <data_dir>/model`,
          `  3. run: moat serve --config ${file}`,
          `  4. check it: moat doctor --config ${file}`,
          `  optional, passive blocking: set [ban] enabled = true and add "include <ban.file>;" to your nginx server block`,
          "",
        ].join("\n"),
      );
    });
}
