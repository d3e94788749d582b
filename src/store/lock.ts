/**
 * One `moat serve` per database. Two would both follow the logs and store every line twice.
 *
 * The lock is `<db>.lock`, a small SQLite database that the serving process writes once in SQLite's
 * exclusive locking mode and keeps open: SQLite then holds its write lock (an fcntl lock) until the
 * connection closes, and the kernel drops it when the process ends in any way, SIGKILL included, so a
 * crash never leaves a stale lock behind (a pid file would). The holder writes its pid as the lock
 * file's user_version: another process cannot open the locked database, but can read the pid from the
 * file's header, where SQLite keeps user_version (4 bytes, big-endian, at offset 60).
 *
 * Commands that read or write the database itself (db stats, export, apikey, ban) do not take the
 * lock: SQLite already serializes their writes with the service's.
 */
import { Database } from "bun:sqlite";
import { closeSync, openSync, readSync } from "node:fs";
import { dirname } from "node:path";
import { makePrivateDir, touchPrivateFile } from "../core/private-files.ts";
import { StoreError } from "./db.ts";

export class DatabaseInUseError extends Error {
  constructor(readonly db: string, readonly pid: number | null) {
    super(`${db} is in use by another moat serve${pid ? ` (pid ${pid})` : ""}: stop it first, or give this one its own database (storage.db or --db)`);
    this.name = "DatabaseInUseError";
  }
}

export interface DatabaseLock {
  path: string;
  release(): void;
}

const SQLITE_MAGIC = "SQLite format 3\0";
const USER_VERSION_OFFSET = 60;

/**
 * Held locks. A connection nobody references is closed by the garbage collector, and closing it would
 * release the lock while the service runs: this set keeps each one reachable until release().
 */
const held = new Set<Database>();

function lockPathOf(dbPath: string): string {
  return `${dbPath}.lock`;
}

/** The pid the holder wrote in the lock file's header, or null (no lock file, or not written yet). */
export function lockHolderPid(dbPath: string): number | null {
  let fd: number;
  try {
    fd = openSync(lockPathOf(dbPath), "r");
  } catch {
    return null;
  }
  try {
    const header = Buffer.alloc(USER_VERSION_OFFSET + 4);
    if (readSync(fd, header, 0, header.length, 0) < header.length) return null;
    if (header.toString("latin1", 0, SQLITE_MAGIC.length) !== SQLITE_MAGIC) return null;
    return header.readUInt32BE(USER_VERSION_OFFSET) || null;
  } finally {
    closeSync(fd);
  }
}

/** Whether a `moat serve` holds the database now (for `moat doctor`): tries the lock and lets it go. */
export function isDatabaseLocked(dbPath: string): boolean {
  try {
    lockDatabase(dbPath).release();
    return false;
  } catch (e) {
    if (e instanceof DatabaseInUseError) return true;
    throw e;
  }
}

/** Takes the lock of `dbPath` for this process; throws DatabaseInUseError when another process holds it. */
export function lockDatabase(dbPath: string): DatabaseLock {
  const path = lockPathOf(dbPath);
  let lock: Database;
  try {
    makePrivateDir(dirname(path));
    touchPrivateFile(path);
    lock = new Database(path);
  } catch (e) {
    throw new StoreError(`cannot create the lock file ${path}: ${(e as Error).message} (set storage.db or --db to a writable place)`);
  }
  try {
    lock.exec("PRAGMA busy_timeout = 0"); // a held lock is an answer, not something to wait for
    lock.exec("PRAGMA locking_mode = EXCLUSIVE");
    lock.exec("PRAGMA journal_mode = MEMORY"); // no journal file beside it (bun's SQLite refuses OFF)
    // The first write takes the exclusive lock, and the exclusive locking mode keeps it.
    lock.exec(`PRAGMA user_version = ${process.pid}`);
  } catch (e) {
    lock.close();
    if ((e as { code?: string }).code?.startsWith("SQLITE_BUSY")) throw new DatabaseInUseError(dbPath, lockHolderPid(dbPath));
    throw new StoreError(`cannot lock ${path}: ${(e as Error).message}`);
  }
  held.add(lock);
  return {
    path,
    release() {
      held.delete(lock);
      lock.close();
    },
  };
}
