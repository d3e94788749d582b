/**
 * Deny lists: the pure pieces — which addresses may be banned, how the nginx include file is
 * rendered, durations and commands as the operator writes them. The file is nginx configuration and
 * client addresses come from log lines an attacker shapes: only a unicast address that parses
 * completely (src/core/ip.ts) is ever written, in its canonical form.
 */
import type { Config } from "../../config/schema.ts";
import { canonicalIp, canonicalIpOrRange, notUnicast, parseCidr, type IpRange } from "../../core/ip.ts";
import { bans } from "../../store/schema.ts";

export type BanRow = typeof bans.$inferSelect;
export type BanConfig = Config["ban"];

/** A ban that cannot be made (not an address, or protected by `ban.never_ban`); the message says which. */
export class BanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BanError";
  }
}

export function isActive(row: Pick<BanRow, "expiresAt">, now: number): boolean {
  return row.expiresAt === null || row.expiresAt > now;
}

export function parseNeverBan(list: string[]): IpRange[] {
  return list.map((text) => {
    const range = parseCidr(text);
    if (!range) throw new BanError(`ban.never_ban: "${text}" is not an IP address or CIDR range`);
    return range;
  });
}

/**
 * The widest prefixes a ban may cover: an IPv4 /8 is 16 million addresses, an IPv6 /32 a whole
 * provider's allocation. Anything wider shuts out a sizeable part of the Internet, which no attack
 * on one site justifies.
 */
export const WIDEST_PREFIX = { 4: 8, 6: 32 } as const;

/** Why `range` (an address is a range of one) must never be denied, as words that follow "<range> is", or null when it may be. */
export function banProblem(range: IpRange): string | null {
  const widest = WIDEST_PREFIX[range.family];
  if (range.prefix < widest) return `too wide: prefixes wider than /${widest} are never banned`;
  const what = notUnicast(range);
  return what ? `not a unicast address (${what}): only unicast addresses are banned` : null;
}

/** The canonical form of an address given by a user, or a BanError saying what an address is. */
export function canonicalOrThrow(ip: string): string {
  const canonical = canonicalIp(ip);
  if (!canonical) throw new BanError(`"${ip}" is not an IP address (IPv4 or IPv6, without port, prefix or zone)`);
  return canonical;
}

/**
 * The deny file for the active bans, sorted so that the same bans always give the same bytes (an
 * unchanged file is neither rewritten nor reloaded). A row whose address does not parse or may not
 * be banned (stored by an older version, or written to the table by hand) is refused and reported,
 * never written. At most `maxEntries` lines: `rows` come oldest first, and the newest beyond the cap
 * are left out and reported (`ban.max_entries` lowered below the bans already stored).
 */
export function renderDenyFile(
  rows: (Pick<BanRow, "ip" | "expiresAt"> & Partial<Pick<BanRow, "simulated">>)[],
  now: number,
  maxEntries: number,
): { text: string; addresses: string[]; refused: { ip: string; why: string }[]; overCap: string[] } {
  const refused: { ip: string; why: string }[] = [];
  const overCap: string[] = [];
  const lines = new Map<string, string>();
  for (const row of rows) {
    // A simulated decision is recorded for the operator to review, never enforced.
    if (!isActive(row, now) || row.simulated) continue;
    const ip = canonicalIpOrRange(row.ip);
    const why = ip ? banProblem(parseCidr(ip)!) : "not an IP address";
    if (!ip || why) {
      refused.push({ ip: row.ip, why: why! });
      continue;
    }
    if (lines.size >= maxEntries && !lines.has(ip)) {
      overCap.push(ip);
      continue;
    }
    lines.set(ip, `deny ${ip}; # ${describeExpiry(row.expiresAt)}`);
  }
  const addresses = [...lines.keys()].sort();
  const text = [
    "# Written by Moat: do not edit, it is rewritten as bans come and go (moat ban list|add|remove).",
    "# Include it in an nginx http, server or location block: include <this file>;",
    ...addresses.map((ip) => lines.get(ip)!),
    "",
  ].join("\n");
  return { text, addresses, refused, overCap };
}

/** `reload_command` as argv: split on whitespace, '…' and "…" group words; no shell is involved. */
export function splitCommand(text: string): string[] {
  const argv: string[] = [];
  for (const m of text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) argv.push(m[1] ?? m[2] ?? m[3]!);
  return argv;
}

/** `30s`, `15m`, `1h`, `7d` → milliseconds; `0` or `forever` → null (until removed). */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === "0" || trimmed === "forever") return null;
  const m = /^([1-9][0-9]{0,6})(s|m|h|d)$/.exec(trimmed);
  if (!m) throw new BanError(`invalid duration "${text}": expected <N>s, <N>m, <N>h or <N>d (e.g. 90s, 15m, 1h, 7d), or 0 for until removed`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s" | "m" | "h" | "d"];
}

export function describeExpiry(expiresAt: number | null): string {
  return expiresAt === null ? "until removed" : `until ${new Date(expiresAt).toISOString()}`;
}
