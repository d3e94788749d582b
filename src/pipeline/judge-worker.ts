/**
 * The models on a thread of their own, for the mirror (see worker-judge.ts): nginx waits for Moat's
 * answer to each copy before it reuses the client's connection, so the thread that answers must never
 * be busy judging. This worker holds a second Detector and follows the service's: each batch carries
 * the threshold setting and the live site model's version, and a different version is loaded first.
 */
import { setPriority } from "node:os";
import { workerData } from "node:worker_threads";
import { Detector } from "../detect/detector.ts";
import { siteChange, type JudgeReply, type JudgeRequest, type JudgeWorkerData } from "./worker-judge.ts";

declare const self: Worker;

// The thread's niceness, set before its first batch (on Linux a thread's own: the listener that
// answers nginx and the service's main thread keep theirs). Judging is out of band, so when the cores
// are busy it is what should wait: nginx holds a client's connection until its copy is answered.
try {
  setPriority((workerData as JudgeWorkerData).niceness);
} catch {
  // A platform that refuses keeps the thread as it was: judging still works, only its priority does not change.
}

let detector: Promise<Detector> = Detector.load();
/**
 * The site model version last asked for. Each is loaded once, whatever comes of it: a file that fails
 * to load, or holds another version than the service's, is not read again before every batch.
 */
let asked: string | null = null;

async function follow(request: JudgeRequest): Promise<Detector> {
  let current = await detector;
  const wanted = request.site?.version ?? null;
  const change = wanted === asked ? "keep" : siteChange(current.site?.meta.version ?? null, request.site);
  asked = wanted;
  if (change !== "keep") {
    const previous = current;
    const next = change === "replace-site" ? current.replaceSite(request.site!.dir).then(() => current) : Detector.load();
    // A model that cannot be loaded leaves the one in use (the service keeps its own the same way).
    detector = next.catch(() => previous);
    current = await detector;
  }
  current.setThreshold(request.threshold);
  return current;
}

self.onmessage = async (event: MessageEvent<JudgeRequest>) => {
  const request = event.data;
  let reply: JudgeReply;
  try {
    reply = { id: request.id, verdicts: await (await follow(request)).judge(request.requests) };
  } catch (e) {
    reply = { id: request.id, error: (e as Error).message };
  }
  postMessage(reply);
};
