import { describe, expect, setSystemTime, test } from "bun:test";
import { appendFileSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, renameSync, rmdirSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { tailFiles, type TailCheckpoint, type TailEvent, type TailOptions } from "../../src/ingest/tail.ts";
import type { SourceLine } from "../../src/core/source-line.ts";
import { tempDir } from "../helpers/tmp.ts";
import { openReadonly } from "../helpers/db.ts";

const CONSUMER = join(import.meta.dir, "..", "helpers", "tail-consumer.ts");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls a condition until it holds (true) or the deadline passes (false); on the monotonic clock, as a test may hold the wall clock. */
async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  if (!(await waitFor(condition, timeoutMs))) throw new Error(`timed out waiting for ${what}`);
}

/** A follower that records everything it is given. */
function follow(paths: string[], options: Partial<TailOptions> = {}) {
  const lines: SourceLine[] = [];
  const events: TailEvent[] = [];
  const batches: TailCheckpoint[] = [];
  const tailer = tailFiles({
    paths,
    pollIntervalMs: 50,
    rotatedGraceMs: 300,
    onLines: (batch, checkpoint) => {
      lines.push(...batch);
      batches.push(checkpoint);
    },
    onEvent: (e) => events.push(e),
    ...options,
  });
  return { lines, events, batches, tailer, texts: () => lines.map((l) => l.text) };
}

describe("tailFiles", () => {
  test("a partial line is delivered only once its newline arrives, even when cut inside a UTF-8 character", async () => {
    const path = join(tempDir(), "access.log");
    writeFileSync(path, "first\ncaf");
    const t = follow([path]);
    try {
      await until(() => t.lines.length === 1, "the first line");
      appendFileSync(path, Buffer.from([0xc3])); // first byte of "é"
      await sleep(300); // several polls: the partial line must still be held back
      expect(t.texts()).toEqual(["first"]);
      appendFileSync(path, Buffer.concat([Buffer.from([0xa9]), Buffer.from("!\nthird\n")]));
      await until(() => t.lines.length === 3, "the completed lines");
      expect(t.lines.map((l) => [l.text, l.line, l.offset, l.source])).toEqual([
        ["first", 1, 0, path],
        ["café!", 2, 6, path],
        ["third", 3, 13, path],
      ]);
      expect(t.batches.at(-1)!.files).toMatchObject([{ path, offset: 19, line: 4 }]);
    } finally {
      await t.tailer.close();
    }
  });

  test("over-long lines are delivered cut, with tooLong, without being buffered whole", async () => {
    const path = join(tempDir(), "access.log");
    writeFileSync(path, "short\n" + "x".repeat(30));
    const t = follow([path], { maxLineBytes: 16 });
    try {
      await until(() => t.lines.length === 1, "the short line");
      await sleep(200); // lets the follower start skipping the unfinished over-long line
      // Far more than one read: the follower must skip it in bounded steps.
      appendFileSync(path, "y".repeat(600_000) + "\nnext\n");
      await until(() => t.lines.length === 3, "the over-long line and the next");
      expect(t.lines.map((l) => [l.text, l.tooLong, l.line, l.offset])).toEqual([
        ["short", undefined, 1, 0],
        ["x".repeat(16), 600_030, 2, 6],
        ["next", undefined, 3, 600_037],
      ]);
    } finally {
      await t.tailer.close();
    }
  });

  test("a truncated file is read again from its start", async () => {
    const path = join(tempDir(), "access.log");
    writeFileSync(path, "one\ntwo\nthree\n");
    const t = follow([path]);
    try {
      await until(() => t.lines.length === 3, "the first lines");
      truncateSync(path, 0);
      appendFileSync(path, "again-1\nagain-2-longer-than-before\n");
      await until(() => t.lines.length === 5, "the lines after truncation");
      expect(t.lines.slice(3).map((l) => [l.text, l.line, l.offset])).toEqual([
        ["again-1", 1, 0],
        ["again-2-longer-than-before", 2, 8],
      ]);
      expect(t.events).toContainEqual({ type: "rotated", path, how: "truncate" });
      expect(t.events.filter((e) => e.type === "lost")).toEqual([]); // we had read everything
    } finally {
      await t.tailer.close();
    }
  });

  test("copytruncate: lines not yet read when the file was truncated are read from the copy", async () => {
    const dir = tempDir();
    const path = join(dir, "access.log");
    writeFileSync(path, "l1\n");
    let release!: () => void;
    const busy = new Promise<void>((r) => (release = r));
    // The first batch holds the follower up while logrotate copies and truncates behind its back.
    const t = follow([path], { onLines: async (batch) => { t.lines.push(...batch); await busy; } });
    try {
      await until(() => t.lines.length === 1, "the first line");
      appendFileSync(path, "l2\nl3\nl4\n");
      copyFileSync(path, `${path}.1`);
      truncateSync(path, 0);
      appendFileSync(path, "m1\nm2\n");
      release();
      await until(() => t.lines.length === 6, "the copy's lines and the new ones");
      expect(t.lines.map((l) => [l.text, l.line])).toEqual([["l1", 1], ["l2", 2], ["l3", 3], ["l4", 4], ["m1", 1], ["m2", 2]]);
      expect(t.events).toContainEqual({ type: "resumed", path, offset: 3, file: `${path}.1` });
    } finally {
      await t.tailer.close();
    }
  });

  test("rename rotation: the old inode is drained until idle while the new file is read", async () => {
    const path = join(tempDir(), "access.log");
    const fd = openSync(path, "a");
    writeSync(fd, "old-1\n");
    const t = follow([path]);
    try {
      await until(() => t.lines.length === 1, "the first line");
      renameSync(path, `${path}.1`);
      writeFileSync(path, "new-1\n");
      writeSync(fd, "old-2\n"); // nginx still writes to the old file until it reopens
      await until(() => t.lines.length === 3, "both files' lines");
      expect(t.texts().sort()).toEqual(["new-1", "old-1", "old-2"]);
      expect(t.lines.find((l) => l.text === "old-2")).toMatchObject({ line: 2, offset: 6 });
      expect(t.events).toContainEqual({ type: "rotated", path, how: "rename" });
      writeSync(fd, "cut short"); // the writer's last, unfinished line in the old file
      await until(() => t.tailer.checkpoints()[0]!.files.length === 1, "the rotated file to be let go");
      expect(t.batches.at(-1)!.files).toMatchObject([{ path, offset: 6, line: 2 }]);
      expect(t.events.filter((e) => e.type === "rejected")).toMatchObject([{ path, line: 3 }]);
    } finally {
      closeSync(fd);
      await t.tailer.close();
    }
  });

  test("waits for a file that does not exist yet; startAt end skips what is already there", async () => {
    const dir = tempDir();
    const later = join(dir, "later.log");
    const existing = join(dir, "existing.log");
    writeFileSync(existing, "old\nolder\npart");
    const t = follow([later, existing], { startAt: "end" });
    try {
      await until(() => t.events.some((e) => e.type === "opened"), "the existing file to be opened");
      expect(t.events).toContainEqual({ type: "opened", path: existing, offset: 10 });
      appendFileSync(existing, "ial\n");
      writeFileSync(later, "hello\n");
      await until(() => t.lines.length === 2, "lines of both files");
      expect(t.lines.map((l) => [l.source, l.text, l.line])).toContainEqual([later, "hello", 1]);
      expect(t.lines.map((l) => [l.source, l.text, l.line])).toContainEqual([existing, "partial", 3]);
      expect(t.events.filter((e) => e.type === "waiting")).toEqual([{ type: "waiting", path: later }]);
    } finally {
      await t.tailer.close();
    }
  });

  test("close() then a new tailFiles() with the checkpoints resumes right after the last line, even after rotations", async () => {
    const dir = tempDir();
    const path = join(dir, "access.log");
    writeFileSync(path, "a1\na2\n");
    const first = follow([path]);
    await until(() => first.lines.length === 2, "the first lines");
    await first.tailer.close();
    const checkpoints = first.tailer.checkpoints();
    expect(checkpoints).toMatchObject([{ path, files: [{ path, offset: 6, line: 3 }] }]);

    // While nobody is following: more lines, then a rename rotation.
    appendFileSync(path, "a3\n");
    renameSync(path, `${path}.1`);
    writeFileSync(path, "b1\n");
    const second = follow([path], { checkpoints });
    await until(() => second.lines.length === 2, "the lines written while away");
    expect(second.lines.map((l) => [l.text, l.line])).toEqual([["a3", 3], ["b1", 1]]);
    expect(second.events).toContainEqual({ type: "resumed", path, offset: 6, file: `${path}.1` });
    await until(() => second.tailer.checkpoints()[0]!.files.length === 1, "the rotated file to be let go");
    await second.tailer.close();

    // Again, with a copytruncate this time.
    appendFileSync(path, "b2\n");
    copyFileSync(path, `${path}.2`);
    truncateSync(path, 0);
    appendFileSync(path, "c1\n");
    const third = follow([path], { checkpoints: second.tailer.checkpoints() });
    await until(() => third.lines.length === 2, "the lines written while away");
    expect(third.lines.map((l) => [l.text, l.line])).toEqual([["b2", 2], ["c1", 1]]);
    expect(third.events).toContainEqual({ type: "resumed", path, offset: 3, file: `${path}.2` });
    await third.tailer.close();
  });

  test("a path that cannot be read is an error event, retried until it can", async () => {
    const path = join(tempDir(), "access.log");
    mkdirSync(path); // unreadable as a log whoever runs the test, root included
    const t = follow([path]);
    try {
      await until(() => t.events.some((e) => e.type === "error"), "the error event");
      rmdirSync(path);
      writeFileSync(path, "fine\n");
      await until(() => t.lines.length === 1, "the line once the path is a file");
      expect(t.events.filter((e) => e.type === "error")).toHaveLength(1); // reported once, not at every poll
      expect(t.events.map((e) => e.type)).toContain("opened");
    } finally {
      await t.tailer.close();
    }
  });

  test("lines the consumer cannot take (a full disk) are offered again, and a recovery is reported", async () => {
    const path = join(tempDir(), "access.log");
    writeFileSync(path, "one\ntwo\n");
    const taken: string[] = [];
    let refusals = 2;
    const t = follow([path], {
      onLines: (batch) => {
        if (batch.length && refusals-- > 0) throw new Error("database or disk is full");
        taken.push(...batch.map((l) => l.text));
      },
    });
    try {
      // The recovery is reported once the whole pass has ended, a little after the consumer took the lines.
      await until(() => t.events.some((e) => e.type === "recovered"), "the recovery", 20_000);
      expect(taken).toEqual(["one", "two"]);
      expect(t.events.filter((e) => e.type === "error").map((e) => "detail" in e && e.detail)).toEqual(["database or disk is full"]); // once
      expect(t.events.at(-1)).toEqual({ type: "recovered", path, following: true });
    } finally {
      await t.tailer.close();
    }
  });

  test("a wall clock set back an hour does not hold the retry back for that hour (the backoff runs on the monotonic clock)", async () => {
    const path = join(tempDir(), "access.log");
    writeFileSync(path, "one\n");
    const taken: string[] = [];
    let refusals = 1;
    const t = follow([path], {
      onLines: (batch) => {
        if (batch.length && refusals-- > 0) throw new Error("database or disk is full");
        taken.push(...batch.map((l) => l.text));
      },
    });
    try {
      await until(() => t.events.some((e) => e.type === "error"), "the refusal");
      setSystemTime(new Date(Date.now() - 60 * 60 * 1000)); // and held there: Date.now() stands still
      await until(() => taken.length === 1, "the line, retried");
      expect(taken).toEqual(["one"]);
    } finally {
      setSystemTime();
      await t.tailer.close();
    }
  });

  test("a rotated file that has disappeared is reported lost", async () => {
    const path = join(tempDir(), "access.log");
    writeFileSync(path, "new\n");
    const checkpoints = [{ path, files: [{ path, dev: 1, ino: 1, fingerprint: "0".repeat(32), offset: 10, line: 3 }] }];
    const t = follow([path], { checkpoints });
    try {
      await until(() => t.lines.length === 1, "the new file's line");
      expect(t.events.some((e) => e.type === "lost" && e.detail.includes("after line 3 (byte 10)"))).toBe(true);
    } finally {
      await t.tailer.close();
    }
  });
});

/**
 * Appends numbered lines the way nginx does (one O_APPEND descriptor, kept across a rename
 * until reopened), with logrotate's two kinds of rotation done to it.
 */
class LogWriter {
  private fd: number;
  private seq = 0;
  /** Generation of the physical file the descriptor writes into. */
  private gen = 0;
  private nextGen = 1;
  private rotated = 0;

  constructor(readonly path: string, readonly stream: string, private readonly random: () => number) {
    this.fd = openSync(path, "a");
  }

  get written(): number {
    return this.seq;
  }

  get generation(): number {
    return this.gen;
  }

  private line(): string {
    const pad = "p".repeat(Math.floor(this.random() * 300));
    const utf8 = this.random() < 0.3 ? " ua=Mozilla/5.0 (日本語; café) 🚀" : "";
    return `stream=${this.stream} seq=${++this.seq} file-gen=${this.gen}${utf8} ${pad}\n`;
  }

  async write(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const line = Buffer.from(this.line());
      if (this.random() < 0.05) {
        // Half a line, then the rest a moment later.
        const cut = Math.floor(line.length / 2);
        writeSync(this.fd, line.subarray(0, cut));
        await sleep(3);
        writeSync(this.fd, line.subarray(cut));
      } else {
        writeSync(this.fd, line);
      }
      if (i % 20 === 19) await sleep(5);
    }
  }

  /** Lines as fast as possible, for the consumer to fall behind. */
  burst(count: number): void {
    for (let i = 0; i < count; i++) writeSync(this.fd, this.line());
  }

  /** logrotate numbering: .N → .N+1, ..., then the log becomes .1 (renamed or copied). */
  private shift(): void {
    for (let n = this.rotated; n >= 1; n--) renameSync(`${this.path}.${n}`, `${this.path}.${n + 1}`);
    this.rotated++;
  }

  /** rename + create; the writer goes on into the old file until reopen(). */
  renameRotate(): void {
    this.shift();
    renameSync(this.path, `${this.path}.1`);
    writeFileSync(this.path, "");
  }

  reopen(): void {
    closeSync(this.fd);
    this.fd = openSync(this.path, "a");
    this.gen = this.nextGen++;
  }

  /** copytruncate; nginx would not pause, but logrotate's copy+truncate is racy on its own. */
  copyTruncate(): void {
    this.shift();
    copyFileSync(this.path, `${this.path}.1`);
    truncateSync(this.path, 0);
    this.gen = this.nextGen++;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** A small deterministic PRNG, so that a failure can be replayed. */
function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Row {
  source: string;
  line: number;
  offset: number;
  text: string;
}

const LINE_RE = /^stream=(\w+) seq=(\d+) file-gen=(\d+) /;

/** Every seq exactly once per stream, and each physical file's lines complete and in order. */
function checkDelivery(rows: Row[], expected: Record<string, number>): void {
  const seen = new Map<string, number[]>();
  const files = new Map<string, Row[]>();
  for (const row of rows) {
    const m = LINE_RE.exec(row.text);
    if (!m) throw new Error(`unexpected line ${JSON.stringify(row.text.slice(0, 80))}`);
    if (!seen.has(m[1]!)) seen.set(m[1]!, []);
    seen.get(m[1]!)!.push(Number(m[2]));
    const key = `stream ${m[1]} gen ${m[3]}`;
    if (!files.has(key)) files.set(key, []);
    files.get(key)!.push(row);
  }
  for (const [stream, count] of Object.entries(expected)) {
    const seqs = seen.get(stream) ?? [];
    const unique = new Set<number>();
    const duplicates: number[] = [];
    for (const seq of seqs) {
      if (unique.has(seq)) duplicates.push(seq);
      unique.add(seq);
    }
    const missing = Array.from({ length: count }, (_, i) => i + 1).filter((s) => !unique.has(s)).slice(0, 10);
    expect({ stream, duplicates: duplicates.slice(0, 10), missing, count: seqs.length }).toEqual({ stream, duplicates: [], missing: [], count });
  }
  // Within one physical file, in delivery order: line numbers 1, 2, 3... and byte offsets chained.
  for (const [key, fileRows] of files) {
    let offset = 0;
    const firstBad = fileRows.findIndex((row, i) => {
      const bad = row.line !== i + 1 || row.offset !== offset;
      offset += Buffer.byteLength(row.text) + 1;
      return bad;
    });
    expect({ key, firstBad: fileRows[firstBad] }).toEqual({ key, firstBad: undefined });
  }
}

describe("tail torture", () => {
  test("SIGKILLed consumer, both kinds of rotation, half lines: every line exactly once, in order", async () => {
    const dir = tempDir();
    const db = join(dir, "consumer.db");
    const aPath = join(dir, "access.log");
    const bPath = join(dir, "other.log"); // does not exist when tailing starts
    const random = mulberry32(20261124);
    const a = new LogWriter(aPath, "a", random);
    let b: LogWriter | null = null;
    let consumer: ReturnType<typeof Bun.spawn> | null = null;
    let kills = 0;
    const start = () => {
      consumer = Bun.spawn([process.execPath, CONSUMER, db, aPath, bPath], { stdout: "inherit", stderr: "inherit" });
    };
    const kill = async () => {
      consumer!.kill("SIGKILL");
      await consumer!.exited;
      kills++;
    };
    const reader = () => openReadonly(db);
    const count = (sql: string, ...params: string[]) => {
      if (!existsSync(db)) return 0;
      const conn = reader();
      try {
        return conn.query<{ n: number }, string[]>(sql).get(...params)?.n ?? 0;
      } catch {
        return 0; // the consumer has not created its tables yet
      } finally {
        conn.close();
      }
    };
    /** Until the consumer has stored a line of the current physical file (so its checkpoint has a fingerprint). */
    const seenCurrentFile = () => until(() => count("SELECT count(*) AS n FROM lines WHERE text LIKE ?", `stream=a seq=% file-gen=${a.generation} %`) > 0, `a line of generation ${a.generation}`);

    try {
      start();
      await a.write(3000);
      a.renameRotate();
      await a.write(800); // into the renamed file
      a.reopen();
      await a.write(2000);
      b = new LogWriter(bPath, "b", random);
      await b.write(500);
      a.burst(3000); // the follower is still reading these when the file is truncated
      a.copyTruncate();
      await a.write(2000);

      // Kill 1 in the middle of a burst, then a rename rotation while the consumer is down.
      await seenCurrentFile();
      a.burst(3000);
      await sleep(20);
      await kill();
      await a.write(1000);
      a.renameRotate();
      await a.write(500);
      await b.write(300);
      start();
      await a.write(500);
      a.reopen();
      await a.write(2000);

      // Kill 2 just after a copytruncate, before or while the follower drains the copy.
      a.burst(3000);
      a.copyTruncate();
      a.burst(1000);
      await sleep(20);
      await kill();
      await a.write(1000);
      start();
      await a.write(2000);
      await b.write(300);

      // Kill 3, then a copytruncate while the consumer is down.
      await seenCurrentFile();
      await kill();
      await a.write(1000);
      a.copyTruncate();
      await a.write(1000);
      start();
      await a.write(2000);

      // Kill 4 while a renamed file is still in its grace period.
      a.renameRotate();
      await a.write(1000);
      a.reopen();
      a.burst(2000);
      await sleep(20);
      await kill();
      await a.write(1000);
      await b.write(300);
      start();
      await a.write(2000);

      const expected = { a: a.written, b: b.written };
      // Not fatal on its own: the checks below then say which lines are missing.
      await waitFor(() => count("SELECT count(*) AS n FROM lines") >= expected.a + expected.b, 20_000);
      await sleep(500); // a few more polls: anything extra (a duplicate) would show up now
      consumer!.kill("SIGTERM");
      expect(await consumer!.exited).toBe(0);

      const conn = reader();
      const rows = conn.query<Row, []>("SELECT source, line, offset, text FROM lines ORDER BY id").all();
      const events = conn.query<{ event: string }, []>("SELECT event FROM events ORDER BY id").all().map((r) => JSON.parse(r.event) as TailEvent);
      conn.close();

      expect(kills).toBe(4);
      checkDelivery(rows, expected);
      expect(rows.filter((r) => r.source === bPath)).toHaveLength(expected.b);
      expect(events).toContainEqual({ type: "waiting", path: bPath });
      expect(events).toContainEqual({ type: "rotated", path: aPath, how: "rename" });
      expect(events).toContainEqual({ type: "rotated", path: aPath, how: "truncate" });
      expect(events.some((e) => e.type === "resumed" && e.file !== aPath)).toBe(true);
      expect(events.filter((e) => e.type === "lost" || e.type === "error")).toEqual([]);
    } finally {
      a.close();
      b?.close();
      (consumer as ReturnType<typeof Bun.spawn> | null)?.kill("SIGKILL");
    }
  }, 60_000);
});
