/**
 * `moat train`: learns a site model from the site's own traffic.
 *
 * 1. The generic model screens the traffic; requests it flags are left out, so a few percent of
 *    attacks in the logs do not become "normal".
 * 2. The rest is split by content: 70% builds the profile, 15% trains the scorer, 15% calibrates it.
 * 3. The scorer learns real requests (label 0) against synthetic attacks made from the same requests:
 *    payloads injected into their parameters, and departures such as over-long values, broken types,
 *    unknown parameters and backup-file probes (label 1).
 * 4. The threshold is set for the target false-positive rate on the calibration share.
 */
import type { HttpRequest } from "../../core/http-request.ts";
import { splitPoint, rng } from "../corpus/sample.ts";
import { grammarPayloads } from "../corpus/grammar.ts";
import { extractFields } from "../fields.ts";
import type { GenericModel } from "../generic/model.ts";
import { thresholdForFpr } from "../eval/metrics.ts";
import { exportDenseLogisticOnnx } from "../onnx/dense.ts";
import { SITE_FEATURES, siteFeatures } from "./features.ts";
import { trainLogistic } from "./logistic.ts";
import { anomalize, injectPayload } from "./mutate.ts";
import { ProfileBuilder, type SiteProfile } from "./profile.ts";
import { Reservoir } from "./reservoir.ts";
import { SITE_META_KEY, SITE_PROFILE_KEY, SiteModel, type SiteMetadata } from "./model.ts";

export interface SiteTrainOptions {
  targetFpr: number;
  seed: number;
  /** Payloads to inject; defaults to the project's grammar. */
  payloads?: string[];
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
    out.push(...(await generic.score(batch.map(extractFields))).map((s) => s.score));
  }
  return out;
}

/** What a request is, for splitting traffic by content (the log line keeps identical requests apart). */
export function requestKey(r: HttpRequest): string {
  return `${r.method} ${r.path}?${r.query}#${r.body ?? ""}#${r.origin.line ?? ""}`;
}

/** Synthetic attacks from real requests: 60% payload injections, 40% payload-free departures. */
function synthesize(requests: HttpRequest[], payloads: string[], seed: number): HttpRequest[] {
  const r = rng(seed);
  return requests.map((req) => (r() < 0.6 ? injectPayload(r, req, payloads[Math.floor(r() * payloads.length)]!) : anomalize(r, req)));
}

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
  const scorerSample = new Reservoir<HttpRequest>(MAX_SCORER_REQUESTS, random);
  const calibrationSample = new Reservoir<HttpRequest>(MAX_CALIBRATION_REQUESTS, random);
  let total = 0;
  let dropped = 0;
  let profileRequests = 0;
  const batches = Array.isArray(traffic) ? chunks(traffic, BATCH) : traffic;
  for await (const batch of batches) {
    // The generic model screens the traffic: what it flags is left out of "normal".
    const scores = await genericScores(generic, batch);
    batch.forEach((req, i) => {
      total++;
      if (scores[i]! >= generic.meta.threshold) {
        dropped++;
        return;
      }
      const p = splitPoint(requestKey(req));
      if (p < 0.7) {
        builder.add(req);
        profileRequests++;
      } else (p < 0.85 ? scorerSample : calibrationSample).add(req);
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
  // Real traffic weighs more: a false alarm costs more than a missed synthetic.
  const weight = Float32Array.from(X.map((_, i) => (i < scorerPart.length ? 4 : 1)));
  const scorer = await trainLogistic(X, y, weight);

  progress?.("calibrate", `${calibrationPart.length} held-out requests`);
  const meta: SiteMetadata = {
    kind: "site",
    version: `site-${new Date().toISOString().replace(/[:.]/g, "-")}`,
    features: [...SITE_FEATURES],
    threshold: 0.5,
    targetFpr: options.targetFpr,
    genericVersion: generic.meta.version,
    trainedAt: new Date().toISOString(),
    calibration: {
      trainingRequests: total,
      droppedAsAttacks: dropped,
      profileRequests,
      endpoints: Object.keys(profile.endpoints).length,
      scorerNegatives: scorerPart.length,
      scorerPositives: positives.length,
      calibrationRequests: calibrationPart.length,
      calibrationFpr: 0,
      syntheticTpr: 0,
    },
  };
  const encode = (m: SiteMetadata) => exportDenseLogisticOnnx(scorer, { [SITE_META_KEY]: JSON.stringify(m), [SITE_PROFILE_KEY]: JSON.stringify(profile) });
  const provisional = await SiteModel.fromBytes(encode(meta));
  const scoreAll = async (reqs: HttpRequest[]) => (await provisional.score(reqs, await genericScores(generic, reqs))).map((s) => s.score);
  const calibrationScores = await scoreAll(calibrationPart);
  meta.threshold = thresholdForFpr(calibrationScores, options.targetFpr);
  meta.calibration.calibrationFpr = calibrationScores.filter((s) => s >= meta.threshold).length / Math.max(1, calibrationScores.length);
  const heldOutSynthetic = await scoreAll(synthesize(calibrationPart, payloads, options.seed + 1));
  meta.calibration.syntheticTpr = heldOutSynthetic.filter((s) => s >= meta.threshold).length / Math.max(1, heldOutSynthetic.length);
  return { bytes: encode(meta), meta };
}
