/**
 * `moat apikey`: the keys that the API accepts when it requires credentials (server.require_api_key).
 * Keys live in the service's database, hence the same --db/--config as serve.
 *
 * `create` prints the key alone on stdout (so `KEY=$(moat apikey create ci)` works) and its warning on
 * stderr. A key's scope defaults to `admin`, which is what every key could do before scopes existed, so
 * `moat apikey create <name>` still makes a key for the dashboard and scripts; nginx's key is made
 * with `--scope check` (and `--rate-limit 0`, so that the limit never decides its fail mode). Naming a key that does not exist exits with 66 (EXIT.noInput): like a missing input file,
 * the thing named on the command line is not there.
 */
import { Command, Option } from "commander";
import { createKey, DEFAULT_KEY_ACCESS, keyNameProblem, displayPrefix, listKeys, MAX_KEY_RATE_LIMIT, revokeKey, type ApiKeyInfo } from "../../src/api/auth/keys.ts";
import { API_KEY_SCOPES, type ApiKeyScope } from "../../src/core/enums.ts";
import { addConfigOptions, withStore, type ConfigFlags } from "../config-options.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { addOutputOptions, warn, writeListing, writeOut, writeText, type Column, type OutputFlags } from "../output.ts";
import { escapeControls } from "../../src/core/control-chars.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A key's rate limit as the table shows it. */
const rateText = (rateLimit: number | null) => (rateLimit === null ? "server" : rateLimit === 0 ? "unlimited" : `${rateLimit}/s`);

function keyJson(k: ApiKeyInfo) {
  return { id: k.id, name: k.name, prefix: displayPrefix(k.prefix), scope: k.scope, rateLimit: k.rateLimit, createdAt: iso(k.createdAt), lastUsedAt: iso(k.lastUsedAt), revokedAt: iso(k.revokedAt) };
}

// A name can come from the dashboard's form: writeListing escapes it like every cell.
const KEY_COLUMNS: Column<ApiKeyInfo>[] = [
  ["id", (k) => k.id],
  ["prefix", (k) => displayPrefix(k.prefix)],
  ["status", (k) => (k.revokedAt === null ? "active" : "revoked")],
  ["scope", (k) => k.scope],
  ["rate_limit", (k) => rateText(k.rateLimit)],
  ["created", (k) => iso(k.createdAt)],
  ["last_used", (k) => iso(k.lastUsedAt) ?? "never"],
  ["name", (k) => k.name],
];

/** Digits only: `0x10`, `1.5` or `-1` are usage errors, not numbers that happen to parse. */
function parseRateLimit(text: string): number {
  const n = Number(text);
  if (!/^\d{1,7}$/.test(text) || n > MAX_KEY_RATE_LIMIT) throw new CliError(`--rate-limit must be a whole number of checks per second from 0 (no limit) to ${MAX_KEY_RATE_LIMIT}, got ${JSON.stringify(text)}`, EXIT.usage);
  return n;
}

export function apikeyCommand(): Command {
  const cmd = new Command("apikey").description("API keys for the API and dashboard (same --db/--config as serve)");
  const create = cmd
    .command("create")
    .description("create a key; it is printed once and cannot be shown again")
    .argument("<name>", "what the key is for, e.g. ci, dashboard or nginx")
    .addOption(new Option("--scope <scope>", "check: the inline check routes only (nginx, scripts); agent: an agent sending its batches to this hub (moat serve --hub); admin: everything, the dashboard included").choices(API_KEY_SCOPES).default(DEFAULT_KEY_ACCESS.scope))
    .option("--rate-limit <n>", "inline checks per second for this key, 0 for no limit (default: server.check_rate_limit)");
  addConfigOptions(create).action((name: string, flags: ConfigFlags & { scope: ApiKeyScope; rateLimit?: string }) => {
    if (!name.trim()) throw new CliError("the key needs a name: moat apikey create <name>", EXIT.usage);
    const problem = keyNameProblem(name.trim(), flags.scope);
    if (problem) throw new CliError(problem, EXIT.usage);
    const rateLimit = flags.rateLimit === undefined ? null : parseRateLimit(flags.rateLimit);
    return withStore(flags, async (store) => {
      const created = createKey(store, name.trim(), { scope: flags.scope, rateLimit });
      await writeOut(`${created.key}\n`);
      warn(`created API key ${created.id} (${escapeControls(created.name)}, scope ${created.scope}, rate limit ${rateText(created.rateLimit)}) in ${store.path}. Store it now: only a hash is kept, so it cannot be shown again.`);
    });
  });
  const list = cmd.command("list").description("every key by id and prefix (never the secret), revoked ones included");
  addOutputOptions(list, ["moat apikey list", "moat apikey list -o csv", "moat apikey list -o json | jq -r '.[] | select(.revokedAt == null) | .prefix'"]);
  addConfigOptions(list).action((flags: ConfigFlags & OutputFlags) =>
    withStore(flags, async (store) => {
      const keys = listKeys(store);
      await writeListing(flags, { columns: KEY_COLUMNS, rows: keys, json: keys.map(keyJson), empty: "no API keys: create one with moat apikey create <name>" });
    }),
  );
  addConfigOptions(cmd.command("revoke").description("revoke a key now, ending its dashboard sessions").argument("<id|prefix>", "the key's id or prefix, as moat apikey list shows them")).action(
    (idOrPrefix: string, flags: ConfigFlags) =>
      withStore(flags, async (store) => {
        const result = revokeKey(store, idOrPrefix);
        if (!result) throw new CliError(`no API key with id or prefix ${JSON.stringify(idOrPrefix)} (see moat apikey list)`, EXIT.noInput);
        const { key } = result;
        const what = `API key ${key.id} (${escapeControls(key.name)}, ${displayPrefix(key.prefix)})`;
        await writeText(result.alreadyRevoked ? `${what} was already revoked on ${iso(key.revokedAt)}\n` : `revoked ${what}\n`);
      }),
  );
  return cmd;
}
