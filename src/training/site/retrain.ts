/**
 * Retraining with a regression gate. A candidate site model is trained on recent traffic judged
 * benign; before it replaces the live model it must do no worse on what neither saw: no higher
 * false-positive rate on held-out recent traffic, and no lower detection rate on an attack corpus
 * (payloads injected into those held-out requests). promote() in model-dir.ts installs it, keeping
 * the replaced model for rollback.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { HttpRequest } from "../../core/http-request.ts";
import { rng } from "../../core/random.ts";
import { splitPoint } from "../corpus/sample.ts";
import { grammarPayloads } from "../corpus/grammar.ts";
import { Detector } from "../../detect/detector.ts";
import type { GenericModel } from "../../detect/generic/model.ts";
import { injectPayload } from "./mutate.ts";
import { IncompatibleSiteModel, runningLineage, SiteModel, type SiteLineage } from "../../detect/site/model.ts";
import { distinctRequests, requestKey, trainSiteModel, type SiteTrainOptions, type SiteTrainResult } from "./train.ts";

/** Share of the recent traffic held out from the candidate, for the gate. */
const GATE_SHARE = 0.1;
const MAX_GATE_REQUESTS = 20_000;

export interface GateSide {
  version: string;
  fpr: number;
  tpr: number;
}

export interface GateReport {
  pass: boolean;
  heldOut: number;
  attacks: number;
  live: GateSide | null;
  candidate: GateSide;
  /** Why it failed, for a person. */
  failures: string[];
}

async function rates(detector: Detector, heldOut: HttpRequest[], attacks: HttpRequest[]): Promise<GateSide> {
  const flagged = async (reqs: HttpRequest[]) => {
    let n = 0;
    for (let i = 0; i < reqs.length; i += 2048) n += (await detector.judge(reqs.slice(i, i + 2048))).filter((v) => v.isAnomaly).length;
    return n;
  };
  return { version: detector.modelVersion, fpr: (await flagged(heldOut)) / Math.max(1, heldOut.length), tpr: (await flagged(attacks)) / Math.max(1, attacks.length) };
}

export function gateVerdict(live: GateSide | null, candidate: GateSide): { pass: boolean; failures: string[] } {
  const failures: string[] = [];
  if (live) {
    if (candidate.fpr > live.fpr) failures.push(`false-positive rate on held-out recent traffic rose from ${(live.fpr * 100).toFixed(3)}% to ${(candidate.fpr * 100).toFixed(3)}%`);
    if (candidate.tpr < live.tpr) failures.push(`detection rate on the attack corpus fell from ${(live.tpr * 100).toFixed(2)}% to ${(candidate.tpr * 100).toFixed(2)}%`);
  }
  return { pass: failures.length === 0, failures };
}

export interface RetrainOptions extends SiteTrainOptions {
  /** The live model directory (site.onnx), if there is one. */
  liveDir?: string;
}

export interface RetrainResult {
  trained: SiteTrainResult;
  gate: GateReport;
}

/** The live model, or null when it was trained on another generic model or featurizer: its scores would mean nothing next to the candidate's. */
async function liveToCompare(file: string, running: SiteLineage): Promise<SiteModel | null> {
  try {
    return await SiteModel.fromFile(file, running);
  } catch (e) {
    if (e instanceof IncompatibleSiteModel) return null;
    throw e;
  }
}

/**
 * Trains a candidate on `recent` minus a held-out share, and gates it against the live model.
 * Does not touch the model directory: `promote` does, when the caller decides to.
 */
export async function retrainWithGate(recent: AsyncIterable<HttpRequest[]> | HttpRequest[], generic: GenericModel, options: RetrainOptions): Promise<RetrainResult> {
  const heldOut: HttpRequest[] = [];
  const isNew = distinctRequests();
  // By content, as in training: every copy of a held-out request is held out. The candidate's
  // profile still learns them (a page whose every copy is held out must not be unknown to every
  // model retrained from now on); its scorer and threshold do not. The live model has seen such
  // pages too, so the two compare on an equal footing.
  const inGateShare = (req: HttpRequest) => splitPoint(`gate#${requestKey(req)}`) < GATE_SHARE;
  async function* training(): AsyncGenerator<HttpRequest[]> {
    for await (const batch of Array.isArray(recent) ? [recent] : recent) {
      for (const req of batch) if (inGateShare(req) && heldOut.length < MAX_GATE_REQUESTS && isNew(req)) heldOut.push(req);
      yield batch;
    }
  }
  const trained = await trainSiteModel(training(), generic, { ...options, profileOnly: inGateShare });
  const r = rng(options.seed + 99);
  const payloads = options.payloads?.length ? options.payloads : grammarPayloads(2000, options.seed + 99).map((p) => p.payload);
  const attacks = heldOut.map((req) => injectPayload(r, req, payloads[Math.floor(r() * payloads.length)]!));

  const candidate = await rates(Detector.fromModels(generic, await SiteModel.fromBytes(trained.bytes)), heldOut, attacks);
  const liveFile = options.liveDir && join(options.liveDir, "site.onnx");
  const liveModel = liveFile && existsSync(liveFile) ? await liveToCompare(liveFile, runningLineage(generic)) : null;
  const live = liveModel ? await rates(Detector.fromModels(generic, liveModel), heldOut, attacks) : null;
  return { trained, gate: { ...gateVerdict(live, candidate), heldOut: heldOut.length, attacks: attacks.length, live, candidate } };
}
