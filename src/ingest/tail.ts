/**
 * Live source: follows nginx access logs as they grow, across logrotate's rename+create and
 * copytruncate rotations and across restarts of Moat itself, delivering every complete line
 * exactly once when the caller persists each checkpoint together with the lines it came with.
 *
 * chokidar events make reads prompt; a slow stat poll is the safety net, because inotify misses
 * renames and never reports writes into a file that has been renamed away.
 */
import { resolve } from "node:path";
import { watch } from "chokidar";
import { DEFAULT_MAX_LINE_BYTES } from "./lines.ts";
import type { SourceLine } from "../core/source-line.ts";
import { Follower } from "./tail/follower.ts";
import type { TailCheckpoint, TailEvent } from "./tail/types.ts";

// The checkpoint and event types live in a leaf that the followers share; callers take them from here.
export type { TailCheckpoint, TailEvent } from "./tail/types.ts";

export interface TailOptions {
  paths: string[];
  /** From a previous run: reading resumes right after the last line delivered. */
  checkpoints?: TailCheckpoint[];
  /**
   * Awaited, and never called concurrently for the same path. `checkpoint` is the state right
   * after these lines. `lines` is empty when only the checkpoint changed (a drained rotated file
   * was let go), so that the caller can persist that too.
   */
  onLines(lines: SourceLine[], checkpoint: TailCheckpoint): Promise<void> | void;
  onEvent?(e: TailEvent): void;
  /** For a file already there at start with no checkpoint; default "beginning". */
  startAt?: "beginning" | "end";
  /** Safety poll besides chokidar events; default 500. */
  pollIntervalMs?: number;
  /** How long a renamed file is drained after it last grew (nginx writes to it until it reopens); default 5000. */
  rotatedGraceMs?: number;
  maxLineBytes?: number;
}

export interface Tailer {
  /** Stops watching; resolves once any onLines call in flight has finished. */
  close(): Promise<void>;
  checkpoints(): TailCheckpoint[];
}

function errorPath(error: unknown): string | undefined {
  const path = (error as { path?: unknown } | null)?.path;
  return typeof path === "string" ? path : undefined;
}

export function tailFiles(options: TailOptions): Tailer {
  const emit = (e: TailEvent) => options.onEvent?.(e);
  const settings = {
    onLines: options.onLines,
    emit,
    startAtEnd: options.startAt === "end",
    rotatedGraceMs: options.rotatedGraceMs ?? 5000,
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
  };
  const followers = new Map<string, Follower>();
  for (const path of options.paths) {
    const key = resolve(path);
    if (followers.has(key)) continue;
    const checkpoint = options.checkpoints?.find((c) => resolve(c.path) === key);
    followers.set(key, new Follower(path, checkpoint, settings));
  }
  const kickAll = () => {
    for (const f of followers.values()) f.kick();
  };

  const watcher = watch(options.paths, { ignoreInitial: true, atomic: false });
  watcher.on("all", (_event, path) => followers.get(resolve(path))?.kick());
  watcher.on("error", (error) => emit({ type: "error", path: errorPath(error) ?? options.paths.join(" "), detail: String(error) }));
  const poll = setInterval(kickAll, options.pollIntervalMs ?? 500);
  kickAll();

  return {
    async close() {
      clearInterval(poll);
      await watcher.close();
      await Promise.all([...followers.values()].map((f) => f.close()));
    },
    checkpoints: () => [...followers.values()].map((f) => f.checkpoint()),
  };
}
