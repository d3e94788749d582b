/** What the tail reports and persists: shared by tail.ts and the per-file followers under tail/. */

/** Where reading stands in one physical file. */
export interface FilePosition {
  /** Where the file was last known to be. */
  path: string;
  dev: number;
  ino: number;
  /** Hash of the first line (or first 4 KiB); empty until that is complete. */
  fingerprint: string;
  /** First byte not yet delivered: always the start of a line. */
  offset: number;
  /** Line number at `offset`. */
  line: number;
}

export interface TailCheckpoint {
  /** The watched path. */
  path: string;
  /** Rotated files still being drained first, the active file last. */
  files: FilePosition[];
}

export type TailEvent =
  | { type: "waiting"; path: string }
  | { type: "opened"; path: string; offset: number }
  | { type: "rotated"; path: string; how: "rename" | "truncate" }
  | { type: "resumed"; path: string; offset: number; file: string }
  | { type: "lost"; path: string; detail: string }
  | { type: "rejected"; path: string; line: number; detail: string }
  | { type: "error"; path: string; detail: string }
  /** A pass worked again after an error; `following`: a file is open at the path. */
  | { type: "recovered"; path: string; following: boolean };
