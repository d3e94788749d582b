/**
 * The settings table as a small key/value store of JSON values: what an operator changes while Moat
 * runs (threshold, mode, retention, webhook) and state that must outlive a process (a deny-list
 * problem the next run retries).
 */
import { eq, inArray } from "drizzle-orm";
import type { Store } from "./db.ts";
import { settings } from "./schema.ts";

/** The stored values of `keys`; a value that is not JSON was not written by Moat and is left out. */
export function readSettings(store: Store, keys: string[]): Map<string, unknown> {
  const values = new Map<string, unknown>();
  for (const row of store.db.select().from(settings).where(inArray(settings.key, keys)).all()) {
    try {
      values.set(row.key, JSON.parse(row.value));
    } catch {
      // Edited by hand into something else: the configuration's value applies instead.
    }
  }
  return values;
}

export function writeSetting(store: Store, key: string, value: unknown, now: number): void {
  const json = JSON.stringify(value);
  store.db.insert(settings).values({ key, value: json, updatedAt: now }).onConflictDoUpdate({ target: settings.key, set: { value: json, updatedAt: now } }).run();
}

export function deleteSetting(store: Store, key: string): void {
  store.db.delete(settings).where(eq(settings.key, key)).run();
}
