/**
 * A thread that stores agents' batches in a PostgreSQL connection of its own, for a hub's
 * AgentBatchStore (agent-batch-store.ts): one batch at a time, each in its own transaction, as the
 * hub's main thread would, while that thread goes on reading the next agents' requests.
 */
import { parentPort, workerData } from "node:worker_threads";
import { openStore } from "../store/db.ts";
import { StoreWriter } from "../store/writer.ts";
import { AgentBatchError, storeAgentBatches } from "./agents.ts";
import type { BatchTask, BatchTaskAnswer } from "./agent-batch-store.ts";

const { url } = workerData as { url: string };
let opened: { store: ReturnType<typeof openStore>; writer: StoreWriter } | null = null;

function answer(task: BatchTask): BatchTaskAnswer {
  try {
    if (!opened) {
      const store = openStore(url);
      opened = { store, writer: new StoreWriter(store) };
    }
    return { id: task.id, ok: true, result: storeAgentBatches(opened.store, opened.writer, task.agent, task.entries, task.now) };
  } catch (e) {
    const message = (e as Error).message ?? String(e);
    return e instanceof AgentBatchError ? { id: task.id, ok: false, refused: message } : { id: task.id, ok: false, error: message };
  }
}

parentPort!.on("message", (message: string | { type: "close" }) => {
  if (typeof message !== "string") {
    opened?.store.close();
    opened = null;
    parentPort!.postMessage({ type: "closed" });
    return;
  }
  parentPort!.postMessage(JSON.stringify(answer(JSON.parse(message) as BatchTask)));
});
