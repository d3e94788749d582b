/** A bench script's arguments: every mistake in them is a usage error (exit 2) that shows the usage. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { EXIT } from "../../cli/exit-codes.ts";
import { BenchError, BenchHelp } from "./run.ts";

/** `parseArgs`, with an unknown option or a missing value reported as a usage error, and `--help`/`-h` answered with the usage (exit 0) for every script. */
export function parseBenchArgs<T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T>> {
  let parsed;
  try {
    parsed = parseArgs({ ...config, options: { ...config.options, help: { type: "boolean", short: "h" } } });
  } catch (e) {
    throw new BenchError(`${(e as Error).message}\n${usage}`, EXIT.usage);
  }
  if ((parsed.values as { help?: boolean }).help) throw new BenchHelp(usage);
  return parsed as ReturnType<typeof parseArgs<T>>;
}

/** An option's value as an integer from 1 to `max`; `1_000_000` and `1,000,000` are read too. */
export function positiveInt(name: string, value: string, usage: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value.replaceAll("_", "").replaceAll(",", ""));
  if (!Number.isInteger(n) || n < 1 || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? "a positive integer" : `an integer from 1 to ${max}`;
    throw new BenchError(`${name} must be ${range}, got ${JSON.stringify(value)}\n${usage}`, EXIT.usage);
  }
  return n;
}

/** An optional integer option: `fallback` when it is not given, else its value as by positiveInt. */
export function intOption(name: string, value: string | undefined, fallback: number, usage: string, max?: number): number {
  return value === undefined ? fallback : positiveInt(name, value, usage, max);
}
