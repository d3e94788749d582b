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
import type { Store } from "./db.ts";

const WORKER_SOURCE = `
import { Database } from "bun:sqlite";
self.onmessage = ({ data }) => {
  try {
    const db = new Database(data.path);
    db.exec("PRAGMA busy_timeout = 1000");
    setInterval(() => {
      try {
        db.query("PRAGMA wal_checkpoint(PASSIVE)").get();
      } catch (e) {
        postMessage({ error: String(e && e.message || e) });
      }
    }, data.intervalMs);
  } catch (e) {
    postMessage({ error: String(e && e.message || e) });
  }
};
`;

/** A WAL that grew under a burst is truncated back to this size when it restarts. */
const WAL_SIZE_LIMIT_BYTES = 16 * 2 ** 20;
/** The writer's own checkpoint threshold: 2000 pages (8 MB) instead of SQLite's 1000. */
const WRITER_CHECKPOINT_PAGES = 2000;

export interface BackgroundCheckpoints {
  stop(): void;
}

export function startBackgroundCheckpoints(store: Store, onError: (message: string) => void, intervalMs = 25): BackgroundCheckpoints {
  if (store.path === ":memory:") return { stop() {} };
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "application/javascript" }));
  const worker = new Worker(url);
  const stop = () => {
    worker.terminate();
    URL.revokeObjectURL(url);
  };
  const fail = (message: string) => {
    stop();
    onError(`background WAL checkpoints stopped (${message}); SQLite's own checkpoints carry on`);
  };
  worker.onmessage = ({ data }) => fail(data.error);
  worker.onerror = (e) => fail(e.message);
  store.sqlite.exec(`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  store.sqlite.exec(`PRAGMA wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`);
  worker.postMessage({ path: store.path, intervalMs });
  return { stop };
}
