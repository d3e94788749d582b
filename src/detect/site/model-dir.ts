/**
 * A site model directory: `site.onnx` (live), `history/` (the models it replaced, for rollback) and
 * `rejected-<version>.onnx` (candidates the regression gate refused).
 *
 * History order is a sequence number given when a model enters the history, at the head of its
 * name (`history/00000007-replaced-before-<version>.onnx`): not the version nor the rest of the
 * name (versions sort by training time, and a model promoted by hand is often an older one), and not
 * mtimes (a copy or a restore changes them). Files of older releases (`replaced-before-*.onnx`, no
 * number) count as older than any numbered one, in mtime order among themselves.
 *
 * Every write is atomic (src/core/atomic-file.ts). A kill inside promote() can leave a stray
 * `*.<pid>.tmp` (removed at the next start by tidyModelDir) and a history entry identical to the
 * live model (kept just before the rename): rollback() recognises such a copy by its hash and
 * drops it instead of "restoring" the model that is live already.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { removeStrayTemps, replaceFileAtomically } from "../../core/atomic-file.ts";
import { makePrivateDir } from "../../core/private-files.ts";
import type { SiteModelState } from "../../core/enums.ts";
import { readSiteMetadata } from "./model.ts";

/** A site model file's role in its directory. */

const LIVE = "site.onnx";
const HISTORY = "history";
const SEQUENCE_DIGITS = 8;
const NUMBERED = /^(\d+)-.*\.onnx$/;

interface HistoryEntry {
  file: string;
  /** 0 for a file of an older release, which had no sequence. */
  sequence: number;
  mtimeMs: number;
}

/** The live model's bytes and version, or null when there is none (or it names no version). */
export function liveSiteModel(dir: string): { bytes: Uint8Array; version: string } | null {
  const live = join(dir, LIVE);
  if (!existsSync(live)) return null;
  const bytes = readFileSync(live);
  const version = readSiteMetadata(bytes)?.version;
  return version ? { bytes, version } : null;
}

/** Where a candidate the regression gate refused is kept, for a person to look at or force in. */
export function rejectedPath(dir: string, version: string): string {
  return join(dir, `rejected-${safeName(version)}.onnx`);
}

/** A version as part of a file name: nothing that could leave the directory or confuse a shell. */
function safeName(version: string): string {
  return version.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_");
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The version a model file names in its metadata, or null for a file that is not a site model. */
function versionOf(bytes: Uint8Array): string | null {
  try {
    return readSiteMetadata(bytes)?.version ?? null;
  } catch {
    return null;
  }
}

/** The replaced models of `dir`, newest first. */
function historyEntries(dir: string): HistoryEntry[] {
  const historyDir = join(dir, HISTORY);
  if (!existsSync(historyDir)) return [];
  return readdirSync(historyDir)
    .filter((name) => name.endsWith(".onnx"))
    .map((name) => {
      const file = join(historyDir, name);
      return { file, sequence: Number(NUMBERED.exec(name)?.[1] ?? 0), mtimeMs: statSync(file).mtimeMs };
    })
    .sort((a, b) => b.sequence - a.sequence || b.mtimeMs - a.mtimeMs);
}

/** The model files of a site model directory: the live one, then the replaced and the rejected ones, newest first (at most `newestOfEach` of each). */
export function siteModelFiles(dir: string, newestOfEach = Infinity): { file: string; state: SiteModelState }[] {
  if (!existsSync(dir)) return [];
  const rejected = readdirSync(dir).filter((f) => f.startsWith("rejected-") && f.endsWith(".onnx")).sort().reverse();
  return [
    ...(existsSync(join(dir, LIVE)) ? [{ file: join(dir, LIVE), state: "live" as const }] : []),
    ...historyEntries(dir).slice(0, newestOfEach).map(({ file }) => ({ file, state: "replaced" as const })),
    ...rejected.slice(0, newestOfEach).map((f) => ({ file: join(dir, f), state: "rejected" as const })),
  ];
}

/** Removes what an interrupted write left in `dir` and its history; returns the paths removed. For every start that touches models. */
export function tidyModelDir(dir: string): string[] {
  return [...removeStrayTemps(dir), ...removeStrayTemps(join(dir, HISTORY))];
}

/**
 * Makes `bytes` the live model of `dir` (`version` is theirs), keeping the one it replaces as the
 * newest history entry. Throws when the live file does not read back as `bytes`.
 */
export function promote(dir: string, bytes: Uint8Array, version: string): void {
  const historyDir = join(dir, HISTORY);
  makePrivateDir(historyDir);
  const live = join(dir, LIVE);
  let kept: string | null = null;
  if (existsSync(live)) {
    const sequence = (historyEntries(dir)[0]?.sequence ?? 0) + 1;
    kept = join(historyDir, `${String(sequence).padStart(SEQUENCE_DIGITS, "0")}-replaced-before-${safeName(version)}.onnx`);
    replaceFileAtomically(kept, readFileSync(live));
  }
  try {
    replaceFileAtomically(live, bytes);
  } catch (e) {
    // The live model stays: its copy would only be a duplicate in the history.
    if (kept) rmSync(kept, { force: true });
    throw e;
  }
  const now = sha256(readFileSync(live));
  if (now !== sha256(bytes)) throw new Error(`${live} does not hold the model just written (sha256 ${now.slice(0, 12)}): another process changed it`);
}

export interface RolledBack {
  /** The history file restored (now gone from the history). */
  file: string;
  /** Its version, or null when it names none. */
  version: string | null;
  /** Of the live file after the rollback: the restored entry's. */
  sha256: string;
}

/**
 * Puts back the newest replaced model (or the newest of `version`), keeping the live one in the
 * history in its turn, so a second rollback undoes the first. Null when there is no model to go
 * back to. History entries identical to the live model are leftovers of an interrupted promote and
 * are removed on the way (restoring one would change nothing).
 */
export function rollback(dir: string, version?: string): RolledBack | null {
  const live = join(dir, LIVE);
  const liveHash = existsSync(live) ? sha256(readFileSync(live)) : null;
  for (const entry of historyEntries(dir)) {
    const bytes = readFileSync(entry.file);
    const hash = sha256(bytes);
    if (hash === liveHash) {
      rmSync(entry.file);
      continue;
    }
    const entryVersion = versionOf(bytes);
    if (version !== undefined && entryVersion !== version) continue;
    promote(dir, bytes, entryVersion ?? "rollback");
    // Removed once it is live, not before: a rollback that fails (a full disk) must not lose it.
    rmSync(entry.file);
    return { file: basename(entry.file), version: entryVersion, sha256: hash };
  }
  return null;
}
