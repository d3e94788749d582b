/**
 * Where a hub stores what its agents send (POST /api/agent/batches). On SQLite, in the hub's own
 * thread: one file has one writer. On PostgreSQL, on STORING_THREADS threads with a connection each:
 * a thread that stores waits for each of PostgreSQL's answers, and a hub that stored on its main
 * thread left half of two cores idle (the hub's thread and PostgreSQL's backend taking turns), so
 * one hub took about 40,000 lines/s where two hubs on the same database took 58,000 or more
 * (docs/benchmarks.md, bench:hub). Batches are stored exactly once either way: each thread's
 * transaction records its batches' (agent, run, seq) as the main thread's did, and PostgreSQL orders
 * two transactions that reach one cursor.
 */
import { Worker } from "node:worker_threads";
import type { WireEntry } from "../core/agent-wire.ts";
import { workerModule } from "../core/worker-module.ts";
import type { Store } from "../store/db.ts";
import { StoreWriter } from "../store/writer.ts";
import { AgentBatchError, storeAgentBatches, type StoredAgentBatches } from "./agents.ts";

export interface AgentBatchStore {
  /** Stores an agent's entries; an AgentBatchError when they are malformed (the agent's 400). */
  store(agent: string, entries: WireEntry[], now: number): Promise<StoredAgentBatches>;
  close(): Promise<void>;
}

export interface BatchTask {
  id: number;
  agent: string;
  entries: WireEntry[];
  now: number;
}

export type BatchTaskAnswer = { id: number; ok: true; result: StoredAgentBatches } | { id: number; ok: false; refused: string } | { id: number; ok: false; error: string };

/** Two: PostgreSQL then has a transaction to work on while the other thread waits, and more only queue behind the database on a small machine. */
const STORING_THREADS = 2;
const WORKER = workerModule(import.meta.url, "src/services/agent-batch-worker.ts");
const CLOSE_WAIT_MS = 5_000;

/** The store of agents' batches for a hub on `store`; `url` is its database's (with the password, for the threads' connections). */
export function agentBatchStore(store: Store, url: string): AgentBatchStore {
  if (store.dialect === "postgres") return new ThreadedBatchStore(url, STORING_THREADS);
  const writer = new StoreWriter(store);
  return {
    store: async (agent, entries, now) => storeAgentBatches(store, writer, agent, entries, now),
    close: async () => {},
  };
}

interface StoringThread {
  worker: Worker;
  pending: Map<number, { resolve(r: StoredAgentBatches): void; reject(e: Error): void }>;
}

class ThreadedBatchStore implements AgentBatchStore {
  private readonly threads: (StoringThread | null)[];
  private nextId = 1;

  constructor(
    private readonly url: string,
    size: number,
  ) {
    this.threads = Array.from({ length: size }, () => null);
  }

  store(agent: string, entries: WireEntry[], now: number): Promise<StoredAgentBatches> {
    const thread = this.leastBusy();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage(JSON.stringify({ id, agent, entries, now } satisfies BatchTask));
    });
  }

  /** The thread with the fewest batches waiting, started when it is not running. */
  private leastBusy(): StoringThread {
    let best = 0;
    for (let i = 0; i < this.threads.length; i++) {
      const t = this.threads[i];
      if (!t) {
        best = i;
        break;
      }
      if (t.pending.size < this.threads[best]!.pending.size) best = i;
    }
    return (this.threads[best] ??= this.start(best));
  }

  private start(slot: number): StoringThread {
    const module = WORKER;
    const worker = new Worker(module.startsWith("file:") ? new URL(module) : module, { workerData: { url: this.url } });
    const thread: StoringThread = { worker, pending: new Map() };
    worker.on("message", (m: string | { type: "closed" }) => {
      if (typeof m !== "string") return;
      const a = JSON.parse(m) as BatchTaskAnswer;
      const waiting = thread.pending.get(a.id);
      if (!waiting) return;
      thread.pending.delete(a.id);
      if (a.ok) waiting.resolve(a.result);
      else waiting.reject("refused" in a ? new AgentBatchError(a.refused) : new Error(a.error));
    });
    // A thread that dies fails what it held (the agents send those batches again) and is started anew for the next.
    const lost = (why: string) => {
      if (this.threads[slot] === thread) this.threads[slot] = null;
      for (const w of thread.pending.values()) w.reject(new Error(`the thread storing agents' batches stopped: ${why}`));
      thread.pending.clear();
    };
    worker.on("error", (e: Error) => lost(e.message));
    worker.on("exit", (code) => lost(`exit code ${code}`));
    return thread;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.threads.map(async (thread, slot) => {
        if (!thread) return;
        this.threads[slot] = null;
        const closed = new Promise<void>((resolve) => {
          thread.worker.on("message", (m: { type?: string }) => m.type === "closed" && resolve());
          setTimeout(resolve, CLOSE_WAIT_MS).unref?.();
        });
        thread.worker.postMessage({ type: "close" });
        await closed;
        await thread.worker.terminate();
      }),
    );
  }
}
