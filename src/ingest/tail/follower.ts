/**
 * Follows one watched path across rotations: the file now at the path (the active file, read
 * last) and the rotated files still being drained before it. One pass at a time, so lines of a
 * physical file go out in order and onLines is never called concurrently for the path.
 */
import { stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import type { SourceLine } from "../../core/source-line.ts";
import type { TailCheckpoint, TailEvent } from "./types.ts";
import { fingerprintOf, lastLineEnd, openFile, position, readNext, tailFile, type Advance, type TailFile } from "./file.ts";
import { locate, sameIdentity } from "./locate.ts";

export interface FollowerSettings {
  onLines(lines: SourceLine[], checkpoint: TailCheckpoint): Promise<void> | void;
  emit(e: TailEvent): void;
  startAtEnd: boolean;
  rotatedGraceMs: number;
  maxLineBytes: number;
}

async function statIfExists(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw e;
  }
}

/**
 * After a failed pass the next one waits, doubling from the first to the last delay: a full disk
 * would otherwise have the same lines read, parsed and judged again twice a second until it is fixed.
 * Delays and the rotated files' grace are measured with performance.now(), the monotonic clock: a wall
 * clock set back an hour would otherwise hold the retries (and the rotated files) for that hour.
 */
const FIRST_RETRY_MS = 500;
const LAST_RETRY_MS = 10_000;

export class Follower {
  private files: TailFile[] = [];
  private active: TailFile | null = null;
  private started = false;
  /** Only a file already there when we start, without checkpoint, is read from its end. */
  private startAtEnd: boolean;
  private saidWaiting = false;
  private lastError = "";
  private failedPasses = 0;
  private retryAt = 0;
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly resumeFrom: TailCheckpoint | undefined,
    private readonly settings: FollowerSettings,
  ) {
    this.startAtEnd = settings.startAtEnd && !resumeFrom;
  }

  /** Asks for a pass; one already running runs once more instead. */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.running;
    await Promise.all(this.files.map((f) => f.handle.close().catch(() => undefined)));
  }

  checkpoint(): TailCheckpoint {
    if (!this.started && this.resumeFrom) return this.resumeFrom;
    return { path: this.path, files: this.files.map(position) };
  }

  private async run(): Promise<void> {
    do {
      this.again = false;
      await this.pass();
    } while (this.again && !this.closed);
    this.running = null;
  }

  private emit(e: TailEvent): void {
    this.settings.emit(e);
  }

  /** Never throws: a failure is reported once and a later poll tries again (see LAST_RETRY_MS). */
  private async pass(): Promise<void> {
    if (performance.now() < this.retryAt) return;
    try {
      if (!this.started) await this.start();
      await this.followPath();
      for (const file of [...this.files]) {
        if (this.closed) return;
        await this.drain(file);
      }
      await this.letGoIdle();
      if (this.lastError) this.emit({ type: "recovered", path: this.path, following: this.active !== null });
      this.lastError = "";
      this.failedPasses = 0;
      this.retryAt = 0;
    } catch (e) {
      const detail = e instanceof Error ? e.message : String(e);
      if (detail !== this.lastError) this.emit({ type: "error", path: this.path, detail });
      this.lastError = detail;
      this.retryAt = performance.now() + Math.min(LAST_RETRY_MS, FIRST_RETRY_MS * 2 ** this.failedPasses++);
    }
  }

  /** Finds the checkpointed files again, wherever rotation has moved them while we were away. */
  private async start(): Promise<void> {
    const found: TailFile[] = [];
    try {
      for (const at of this.resumeFrom?.files ?? []) {
        const file = await locate(at, found);
        if (file) {
          found.push(file);
          this.emit({ type: "resumed", path: this.path, offset: at.offset, file: file.path });
        } else {
          const detail = `${at.path} (inode ${at.ino}) is neither at its path nor among its siblings (compressed or deleted?): whatever it held after line ${at.line} (byte ${at.offset}) is unaccounted for`;
          this.emit({ type: "lost", path: this.path, detail });
        }
      }
    } catch (e) {
      await Promise.all(found.map((f) => f.handle.close()));
      throw e;
    }
    this.files = found;
    this.started = true;
  }

  /** Notices a rename rotation and opens whatever file is now at the path. */
  private async followPath(): Promise<void> {
    const stats = await statIfExists(this.path);
    const active = this.active;
    if (active && !(stats && sameIdentity(stats, active))) {
      // The writer keeps appending to the old inode until it reopens: drain it for the grace period.
      active.grewAt = performance.now();
      this.active = null;
      this.emit({ type: "rotated", path: this.path, how: "rename" });
    }
    if (this.active) return;
    if (!stats) {
      if (!this.saidWaiting) this.emit({ type: "waiting", path: this.path });
      this.saidWaiting = true;
      this.startAtEnd = false;
      return;
    }
    const known = this.files.find((f) => sameIdentity(f, stats));
    if (known) {
      // Resumed from a checkpoint: the file found again is still the one at the path.
      this.files = [...this.files.filter((f) => f !== known), known];
      this.active = known;
      return;
    }
    const opened = await openFile(this.path);
    const file = tailFile(opened.handle, this.path, opened.stats, null);
    if (this.startAtEnd) {
      try {
        Object.assign(file, await lastLineEnd(file.handle, file.size));
        if (file.offset > 0) file.fingerprint = await fingerprintOf(file.handle);
      } catch (e) {
        await file.handle.close();
        throw e;
      }
    }
    this.startAtEnd = false;
    this.files.push(file);
    this.active = file;
    this.saidWaiting = false;
    this.emit({ type: "opened", path: this.path, offset: file.offset });
  }

  /** Delivers the file's complete lines up to its current end. */
  private async drain(file: TailFile): Promise<void> {
    while (!this.closed) {
      const stats = await file.handle.stat();
      const lastSize = file.size;
      if (stats.size > file.size) file.grewAt = performance.now();
      file.size = stats.size;
      if (stats.size < file.offset + (file.longLine?.scanned ?? 0)) return this.shrunk(file, lastSize);
      const next = await readNext(file, stats.size, this.path, this.settings.maxLineBytes);
      if (!next) return;
      // Checked after the read: a truncation racing it would otherwise pass new bytes off as old ones.
      if (file === this.active && file.fingerprint && (await fingerprintOf(file.handle)) !== file.fingerprint) return this.shrunk(file, lastSize);
      await this.deliver(file, next);
    }
  }

  /** Hands the lines over; the file's position moves only once the caller has them. */
  private async deliver(file: TailFile, next: Advance): Promise<void> {
    // Unknown only when the first read did not start at 0 (an over-long first line, startAt end).
    const fingerprint = next.fingerprint || (next.lines.length ? await fingerprintOf(file.handle) : "");
    if (next.lines.length) {
      const after = { ...position(file), offset: next.offset, line: next.line, fingerprint };
      await this.settings.onLines(next.lines, { path: this.path, files: this.files.map((f) => (f === file ? after : position(f))) });
    }
    Object.assign(file, { offset: next.offset, line: next.line, longLine: next.longLine, fingerprint });
  }

  /**
   * The file lost content we had read (copytruncate, or its first line changed). What had been
   * written after our position before the truncation is only in the copy, which has the same
   * first line: drain it from our position, before the truncated file starting over from 0.
   */
  private async shrunk(file: TailFile, lastSize: number): Promise<void> {
    if (file !== this.active) {
      this.files = this.files.filter((f) => f !== file);
      await file.handle.close();
      this.emit({ type: "lost", path: this.path, detail: `rotated file ${file.path} shrank below byte ${file.offset} (line ${file.line}) while being drained: its rest is unaccounted for` });
      return;
    }
    this.emit({ type: "rotated", path: this.path, how: "truncate" });
    if (file.offset > 0) {
      const copy = await locate(position(file), this.files);
      if (copy) {
        this.files.splice(this.files.indexOf(file), 0, copy);
        this.emit({ type: "resumed", path: this.path, offset: copy.offset, file: copy.path });
      } else if (lastSize > file.offset) {
        const detail = `truncated with no copy of it among its siblings: at least ${lastSize - file.offset} bytes after line ${file.line} (byte ${file.offset}) are unaccounted for`;
        this.emit({ type: "lost", path: this.path, detail });
      }
    }
    Object.assign(file, { fingerprint: "", offset: 0, line: 1, longLine: null, grewAt: performance.now() });
    this.again = true; // the copy goes first, in a pass of its own
  }

  /** Rotated files idle for the grace period are done: the writer has reopened the path by now. */
  private async letGoIdle(): Promise<void> {
    const now = performance.now();
    const idle = this.files.filter((f) => f !== this.active && now - f.grewAt >= this.settings.rotatedGraceMs);
    if (!idle.length) return;
    for (const f of idle) {
      const rest = f.size - f.offset;
      if (rest > 0) this.emit({ type: "rejected", path: this.path, line: f.line, detail: `${f.path}: the last ${rest} bytes have no newline and were abandoned with the rotated file` });
      await f.handle.close();
    }
    this.files = this.files.filter((f) => !idle.includes(f));
    // An empty batch, so that the caller can persist that these files are done with.
    await this.settings.onLines([], this.checkpoint());
  }
}
