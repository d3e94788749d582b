/**
 * Loads the configuration: defaults, then the file, then MOAT_<SECTION>_<KEY> environment variables,
 * then command-line flags, each overriding the one before. Every problem names the key and where its
 * value came from (the file's line, the variable, a flag), and a key with a fixed set of values lists
 * them. A MOAT_ variable that is no setting is a warning (a typo must not pass in silence).
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { Value } from "@sinclair/typebox/value";
import type { TObject, TSchema } from "@sinclair/typebox";
import { ConfigSchema, RENAMED_KEYS, type Config } from "./schema.ts";
import { outboundUrlProblem } from "../core/outbound-url.ts";
import { createParser } from "../parse/formats.ts";
import { keyLines, tomlErrorLine } from "./toml-lines.ts";
import { OTHER_MOAT_VARIABLES, unknownMoatVariables } from "./env-names.ts";

export type Origin = "default" | "file" | "env" | "flag";

export class ConfigError extends Error {
  /** The warnings of a configuration that failed, shown with its problems: a mistyped variable may be the cause. */
  constructor(readonly problems: string[], readonly warnings: string[] = []) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export interface ConfigSources {
  /** Path of the TOML file; a missing file is an error only when it was asked for explicitly. */
  file?: string;
  fileRequired?: boolean;
  env?: Record<string, string | undefined>;
  /** Flag values by key path, e.g. { "server.port": "9000" }. */
  flags?: Record<string, unknown>;
}

export interface LoadedConfig {
  config: Config;
  origins: Record<string, Origin>;
  file: string | null;
  /** Not errors, but worth a line on stderr: MOAT_ variables that are no setting. */
  warnings: string[];
}

type Leaf = { path: string; schema: TSchema };

/** Every `section.key` of the schema with its own schema. */
function configLeaves(schema: TObject = ConfigSchema): Leaf[] {
  return Object.entries(schema.properties).flatMap(([sectionName, sectionSchema]) =>
    Object.entries((sectionSchema as TObject).properties).map(([key, s]) => ({ path: `${sectionName}.${key}`, schema: s })),
  );
}

function envName(path: string): string {
  return `MOAT_${path.replace(".", "_").toUpperCase()}`;
}

/** Text from the environment or a flag → the leaf's type (numbers, comma-separated lists). */
function coerce(schema: TSchema, raw: unknown): unknown {
  if (typeof raw !== "string") return raw;
  const type = (schema as { type?: string }).type;
  if (type === "integer" || type === "number") {
    // Text that is not a number stays text, so that the error shows what was given, not NaN.
    const n = Number(raw);
    return raw.trim() === "" || Number.isNaN(n) ? raw : n;
  }
  if (type === "array") return raw.split(",").map((x) => x.trim()).filter(Boolean);
  if (type === "boolean") return raw === "true" ? true : raw === "false" ? false : raw;
  return raw;
}

/** The values a key may take, when they are a fixed set (a union of literals: detect.mode, log.level), else null. */
function allowedValues(schema: TSchema): unknown[] | null {
  const members = (schema as { anyOf?: { const?: unknown }[] }).anyOf;
  return members?.length && members.every((m) => "const" in m) ? members.map((m) => m.const) : null;
}

function setPath(target: Record<string, Record<string, unknown>>, path: string, value: unknown): void {
  const [sectionName, key] = path.split(".") as [string, string];
  (target[sectionName] ??= {})[key] = value;
}

/** "renamed: use ..." for a key that was renamed, else null. */
function renamedTo(path: string): string | null {
  const renamed = RENAMED_KEYS[path];
  return renamed ? `renamed: use ${renamed.now} (${envName(renamed.now)}) instead; ${renamed.why}` : null;
}

function defaultDataDir(env: Record<string, string | undefined> = process.env): string {
  return join(env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "moat");
}

/** The file's tables and where each key is written, or what stops it being read (with the line of a syntax error). */
function readToml(path: string): { parsed: Record<string, unknown>; lines: Map<string, number> } | { problem: string } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    return { problem: `${path}: ${(e as Error).message}` };
  }
  try {
    return { parsed: Bun.TOML.parse(text) as Record<string, unknown>, lines: keyLines(text) };
  } catch (e) {
    return { problem: `${path}:${tomlErrorLine(text)}: ${(e as Error).message}` };
  }
}

export function loadConfig(sources: ConfigSources = {}): LoadedConfig {
  const problems: string[] = [];
  const origins: Record<string, Origin> = {};
  const merged = Value.Default(ConfigSchema, {}) as Record<string, Record<string, unknown>>;
  for (const { path } of configLeaves()) origins[path] = "default";
  const leaves = new Map(configLeaves().map((l) => [l.path, l]));

  let file: string | null = null;
  let lines = new Map<string, number>();
  // "path:line" of a section or key in the file, as compilers write it (an editor jumps there); the path alone when the line is not known.
  const at = (path: string) => (lines.has(path) ? `${file}:${lines.get(path)}` : `${file}`);
  if (sources.file && (existsSync(sources.file) || sources.fileRequired)) {
    file = sources.file;
    const read = readToml(sources.file);
    if ("problem" in read) problems.push(read.problem);
    else {
      lines = read.lines;
      for (const [sectionName, values] of Object.entries(read.parsed)) {
        if (!(sectionName in ConfigSchema.properties)) {
          problems.push(`${sectionName}: unknown section in ${at(sectionName)} (known: ${Object.keys(ConfigSchema.properties).join(", ")})`);
          continue;
        }
        if (typeof values !== "object" || values === null || Array.isArray(values)) {
          problems.push(`${sectionName}: must be a [${sectionName}] table in ${at(sectionName)}`);
          continue;
        }
        for (const [key, value] of Object.entries(values)) {
          const path = `${sectionName}.${key}`;
          if (!leaves.has(path)) {
            const known = Object.keys((ConfigSchema.properties[sectionName as keyof Config] as TObject).properties);
            problems.push(`${path}: ${renamedTo(path) ?? `unknown key (known in [${sectionName}]: ${known.join(", ")})`} in ${at(path)}`);
            continue;
          }
          setPath(merged, path, value);
          origins[path] = "file";
        }
      }
    }
  }
  const env = sources.env ?? process.env;
  const warnings = unknownMoatVariables(env, [...[...leaves.keys(), ...Object.keys(RENAMED_KEYS)].map(envName), ...OTHER_MOAT_VARIABLES]);
  for (const old of Object.keys(RENAMED_KEYS)) if (env[envName(old)] !== undefined) problems.push(`${envName(old)}: ${renamedTo(old)}`);
  for (const { path, schema } of leaves.values()) {
    const raw = env[envName(path)];
    if (raw === undefined) continue;
    setPath(merged, path, coerce(schema, raw));
    origins[path] = "env";
  }
  for (const [path, raw] of Object.entries(sources.flags ?? {})) {
    const leaf = leaves.get(path);
    if (!leaf || raw === undefined) continue;
    setPath(merged, path, coerce(leaf.schema, raw));
    origins[path] = "flag";
  }
  const from = (leafPath: string) => (origins[leafPath] === "env" ? ` (from ${envName(leafPath)})` : origins[leafPath] === "flag" ? " (from a flag)" : origins[leafPath] === "file" ? ` (from ${at(leafPath)})` : "");
  for (const error of Value.Errors(ConfigSchema, merged)) {
    const path = error.path.slice(1).replaceAll("/", ".");
    const allowed = allowedValues(error.schema);
    // A schema's own words (`error`) say it better than TypeBox's pattern; a list of values is quoted as TOML writes them.
    const custom = (error.schema as { error?: unknown }).error;
    const message = typeof custom === "string" ? custom : allowed ? `must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}` : error.message;
    problems.push(`${path}: ${message}, got ${JSON.stringify(error.value)}${from(path.split(".").slice(0, 2).join("."))}`);
  }
  if (problems.length) throw new ConfigError([...new Set(problems)], warnings);
  // Beyond the schema (it needs two keys): the webhook must not point inside the network. Host names are checked again at every send.
  const alertsSection = merged.alerts as Config["alerts"];
  const webhookProblem = alertsSection.webhook_url && outboundUrlProblem(alertsSection.webhook_url, alertsSection.webhook_allow_ranges);
  if (webhookProblem) throw new ConfigError([`alerts.webhook_url: ${webhookProblem}${from("alerts.webhook_url")}`], warnings);
  const config = merged as unknown as Config;
  // The mirror's listener is a port of its own (0 picks a free one for each).
  if (config.mirror.enabled && config.mirror.port !== 0 && config.mirror.port === config.server.port) {
    throw new ConfigError([`mirror.port: must differ from server.port, both ${config.server.port}${from("mirror.port")}: the mirror's listener has a port of its own`], warnings);
  }
  // A log format that cannot be built would have every line counted as rejected: refused now instead.
  const formatProblem = unusableFormat(config.ingest);
  if (formatProblem) throw new ConfigError([`${formatProblem}${from(config.ingest.log_format ? "ingest.log_format" : "ingest.format")}`], warnings);
  config.storage.data_dir ||= defaultDataDir(env);
  config.storage.db ||= join(config.storage.data_dir, "moat.db");
  config.detect.model_dir ||= join(config.storage.data_dir, "model");
  config.ban.file ||= join(config.storage.data_dir, "deny.conf");
  return { config, origins, file, warnings };
}

/** Why the ingest section's format cannot read a line (nginx without its log_format, a log_format with no variables), or null. */
function unusableFormat(ingest: Config["ingest"]): string | null {
  if (ingest.format === "nginx" && !ingest.log_format) return "ingest.format: nginx needs ingest.log_format (--log-format), the log_format string from nginx.conf";
  if (ingest.format === "auto" && !ingest.log_format) return null;
  try {
    createParser({ format: ingest.format, logFormat: ingest.log_format || undefined });
    return null;
  } catch (e) {
    return `ingest.log_format: ${(e as Error).message}`;
  }
}

/** The default configuration file, with every key commented by its description. */
export function renderDefaultConfig(): string {
  const out = ["# Moat configuration. Precedence: flags > MOAT_<SECTION>_<KEY> environment variables > this file > defaults.", ""];
  const defaults = Value.Default(ConfigSchema, {}) as Record<string, Record<string, unknown>>;
  for (const [sectionName, sectionSchema] of Object.entries(ConfigSchema.properties)) {
    out.push(`[${sectionName}]`);
    for (const [key, schema] of Object.entries((sectionSchema as TObject).properties)) {
      out.push(`# ${(schema as { description?: string }).description ?? ""} (env ${envName(`${sectionName}.${key}`)})`);
      out.push(`${key} = ${JSON.stringify(defaults[sectionName]![key])}`);
    }
    out.push("");
  }
  return out.join("\n");
}
