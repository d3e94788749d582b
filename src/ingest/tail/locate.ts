/**
 * Finding a file again once it has left the watched path: renamed by logrotate (same inode under
 * a new name) or copied by copytruncate (a new inode with the same first line), while we were
 * running or not.
 */
import { readdir, stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import { dirname, join } from "node:path";
import type { FilePosition } from "./types.ts";
import { openFile, fingerprintOf, tailFile, type TailFile } from "./file.ts";

export interface Identity {
  dev: number;
  ino: number;
}

interface Entry {
  path: string;
  stats: Stats;
}

export function sameIdentity(a: Identity, b: Identity): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === "ENOENT";
}

/** Regular files of `dir`; entries that vanish while we look are skipped. */
async function listFiles(dir: string): Promise<Entry[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if (isMissing(e)) return [];
    throw e;
  }
  const entries: Entry[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const stats = await stat(path).catch(() => null);
    if (stats?.isFile()) entries.push({ path, stats });
  }
  return entries;
}

/**
 * Opens `path` if it still holds the content `at` describes (same first line, at least `at.offset`
 * bytes), checked on the open descriptor so that a rename in between cannot fool us.
 */
async function openIfSame(path: string, at: FilePosition, byInode: boolean): Promise<TailFile | null> {
  let opened;
  try {
    opened = await openFile(path);
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
  const { handle, stats } = opened;
  const sameFile = byInode ? sameIdentity(stats, at) : true;
  const sameContent = stats.size >= at.offset && (at.fingerprint === "" || (await fingerprintOf(handle)) === at.fingerprint);
  if (sameFile && sameContent) return tailFile(handle, path, stats, at);
  await handle.close();
  return null;
}

/**
 * The file `at` describes, opened and positioned at `at`, or null when it is gone. Looks in the
 * directory of `at.path`: by inode first (the recorded path before the others), then, for a
 * copytruncate copy, by first-line fingerprint among the files big enough to hold `at.offset`,
 * newest first. Files in `exclude` are already being read and are never returned again.
 */
export async function locate(at: FilePosition, exclude: Identity[]): Promise<TailFile | null> {
  const candidates = (await listFiles(dirname(at.path))).filter((e) => !exclude.some((x) => sameIdentity(e.stats, x)));
  const byInode = candidates.filter((e) => sameIdentity(e.stats, at)).sort((a, b) => Number(b.path === at.path) - Number(a.path === at.path));
  for (const e of byInode) {
    const file = await openIfSame(e.path, at, true);
    if (file) return file;
  }
  if (at.fingerprint === "") return null;
  const byContent = candidates
    .filter((e) => !sameIdentity(e.stats, at) && e.stats.size >= at.offset)
    .sort((a, b) => b.stats.mtimeMs - a.stats.mtimeMs);
  for (const e of byContent) {
    // An unreadable stranger is simply not the copy.
    const file = await openIfSame(e.path, at, false).catch(() => null);
    if (file) return file;
  }
  return null;
}
