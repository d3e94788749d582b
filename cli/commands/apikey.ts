/**
 * `moat apikey`: the keys that the API accepts when it requires credentials (server.require_api_key).
 * Keys live in the service's database, hence the same --db/--config as serve.
 *
 * `create` prints the key alone on stdout (so `KEY=$(moat apikey create ci)` works) and its warning on
 * stderr. Naming a key that does not exist exits with 66 (EXIT.noInput): like a missing input file,
 * the thing named on the command line is not there.
 */
import { Command } from "commander";
import { createKey, displayPrefix, listKeys, revokeKey, type ApiKeyInfo } from "../../src/api/auth/keys.ts";
import { addConfigOptions, withStore, type ConfigFlags } from "../config-options.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { writeOut } from "../output.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function keyJson(k: ApiKeyInfo) {
  return { id: k.id, name: k.name, prefix: displayPrefix(k.prefix), createdAt: iso(k.createdAt), lastUsedAt: iso(k.lastUsedAt), revokedAt: iso(k.revokedAt) };
}

function keyTable(keys: ApiKeyInfo[]): string {
  const header = ["ID", "PREFIX", "STATUS", "CREATED", "LAST USED", "NAME"];
  const rows = keys.map((k) => [String(k.id), displayPrefix(k.prefix), k.revokedAt === null ? "active" : "revoked", iso(k.createdAt) ?? "", iso(k.lastUsedAt) ?? "never", k.name]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  return [header, ...rows].map((cells) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ")).join("\n") + "\n";
}

export function apikeyCommand(): Command {
  const cmd = new Command("apikey").description("API keys for the API and dashboard (same --db/--config as serve)");
  addConfigOptions(cmd.command("create").description("create a key; it is printed once and cannot be shown again").argument("<name>", "what the key is for, e.g. ci or dashboard")).action(
    (name: string, flags: ConfigFlags) => {
      if (!name.trim()) throw new CliError("the key needs a name: moat apikey create <name>", EXIT.usage);
      return withStore(flags, async (store) => {
        const created = createKey(store, name.trim());
        await writeOut(`${created.key}\n`);
        console.error(`moat: created API key ${created.id} (${created.name}) in ${store.path}. Store it now: only a hash is kept, so it cannot be shown again.`);
      });
    },
  );
  addConfigOptions(cmd.command("list").description("every key by id and prefix (never the secret), revoked ones included").option("--json", "print JSON")).action(
    (flags: ConfigFlags & { json?: boolean }) =>
      withStore(flags, async (store) => {
        const keys = listKeys(store);
        if (flags.json) await writeOut(JSON.stringify(keys.map(keyJson), null, 2) + "\n");
        else await writeOut(keys.length ? keyTable(keys) : "no API keys: create one with moat apikey create <name>\n");
      }),
  );
  addConfigOptions(cmd.command("revoke").description("revoke a key now, ending its dashboard sessions").argument("<id|prefix>", "the key's id or prefix, as moat apikey list shows them")).action(
    (idOrPrefix: string, flags: ConfigFlags) =>
      withStore(flags, async (store) => {
        const result = revokeKey(store, idOrPrefix);
        if (!result) throw new CliError(`no API key with id or prefix ${JSON.stringify(idOrPrefix)} (see moat apikey list)`, EXIT.noInput);
        const { key } = result;
        const what = `API key ${key.id} (${key.name}, ${displayPrefix(key.prefix)})`;
        await writeOut(result.alreadyRevoked ? `${what} was already revoked on ${iso(key.revokedAt)}\n` : `revoked ${what}\n`);
      }),
  );
  return cmd;
}
