/**
 * The mirror's listener, on a thread of its own (listener.ts starts it). nginx reuses a kept-alive
 * connection to Moat only after Moat has answered the copy sent on it, so a copy's answer must never
 * wait behind the main thread's work (following logs, joining, storing, alert rules): this thread
 * only reads copies, answers them, and hands them over as they came, in batches; they are made into
 * requests on the main thread.
 */
import { checkCopy, MAX_TRANSIT_KIB, MIRROR_ACCEPT_BYTES, receiveCopy, TRANSIT_COPIES, TRANSIT_KIB, transitKib, type CopyRules, type ReceivedCopy } from "./copy.ts";
import { failure } from "../envelope.ts";
import type { ListenerCommand, ListenerEvent } from "./listener.ts";

declare const self: Worker;

let rules: CopyRules | null = null;
let server: ReturnType<typeof Bun.serve> | null = null;
let pending: ReceivedCopy[] = [];
let refused = 0;
let dropped = 0;
/** The keys copies came with since the last message: the main thread marks them used. */
let keysUsed = new Set<string>();
let lastRefusal = "";
/** Copies and body bytes handed over and not yet taken by the main thread (listener.ts). */
let inTransit: Int32Array | null = null;
let maxInTransit = 0;
let flushTimer: ReturnType<typeof setTimeout> | null = null;

/**
 * How long a copy may wait on this thread before it is handed over. Copies are judged out of band, so
 * a few milliseconds cost nothing, while each hand-over wakes the main thread and then the judging
 * thread: at a steady few hundred requests a second, handing each copy over alone kept Moat's threads
 * waking between nginx's requests, on the cores nginx and its application share (bench:check).
 */
const HANDOVER_MS = 20;

const send = (event: ListenerEvent) => self.postMessage(event);

function flush(): void {
  if (flushTimer) clearTimeout(flushTimer);
  flushTimer = null;
  // The bodies' buffers are moved to the main thread, not copied.
  if (pending.length || refused || dropped) self.postMessage({ type: "copies", copies: pending, refused, dropped, lastRefusal, keysUsed: [...keysUsed] } satisfies ListenerEvent, pending.map((c) => c.kept.buffer as ArrayBuffer));
  pending = [];
  keysUsed = new Set();
  refused = 0;
  dropped = 0;
}

/** One message for what arrives within HANDOVER_MS: a burst of copies, or a steady trickle, costs the main thread one message. */
function flushSoon(): void {
  flushTimer ??= setTimeout(flush, HANDOVER_MS);
}

async function answer(request: Request): Promise<Response> {
  const check = checkCopy(request, rules!);
  if ("keyHash" in check) {
    if (check.keyHash) keysUsed.add(check.keyHash);
    // While the main thread is busy, copies wait in its message queue: past the budget a copy is
    // dropped unread and counted (its log line is still stored), so memory stays bounded.
    if (Atomics.load(inTransit!, TRANSIT_COPIES) >= maxInTransit || Atomics.load(inTransit!, TRANSIT_KIB) >= MAX_TRANSIT_KIB) {
      dropped++;
      flushSoon();
      return new Response(null, { status: 204 });
    }
    const copy = await receiveCopy(request, rules!.maxBodyBytes, Date.now());
    Atomics.add(inTransit!, TRANSIT_COPIES, 1);
    Atomics.add(inTransit!, TRANSIT_KIB, transitKib(copy));
    pending.push(copy);
    flushSoon();
    return new Response(null, { status: 204 });
  }
  const { refusal } = check;
  refused++;
  lastRefusal = `${refusal.status}: ${refusal.message}`;
  flushSoon();
  return Response.json(failure(refusal.message), { status: refusal.status });
}

self.onmessage = (event: MessageEvent<ListenerCommand>) => {
  const command = event.data;
  if (command.type === "keys") {
    if (rules) rules.keyHashes = command.keyHashes ? new Set(command.keyHashes) : null;
    return;
  }
  if (command.type === "stop") {
    void server?.stop(true);
    server = null;
    flush();
    send({ type: "stopped" });
    return;
  }
  rules = { maxBodyBytes: command.maxBodyBytes, hosts: command.hosts, keyHashes: command.keyHashes ? new Set(command.keyHashes) : null };
  inTransit = command.inTransit;
  maxInTransit = command.maxInTransit;
  try {
    server = Bun.serve({
      hostname: command.host,
      port: command.port,
      reusePort: false,
      maxRequestBodySize: MIRROR_ACCEPT_BYTES,
      fetch: answer,
      error: (e) => {
        refused++;
        lastRefusal = `400: cannot read the copy: ${e.message}`;
        flushSoon();
        return Response.json(failure(`cannot read the copy: ${e.message}`), { status: 400 });
      },
    });
    send({ type: "listening", port: server.port ?? command.port });
  } catch (e) {
    send({ type: "failed", error: (e as Error).message });
  }
};
