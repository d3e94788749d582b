/**
 * Files replaced so that a reader, or the next start after a kill, sees the old content or the new,
 * never a part: the bytes go to `<path>.<pid>.tmp` in the same directory (a rename is atomic only
 * within one file system), are fsynced, and the temporary file is renamed over `path`; then the
 * directory is fsynced so the rename itself survives a power cut. A kill before the rename leaves the
 * temporary file behind: removeStrayTemps() clears those at the next start.
 */
import { closeSync, fchmodSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";

/** `<name>.<pid>.tmp`: the pid says whether the writer may still be at work. */
const TEMP_NAME = /\.(\d+)\.tmp$/;

function syncDirectory(dir: string): void {
  // Some file systems refuse to fsync a directory: the rename happened all the same.
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // best effort
  }
}

/**
 * Writes `bytes` to `path` atomically and durably (see the file's comment). The directory must exist.
 * `mode` is the new file's, whatever the umask (Moat's files are its user's alone unless another
 * reader needs them: the deny file is nginx's to read, and a umask of 0027 would hide it).
 */
export function replaceFileAtomically(path: string, bytes: Uint8Array | string, mode = 0o600): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const data = typeof bytes === "string" ? Buffer.from(bytes) : bytes;
  try {
    const fd = openSync(tmp, "w", mode);
    try {
      fchmodSync(fd, mode);
      for (let done = 0; done < data.length; ) done += writeSync(fd, data, done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // not ours to remove (a directory in the way): the original error says what went wrong
    }
    throw e;
  }
  syncDirectory(dirname(path));
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return false; // this process is only starting: nothing of its own is under way
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // alive, someone else's
  }
}

/**
 * Removes the temporary files an interrupted replaceFileAtomically() left in `dir` (not below it),
 * except those of a process still running (a `moat train` writing beside a starting `moat serve`).
 * Returns the paths removed; a missing directory has none.
 */
export function removeStrayTemps(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = TEMP_NAME.exec(name)?.[1];
    if (pid === undefined || (Number(pid) > 0 && isRunning(Number(pid)))) continue;
    const path = join(dir, name);
    if (!statSync(path, { throwIfNoEntry: false })?.isFile()) continue;
    rmSync(path, { force: true });
    removed.push(path);
  }
  return removed;
}
