/**
 * API keys. A key is `moat_<prefix><secret>`: the prefix (6 random bytes) tells keys apart in listings
 * and logs, the secret (32 random bytes) is what makes it unguessable. Only the prefix and a SHA-256 of
 * the whole key are stored, so the key itself is shown once, when it is created.
 */
import { and, eq, gt, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { timingSafeEqual } from "node:crypto";
import type { Store } from "../../store/db.ts";
import { perStore } from "../../store/per-store.ts";
import { GenerationalCache } from "../../core/generational-cache.ts";
import { apiKeys, sessions } from "../../store/schema.ts";
import { LOCAL_AGENT, type ApiKeyScope } from "../../core/enums.ts";
import { sha256Hex } from "./presented-key.ts";

const KEY_TAG = "moat_";
const PREFIX_BYTES = 6;
const SECRET_BYTES = 32;
/** base64url without padding: 4 characters per 3 bytes. */
const base64urlLength = (bytes: number) => Math.ceil((bytes * 4) / 3);
const PREFIX_LENGTH = base64urlLength(PREFIX_BYTES);
const KEY_SHAPE = new RegExp(`^${KEY_TAG}[A-Za-z0-9_-]{${PREFIX_LENGTH + base64urlLength(SECRET_BYTES)}}$`);
/** Writing lastUsedAt on every request would turn every read into a write: a key is marked used to the minute. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** What may be shown about a key: everything but its hash. */
export interface ApiKeyInfo {
  id: number;
  name: string;
  prefix: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
  scope: ApiKeyScope;
  /** Inline checks per second; null: server.check_rate_limit; 0: no limit. */
  rateLimit: number | null;
}

/** What a key may do, chosen when it is made. */
export type KeyAccess = Pick<ApiKeyInfo, "scope" | "rateLimit">;

/** The largest per-key rate limit one can set (checks per second); beyond it, 0 (no limit) says what is meant. */
export const MAX_KEY_RATE_LIMIT = 1_000_000;

/** `admin` keeps `moat apikey create <name>` meaning what it meant before scopes: a key for everything. */
export const DEFAULT_KEY_ACCESS: KeyAccess = { scope: "admin", rateLimit: null };

export interface CreatedKey extends ApiKeyInfo {
  /** The whole key: not stored, so it cannot be shown again. */
  key: string;
}

export type RevokeResult = { key: ApiKeyInfo; alreadyRevoked: boolean };

const infoColumns = {
  id: apiKeys.id,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  createdAt: apiKeys.createdAt,
  lastUsedAt: apiKeys.lastUsedAt,
  revokedAt: apiKeys.revokedAt,
  scope: apiKeys.scope,
  rateLimit: apiKeys.rateLimit,
};

export function randomBase64url(bytes: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("base64url");
}

/** How a key is shown in listings and logs (and named to revoke it): enough to recognise it, nothing that authenticates. */
export function displayPrefix(prefix: string): string {
  return `${KEY_TAG}${prefix}`;
}

/**
 * Why `name` cannot name a key of `scope`, or null. An agent key's name is the agent's name on the hub
 * (its rows, the agent filter): a plain token, and never the filter's word for the hub's own rows.
 */
export function keyNameProblem(name: string, scope: ApiKeyScope): string | null {
  if (scope !== "agent") return null;
  if (name === LOCAL_AGENT) return `"${LOCAL_AGENT}" means the hub's own sources: name the agent otherwise`;
  return AGENT_NAME.test(name) ? null : "an agent's name is 1 to 64 letters, digits, dots, dashes or underscores (its host name, say)";
}

const AGENT_NAME = /^[A-Za-z0-9._-]{1,64}$/;

export function createKey(store: Store, name: string, access: Partial<KeyAccess> = {}, now = Date.now()): CreatedKey {
  const prefix = randomBase64url(PREFIX_BYTES);
  const key = `${KEY_TAG}${prefix}${randomBase64url(SECRET_BYTES)}`;
  const values = { name, prefix, hash: sha256Hex(key), createdAt: now, scope: access.scope ?? DEFAULT_KEY_ACCESS.scope, rateLimit: access.rateLimit ?? DEFAULT_KEY_ACCESS.rateLimit };
  const row = store.db.insert(apiKeys).values(values).returning(infoColumns).get();
  return { ...row, key };
}

/** Every key, revoked ones included, oldest first. */
export function listKeys(store: Store): ApiKeyInfo[] {
  return store.db.select(infoColumns).from(apiKeys).orderBy(apiKeys.id).all();
}

/** Marks keys used by their hashes (a listener off the store's thread checked them), to the minute as verifyKey does. */
export function markKeysUsed(store: Store, hashes: string[], now = Date.now()): void {
  store.db
    .update(apiKeys)
    .set({ lastUsedAt: now })
    .where(and(inArray(apiKeys.hash, hashes), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, now - LAST_USED_RESOLUTION_MS), gt(apiKeys.lastUsedAt, now + LAST_USED_RESOLUTION_MS))))
    .run();
}

/** The hashes of the keys not revoked, for a listener that checks keys off the store's thread (the mirror's). */
export function liveKeyHashes(store: Store): string[] {
  return store.db.select({ hash: apiKeys.hash }).from(apiKeys).where(isNull(apiKeys.revokedAt)).all().map((r) => r.hash);
}

/**
 * The key named by its id (a number), or by a string: its prefix (as displayPrefix shows it, or
 * without `moat_`), else its id in digits.
 */
function findKey(store: Store, idOrPrefix: string | number): ApiKeyInfo | undefined {
  if (typeof idOrPrefix === "number") return store.db.select(infoColumns).from(apiKeys).where(eq(apiKeys.id, idOrPrefix)).get();
  const prefix = idOrPrefix.startsWith(KEY_TAG) ? idOrPrefix.slice(KEY_TAG.length) : idOrPrefix;
  const byPrefix = store.db.select(infoColumns).from(apiKeys).where(eq(apiKeys.prefix, prefix)).get();
  if (byPrefix || !/^\d+$/.test(idOrPrefix)) return byPrefix;
  return store.db.select(infoColumns).from(apiKeys).where(eq(apiKeys.id, Number(idOrPrefix))).get();
}

/** Revokes a key and ends its dashboard sessions; null when there is no such key. */
export function revokeKey(store: Store, idOrPrefix: string | number, now = Date.now()): RevokeResult | null {
  const found = findKey(store, idOrPrefix);
  if (!found) return null;
  if (found.revokedAt !== null) return { key: found, alreadyRevoked: true };
  store.db.transaction((tx) => {
    tx.update(apiKeys).set({ revokedAt: now }).where(eq(apiKeys.id, found.id)).run();
    tx.delete(sessions).where(eq(sessions.keyId, found.id)).run();
  });
  recentKeys(store).clear();
  return { key: { ...found, revokedAt: now }, alreadyRevoked: false };
}

/** A live key by its prefix: prepared once per store, since every request with a key looks it up. */
const liveKeyByPrefix = perStore((store) => store.db.select().from(apiKeys).where(and(eq(apiKeys.prefix, sql.placeholder("prefix")), isNull(apiKeys.revokedAt))).prepare());

/**
 * How long a live key's row is taken from memory rather than looked up again. Every request with a key
 * looks it up, and on PostgreSQL each lookup is a round trip: a hub's agents post many times a second,
 * and a third of a hub's thread went to waiting for these (bench:hub). A key revoked by another
 * process (a second hub, `moat apikey revoke`) stops working here within this time; one revoked by
 * this process, at once.
 */
export const KEY_MEMORY_MS = 1_000;
/** Live keys' rows by prefix, each with the monotonic time until which it is taken from here. */
const recentKeys = perStore(() => new GenerationalCache<string, { row: typeof apiKeys.$inferSelect; until: number }>(1_000));

function liveKeyRow(store: Store, prefix: string): typeof apiKeys.$inferSelect | undefined {
  const recent = recentKeys(store);
  const known = recent.get(prefix);
  const clock = performance.now();
  if (known && known.until > clock) return known.row;
  const row = liveKeyByPrefix(store).get({ prefix });
  // Only live keys are kept: a made-up prefix must not fill the cache, nor keep a key out once it exists
  // (an expired row is looked up again, and found revoked or not).
  if (row) recent.set(prefix, { row, until: clock + KEY_MEMORY_MS });
  return row;
}

/** The key's row when `key` is a live key, else null. Marks it used (to the minute). */
export function verifyKey(store: Store, key: string, now = Date.now()): ApiKeyInfo | null {
  if (!KEY_SHAPE.test(key)) return null;
  const prefix = key.slice(KEY_TAG.length, KEY_TAG.length + PREFIX_LENGTH);
  const row = liveKeyRow(store, prefix);
  if (!row) return null;
  // The prefix is public; comparing the hashes in constant time leaks nothing about the secret.
  if (!timingSafeEqual(Buffer.from(sha256Hex(key), "hex"), Buffer.from(row.hash, "hex"))) return null;
  // Either way: a wall clock set back must not freeze the column at a time still to come.
  if (row.lastUsedAt === null || Math.abs(now - row.lastUsedAt) >= LAST_USED_RESOLUTION_MS) {
    store.db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, row.id)).run();
    row.lastUsedAt = now;
  }
  const { hash: _hash, ...info } = row;
  return info;
}
