/**
 * Files and directories only Moat's own user may read: the database holds flagged requests (and
 * their headers), the API keys' hashes and the models learned from the site's traffic.
 *
 * The modes are given at creation (`open`/`mkdir` with a mode), so there is no moment where a new
 * file is readable by others. Existing files and directories keep their mode: they may be the
 * operator's choice (a directory such as /tmp, or a group that backs the database up); `moat doctor`
 * warns about a database others can read.
 */
import { closeSync, mkdirSync, openSync, statSync } from "node:fs";

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** Creates `dir` and its missing parents as 0700; an existing directory is left as it is. */
export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * Creates `path` empty as 0600 when it does not exist (an existing file is left as it is), so that a
 * library that creates it with its own default (SQLite: 0644) finds it already there.
 */
export function touchPrivateFile(path: string): void {
  try {
    closeSync(openSync(path, "wx", PRIVATE_FILE_MODE)); // "wx": an existing file is not even opened for writing (it may be read-only)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
}

/** Whether users other than the owner can read `path` (false when it does not exist). */
export function readableByOthers(path: string): boolean {
  const mode = statSync(path, { throwIfNoEntry: false })?.mode;
  return mode !== undefined && (mode & 0o044) !== 0;
}
