/**
 * Dashboard sessions: logging in with an API key gives a random token for an HttpOnly cookie, so the
 * browser never holds the key itself. Only a SHA-256 of the token is stored. A session lives as long
 * as its key: revoking the key ends it (see revokeKey).
 */
import { and, eq, gt, isNull, lte } from "drizzle-orm";
import type { Store } from "../../store/db.ts";
import { apiKeys, sessions } from "../../store/schema.ts";
import { randomBase64url, type KeyAccess } from "./keys.ts";
import { sha256Hex } from "./presented-key.ts";

const TOKEN_BYTES = 32;

export interface SessionInfo extends KeyAccess {
  keyId: number;
  keyName: string;
  expiresAt: number;
}

/** A new session for the key; returns the token, which is not stored and cannot be read back. */
export function createSession(store: Store, keyId: number, ttlMs: number, now = Date.now()): string {
  const token = randomBase64url(TOKEN_BYTES);
  store.db.insert(sessions).values({ hash: sha256Hex(token), keyId, createdAt: now, expiresAt: now + ttlMs }).run();
  return token;
}

/**
 * The session of a token, when it has not expired and its key is not revoked; else null. Looked up by
 * hash: what an index lookup's timing could reveal is the hash, which does not lead back to the token.
 */
export function verifySession(store: Store, token: string, now = Date.now()): SessionInfo | null {
  const row = store.db
    .select({ keyId: sessions.keyId, keyName: apiKeys.name, scope: apiKeys.scope, rateLimit: apiKeys.rateLimit, expiresAt: sessions.expiresAt })
    .from(sessions)
    .innerJoin(apiKeys, eq(apiKeys.id, sessions.keyId))
    .where(and(eq(sessions.hash, sha256Hex(token)), gt(sessions.expiresAt, now), isNull(apiKeys.revokedAt)))
    .get();
  return row ?? null;
}

export function deleteSession(store: Store, token: string): void {
  store.db.delete(sessions).where(eq(sessions.hash, sha256Hex(token))).run();
}

/** Deletes expired sessions; returns how many. */
export function pruneExpired(store: Store, now = Date.now()): number {
  return store.db.delete(sessions).where(lte(sessions.expiresAt, now)).returning({ hash: sessions.hash }).all().length;
}
