/**
 * Import direction, checked in CI (`bun run deps`). Moat is layered; a module may import its own layer
 * and the layers below it, never one above:
 *
 *   core < parse < config < ingest < decompose, detect < store < pipeline, services
 *        < api, jobs, scan, training, agent < serve < cli
 *
 * - config sits just above parse: its schema names the log formats (parse/formats.ts), and every stage
 *   from ingest up may read it.
 * - src/version.ts and src/assets.d.ts are leaves: anyone may import them, they import nothing of ours.
 * - Peers in one layer may import each other where no cycle forms (no-circular), except the directions
 *   named in PEER_RULES: the API is the outer shell of the running service (it starts retraining and
 *   reads the scheduler), so jobs, scan and training never reach into it; decompose feeds the detector.
 * - training is the offline ML (corpus, eval, model builds): the run-time detector never imports it.
 * - The dashboard runs in the browser: it imports its own files, and only types from the API's
 *   contracts and core/enums.ts. The server imports only its HTML entry (the bundle Bun builds).
 *
 * Type-only imports count: they are coupling too. The swc parser reads them without TypeScript's API
 * (which typescript@7.0 does not offer dependency-cruiser), so tsPreCompilationDeps stays off.
 */
const LAYERS = [
  ["core"],
  ["parse"],
  ["config"],
  ["ingest"],
  ["decompose", "detect"],
  ["store"],
  ["pipeline", "services"],
  ["api", "jobs", "scan", "training", "agent"],
  ["serve"],
];

/** Forbidden directions between peers of one layer, with why. */
const PEER_RULES = [
  { from: "decompose", to: ["detect"], why: "decompose splits a request into leaves; the detector consumes them" },
  { from: "jobs", to: ["api"], why: "the API drives jobs, not the reverse" },
  { from: "scan", to: ["api", "jobs", "training"], why: "scan judges files with the run-time detector only" },
  { from: "training", to: ["api", "jobs", "scan"], why: "offline ML is a library the jobs and the CLI call" },
  { from: "agent", to: ["api", "jobs", "scan", "training"], why: "an agent is the hub API's client: the wire schema lives in agent/, and the hub's routes import it" },
];

const dir = (names) => `^src/(${names.join("|")})/`;
const above = (i) => LAYERS.slice(i + 1).flat();

const layerRules = LAYERS.map((layer, i) => ({
  name: `layer-${layer.join("-")}`,
  comment: `${layer.join(", ")} may not import a higher layer (${[...above(i), "cli"].join(", ")})`,
  severity: "error",
  from: { path: dir(layer) },
  to: { path: i === LAYERS.length - 1 ? "^cli/" : `${dir(above(i))}|^cli/` },
}));

const peerRules = PEER_RULES.map((r) => ({
  name: `peer-${r.from}`,
  comment: `${r.from} may not import ${r.to.join(", ")}: ${r.why}`,
  severity: "error",
  from: { path: dir([r.from]) },
  to: { path: dir(r.to) },
}));

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "a cycle makes two modules one: load order, tests and moves all have to take both",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    ...peerRules,
    {
      name: "leaves",
      comment: "src/version.ts and src/assets.d.ts import nothing of ours: every layer may read them",
      severity: "error",
      from: { path: "^src/(version\\.ts|assets\\.d\\.ts)$" },
      to: { path: "^(src|cli)/" },
    },
    {
      name: "unlayered",
      comment: "every module of src belongs to a layer (add a new top-level folder to LAYERS)",
      severity: "error",
      from: { path: "^src/", pathNot: `${dir([...LAYERS.flat(), "dashboard"])}|^src/(version\\.ts|assets\\.d\\.ts)$` },
      to: {},
    },
    {
      name: "dashboard-self-contained",
      comment: "the dashboard runs in the browser: it imports its own files, and types from the API and core/enums.ts",
      severity: "error",
      from: { path: "^src/dashboard/" },
      to: { path: "^(src|cli)/", pathNot: "^src/dashboard/|^src/api/|^src/core/enums\\.ts$" },
    },
    {
      name: "dashboard-server-types-only",
      comment: "from the server the dashboard takes types only (`import type`): no server code in the browser bundle",
      severity: "error",
      from: { path: "^src/dashboard/" },
      to: { path: "^src/api/|^src/core/enums\\.ts$", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "dashboard-entry-only",
      comment: "the server serves the dashboard through its HTML entry, and imports nothing else of it",
      severity: "error",
      from: { pathNot: "^src/dashboard/" },
      to: { path: "^src/dashboard/", pathNot: "^src/dashboard/index\\.html$" },
    },
  ],
  options: {
    includeOnly: "^(src|cli)/",
    doNotFollow: { path: "node_modules" },
    parser: "swc",
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: false,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".tsx", ".js", ".d.ts"],
    },
  },
};
