/**
 * `moat train`: learns a site model from the site's own traffic.
 *
 * 1. The generic model screens the traffic; requests it flags are left out, so a few percent of
 *    attacks in the logs do not become "normal".
 * 2. The rest is split by content: 70% builds the profile, 15% trains the scorer, 15% calibrates it.
 *    The request's content decides its side, so copies of one request all land on the same side;
 *    the scorer and calibration shares keep each distinct request once (a page fetched a thousand
 *    times is one example, not a thousand that the threshold would be calibrated on).
 * 3. The scorer learns real requests (label 0) against synthetic attacks made from the same requests:
 *    payloads injected into their parameters, and departures such as over-long values, broken types,
 *    unknown parameters and backup-file probes (label 1).
 * 4. The threshold is set for the target false-positive rate on the calibration share.
 * 5. The model written carries the profile of all the screened traffic: the scorer and the figures
 *    were made against the profile share alone, so they describe requests the profile had not seen,
 *    and a page whose every copy fell on the scorer side is still a known page in production.
 */
import type { HttpRequest } from "../../core/http-request.ts";
import { rng } from "../../core/random.ts";
import { splitPoint } from "../corpus/sample.ts";
import { grammarPayloads } from "../corpus/grammar.ts";
import type { GenericModel } from "../../detect/generic/model.ts";
import { withProof } from "../../detect/generic/proof.ts";
import { thresholdForFpr } from "../eval/metrics.ts";
import { exportDenseLogisticOnnx } from "../../detect/onnx/dense.ts";
import { SITE_FEATURES, siteFeatures } from "../../detect/site/features.ts";
import { trainLogistic } from "./logistic.ts";
import { anomalize, injectPayload } from "./mutate.ts";
import { ProfileBuilder, type SiteProfile } from "../../detect/site/profile.ts";
import { Reservoir } from "../../detect/site/reservoir.ts";
import { fuseScores } from "../../detect/site/fusion.ts";
import { runningLineage, SITE_META_KEY, SITE_PROFILE_KEY, SiteModel, type SiteMetadata } from "../../detect/site/model.ts";

/** The false-positive rate a site model's threshold is calibrated to unless told otherwise (`moat train`, the retrain job). */
export const SITE_TARGET_FPR = 0.001;

export interface SiteTrainOptions {
  targetFpr: number;
  seed: number;
  /** Payloads to inject; defaults to the project's grammar. */
  payloads?: string[];
  /**
   * Requests that only enter the profile written (the regression gate's held-out share): the
   * scorer, the threshold and the figures never see them, and they are not counted.
   */
  profileOnly?(request: HttpRequest): boolean;
  progress?(stage: string, detail?: string): void;
}

export interface SiteTrainResult {
  bytes: Uint8Array;
  meta: SiteMetadata;
}

const BATCH = 2048;

async function* chunks<T>(items: T[], size: number): AsyncGenerator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

async function genericScores(generic: GenericModel, requests: HttpRequest[]): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < requests.length; i += BATCH) {
    const batch = requests.slice(i, i + BATCH);
    // The score the detector gives (with an analyzer's proof under it), which the site model is fed at run time.
    out.push(...(await generic.scoreRequests(batch)).map((s) => withProof(s, generic.meta.threshold, generic.classes).score));
  }
  return out;
}

/**
 * What a request is to the site model, for splitting traffic by content: what it asks for, not who
 * sent it when (client, time, log line) nor header values that change per visitor (cookies, agents).
 */
export function requestKey(r: HttpRequest): string {
  return JSON.stringify([r.method, r.path, r.query, r.body ?? ""]);
}

export type SiteSide = "profile" | "scorer" | "calibration";

/** Which share of the training a request goes to: by its content alone, so every copy of it goes to the same one. */
export function sideOf(r: HttpRequest): SiteSide {
  const p = splitPoint(requestKey(r));
  return p < 0.7 ? "profile" : p < 0.85 ? "scorer" : "calibration";
}

/** Distinct requests tracked at most (about 30 MB); past that, a copy of an untracked request passes as new. */
const MAX_TRACKED = 500_000;

/** Says whether a request was seen before, by a 52-bit hash of its key (a collision drops one request: harmless). */
export function distinctRequests(): (r: HttpRequest) => boolean {
  const seen = new Set<number>();
  return (r) => {
    const h = Number(BigInt.asUintN(52, BigInt(Bun.hash(requestKey(r)))));
    if (seen.has(h)) return false;
    if (seen.size < MAX_TRACKED) seen.add(h);
    return true;
  };
}

/** Synthetic attacks from real requests: 60% payload injections, 40% payload-free departures. */
function synthesize(requests: HttpRequest[], payloads: string[], seed: number): HttpRequest[] {
  const r = rng(seed);
  return requests.map((req) => (r() < 0.6 ? injectPayload(r, req, payloads[Math.floor(r() * payloads.length)]!) : anomalize(r, req)));
}

/** How much more a real request weighs than a synthetic attack when the scorer learns: a false alarm costs more than a missed synthetic. */
const REAL_WEIGHT = 4;
/**
 * The lowest threshold a calibration may set: where the scorer finds a request as likely synthetic
 * as real (its 0.5 once the weights are taken out).
 */
const MIN_THRESHOLD = 1 / (1 + REAL_WEIGHT);

/** Most requests kept for training the scorer and for calibration: enough for a 0.1% FPR, bounded memory. */
const MAX_SCORER_REQUESTS = 20_000;
const MAX_CALIBRATION_REQUESTS = 20_000;

/**
 * Trains from a stream of request batches in bounded memory: the profile is accumulated as the
 * traffic streams by; only bounded samples of the scorer and calibration shares are kept.
 */
export async function trainSiteModel(traffic: AsyncIterable<HttpRequest[]> | HttpRequest[], generic: GenericModel, options: SiteTrainOptions): Promise<SiteTrainResult> {
  const { progress } = options;
  const random = rng(options.seed);
  const builder = new ProfileBuilder();
  const everything = new ProfileBuilder();
  const scorerSample = new Reservoir<HttpRequest>(MAX_SCORER_REQUESTS, random);
  const calibrationSample = new Reservoir<HttpRequest>(MAX_CALIBRATION_REQUESTS, random);
  const isNew = distinctRequests();
  let total = 0;
  let dropped = 0;
  let duplicates = 0;
  let profileRequests = 0;
  const batches = Array.isArray(traffic) ? chunks(traffic, BATCH) : traffic;
  for await (const batch of batches) {
    // The generic model screens the traffic: what it flags is left out of "normal".
    const scores = await genericScores(generic, batch);
    batch.forEach((req, i) => {
      const attack = scores[i]! >= generic.meta.threshold;
      if (!attack) everything.add(req);
      if (options.profileOnly?.(req)) return;
      total++;
      if (attack) {
        dropped++;
        return;
      }
      const side = sideOf(req);
      if (side === "profile") {
        builder.add(req);
        profileRequests++;
      } else if (!isNew(req)) duplicates++;
      else (side === "scorer" ? scorerSample : calibrationSample).add(req);
    });
    progress?.("read", `${total} requests, ${dropped} left out as attacks`);
  }
  if (total < 200) throw new Error(`only ${total} requests: a site model needs at least 200 (a few thousand is better)`);
  const scorerPart = scorerSample.items;
  const calibrationPart = calibrationSample.items;
  progress?.("profile", `${profileRequests} requests`);
  const profile: SiteProfile = builder.build();

  const payloads = options.payloads?.length ? options.payloads : grammarPayloads(4000, options.seed).map((p) => p.payload);
  const positives = synthesize(scorerPart, payloads, options.seed);
  progress?.("scorer", `${scorerPart.length} real vs ${positives.length} synthetic requests`);
  const featuresOf = async (reqs: HttpRequest[]) => {
    const g = await genericScores(generic, reqs);
    return reqs.map((req, i) => siteFeatures(profile, req, g[i]!).vector);
  };
  const X = [...(await featuresOf(scorerPart)), ...(await featuresOf(positives))];
  const y = Uint8Array.from(X.map((_, i) => (i < scorerPart.length ? 0 : 1)));
  const weight = Float32Array.from(X.map((_, i) => (i < scorerPart.length ? REAL_WEIGHT : 1)));
  const scorer = await trainLogistic(X, y, weight);

  progress?.("calibrate", `${calibrationPart.length} held-out requests`);
  const shippedProfile = everything.build();
  const meta: SiteMetadata = {
    kind: "site",
    version: `site-${new Date().toISOString().replace(/[:.]/g, "-")}`,
    features: [...SITE_FEATURES],
    threshold: 0.5,
    targetFpr: options.targetFpr,
    ...runningLineage(generic),
    trainedAt: new Date().toISOString(),
    calibration: {
      trainingRequests: total,
      droppedAsAttacks: dropped,
      duplicates,
      profileRequests,
      endpoints: Object.keys(shippedProfile.endpoints).length,
      scorerNegatives: scorerPart.length,
      scorerPositives: positives.length,
      calibrationRequests: calibrationPart.length,
      calibrationFpr: 0,
      syntheticTpr: 0,
    },
  };
  const encode = (m: SiteMetadata, p: SiteProfile) => exportDenseLogisticOnnx(scorer, { [SITE_META_KEY]: JSON.stringify(m), [SITE_PROFILE_KEY]: JSON.stringify(p) });
  const provisional = await SiteModel.fromBytes(encode(meta, profile));
  const scoreAll = async (reqs: HttpRequest[]) => (await provisional.score(reqs, await genericScores(generic, reqs))).map((s) => s.score);
  const calibrationScores = await scoreAll(calibrationPart);
  // Where few held-out requests depart at all, the FPR target alone would flag any departure, however
  // slight: a departure is an anomaly only when the scorer finds it at least as likely synthetic as real.
  meta.threshold = Math.max(MIN_THRESHOLD, thresholdForFpr(calibrationScores, options.targetFpr));
  meta.calibration.calibrationFpr = calibrationScores.filter((s) => s >= meta.threshold).length / Math.max(1, calibrationScores.length);
  // Detection as the detector will judge: the generic model's flag or the site model's (fusion.ts).
  const heldOutSynthetic = synthesize(calibrationPart, payloads, options.seed + 1);
  const syntheticGeneric = await genericScores(generic, heldOutSynthetic);
  const syntheticSite = await provisional.score(heldOutSynthetic, syntheticGeneric);
  const caught = syntheticSite.filter((s, i) => fuseScores({ score: syntheticGeneric[i]!, threshold: generic.meta.threshold, attackType: "attack" }, { score: s.score, threshold: meta.threshold }).isAnomaly);
  meta.calibration.syntheticTpr = caught.length / Math.max(1, heldOutSynthetic.length);
  return { bytes: encode(meta, shippedProfile), meta };
}
