/**
 * WAL checkpoints mostly off the event loop. SQLite's automatic checkpoint runs inside whichever
 * commit crosses its threshold, copying the WAL into the database file while every request waits:
 * under load it was half of `/check`'s p99. A worker thread with a connection of its own runs a
 * PASSIVE checkpoint every few tens of milliseconds, and the writer's automatic checkpoint comes due
 * less often (every WRITER_CHECKPOINT_PAGES), so that when it does there is little left to copy (or
 * the worker holds the checkpoint and the writer skips it).
 *
 * The automatic checkpoint stays on: it is what restarts the WAL from its beginning (a checkpoint
 * that has caught up with the writer, followed by the writer's next commit), so the WAL stays small
 * however long the load lasts, and nothing depends on the worker being alive. The worker's source is
 * inline (a Blob URL) so that the single binary needs no extra entry point.
 */
import type { Logger } from "../core/log.ts";
import type { Store } from "./db.ts";

const WORKER_SOURCE = `
import { Database } from "bun:sqlite";
self.onmessage = ({ data }) => {
  let db;
  try {
    db = new Database(data.path);
    db.exec("PRAGMA busy_timeout = 1000");
  } catch (e) {
    postMessage({ stopped: String(e && e.message || e) });
    return;
  }
  // A failing checkpoint (a full disk) is reported once, and again when it works once more.
  let failing = "";
  setInterval(() => {
    try {
      db.query("PRAGMA wal_checkpoint(PASSIVE)").get();
      if (failing) postMessage({ resumed: true });
      failing = "";
    } catch (e) {
      const message = String(e && e.message || e);
      if (message !== failing) postMessage({ failing: message });
      failing = message;
    }
  }, data.intervalMs);
};
`;

/** A WAL that grew under a burst is truncated back to this size when it restarts. */
const WAL_SIZE_LIMIT_BYTES = 16 * 2 ** 20;
/** The writer's own checkpoint threshold: 2000 pages (8 MB) instead of SQLite's 1000. */
const WRITER_CHECKPOINT_PAGES = 2000;

export interface BackgroundCheckpoints {
  stop(): void;
}

export function startBackgroundCheckpoints(store: Store, report: Pick<Logger, "warn" | "info">, intervalMs = 25): BackgroundCheckpoints {
  // PostgreSQL checkpoints itself; an in-memory SQLite has no log.
  const { sqlite } = store;
  if (!sqlite || store.path === ":memory:") return { stop() {} };
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "application/javascript" }));
  const worker = new Worker(url);
  const stop = () => {
    worker.terminate();
    URL.revokeObjectURL(url);
  };
  const fail = (message: string) => {
    stop();
    report.warn(`background WAL checkpoints stopped (${message}); SQLite's own checkpoints carry on`);
  };
  worker.onmessage = ({ data }: MessageEvent<{ stopped?: string; failing?: string; resumed?: true }>) => {
    if (data.stopped) fail(data.stopped);
    else if (data.failing) report.warn(`background WAL checkpoint failed (${data.failing}); retrying`);
    else if (data.resumed) report.info("background WAL checkpoints work again");
  };
  worker.onerror = (e) => fail(e.message);
  sqlite.exec(`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  sqlite.exec(`PRAGMA wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`);
  worker.postMessage({ path: store.path, intervalMs });
  return { stop };
}
