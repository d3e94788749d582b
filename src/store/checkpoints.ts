/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside whichever commit
 * crosses its threshold, copying megabytes into the database file while every request waits: under
 * load it was half of `/check`'s p99. The serving database turns it off, and a worker thread with a
 * connection of its own runs a PASSIVE checkpoint every second, which never blocks the writer.
 *
 * If the worker fails, the connection goes back to automatic checkpoints: the WAL never grows
 * without bound. The worker's source is inline (a Blob URL) so that the single binary needs no
 * extra entry point.
 */
import { statSync } from "node:fs";
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

/** SQLite's default: checkpoint when the WAL reaches 1000 pages. */
const AUTO_CHECKPOINT_PAGES = 1000;
/** A WAL that has been checkpointed is truncated back to this size when it restarts. */
const WAL_SIZE_LIMIT_BYTES = 16 * 2 ** 20;
/**
 * A WAL only restarts from its beginning when a checkpoint has caught up with the writer; under
 * sustained full-speed ingestion that moment may not come. Past this size the writer's own
 * connection runs a RESTART checkpoint (quick: the worker has already copied most of the frames).
 */
const WAL_RESTART_BYTES = 256 * 2 ** 20;
const WAL_WATCH_MS = 5_000;

export interface BackgroundCheckpoints {
  stop(): void;
}

export function startBackgroundCheckpoints(store: Store, onError: (message: string) => void, intervalMs = 1000): BackgroundCheckpoints {
  if (store.path === ":memory:") return { stop() {} };
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "application/javascript" }));
  const worker = new Worker(url);
  const fallBack = (message: string) => {
    store.sqlite.exec(`PRAGMA wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
    worker.terminate();
    onError(message);
  };
  worker.onmessage = ({ data }) => fallBack(`background WAL checkpoints failed (${data.error}); back to automatic checkpoints`);
  worker.onerror = (e) => fallBack(`the checkpoint worker failed (${e.message}); back to automatic checkpoints`);
  store.sqlite.exec(`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  store.sqlite.exec("PRAGMA wal_autocheckpoint = 0");
  worker.postMessage({ path: store.path, intervalMs });
  const watch = setInterval(() => {
    try {
      if ((statSync(`${store.path}-wal`, { throwIfNoEntry: false })?.size ?? 0) > WAL_RESTART_BYTES) store.sqlite.exec("PRAGMA wal_checkpoint(RESTART)");
    } catch (e) {
      onError(`cannot restart the WAL of ${store.path}: ${(e as Error).message} (it will be retried)`);
    }
  }, WAL_WATCH_MS);
  watch.unref();
  return {
    stop() {
      clearInterval(watch);
      worker.terminate();
      URL.revokeObjectURL(url);
      store.sqlite.exec(`PRAGMA wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
    },
  };
}
