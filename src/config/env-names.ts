/**
 * MOAT_* environment variables that no part of Moat reads: a typo (MOAT_SERVR_PORT) would otherwise be
 * ignored in silence, and the service would run with the default the user meant to change.
 */

/** The MOAT_ variables read outside the configuration schema, by the CLI, the runtime and the developers' tools. */
export const OTHER_MOAT_VARIABLES = [
  "MOAT_CONFIG", // the configuration file (cli/config-options.ts)
  "MOAT_CACHE_DIR", // where onnxruntime is unpacked (src/detect/onnx/native.ts)
  // The tests and benchmarks: the CLI they start inherits them, and must not warn about them.
  "MOAT_DATASETS",
  "MOAT_CHROMIUM",
  "MOAT_CSIC_STEP",
  "MOAT_BENCH_SMOL",
  "MOAT_UPDATE_SCREENSHOTS",
  "MOAT_REQUIRE_POSTGRES",
];

/** Levenshtein distance: the number of one-character edits from a to b. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = row;
  }
  return previous[b.length]!;
}

/** The known name nearest to `name` (the first of equals, in the order given). */
export function closest(name: string, known: readonly string[]): string {
  let best = known[0]!;
  for (const k of known) if (distance(name, k) < distance(name, best)) best = k;
  return best;
}

/** One warning a MOAT_ variable in `env` that is not in `known`, naming the closest known one. */
export function unknownMoatVariables(env: Record<string, string | undefined>, known: readonly string[]): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith("MOAT_") && !known.includes(name))
    .sort()
    .map((name) => `${name} is not a Moat setting and is ignored (did you mean ${closest(name, known)}?)`);
}
