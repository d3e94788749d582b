/**
 * A consumer for the tail torture test, built the way Moat must use the follower: every batch of
 * lines and the checkpoint that comes with it go into SQLite in one transaction, and a restart
 * resumes from the checkpoints stored there. The test SIGKILLs it at will.
 *
 *   bun test/helpers/tail-consumer.ts <db> <path>...
 */
import { Database } from "bun:sqlite";
import { tailFiles, type TailCheckpoint } from "../../src/ingest/tail.ts";
import type { SourceLine } from "../../src/core/source-line.ts";

const [dbPath, ...paths] = process.argv.slice(2);
if (!dbPath || !paths.length) throw new Error("usage: tail-consumer.ts <db> <path>...");

const db = new Database(dbPath, { create: true });
db.exec("PRAGMA journal_mode = WAL");
db.exec("PRAGMA busy_timeout = 5000");
db.exec(`
  CREATE TABLE IF NOT EXISTS lines (id INTEGER PRIMARY KEY, source TEXT NOT NULL, line INTEGER NOT NULL, offset INTEGER NOT NULL, text TEXT NOT NULL, too_long INTEGER);
  CREATE TABLE IF NOT EXISTS checkpoints (path TEXT PRIMARY KEY, state TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, pid INTEGER NOT NULL, event TEXT NOT NULL);
`);

const insertLine = db.prepare("INSERT INTO lines (source, line, offset, text, too_long) VALUES (?, ?, ?, ?, ?)");
const saveCheckpoint = db.prepare("INSERT INTO checkpoints (path, state) VALUES (?, ?) ON CONFLICT (path) DO UPDATE SET state = excluded.state");
const logEvent = db.prepare("INSERT INTO events (pid, event) VALUES (?, ?)");

const commit = db.transaction((lines: SourceLine[], checkpoint: TailCheckpoint) => {
  for (const l of lines) insertLine.run(l.source, l.line, l.offset, l.text, l.tooLong ?? null);
  saveCheckpoint.run(checkpoint.path, JSON.stringify(checkpoint));
});

const checkpoints = db.query<{ state: string }, []>("SELECT state FROM checkpoints").all().map((r) => JSON.parse(r.state) as TailCheckpoint);

const tailer = tailFiles({
  paths,
  checkpoints,
  onLines: (lines, checkpoint) => commit(lines, checkpoint),
  onEvent: (e) => logEvent.run(process.pid, JSON.stringify(e)),
  pollIntervalMs: 100,
  rotatedGraceMs: 1000,
});

process.on("SIGTERM", async () => {
  await tailer.close();
  db.close();
  process.exit(0);
});
