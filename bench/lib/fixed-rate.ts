/**
 * Latency at a fixed request rate, the way a site's real load arrives: requests are sent on a
 * schedule whatever the answers do (an open loop), and each latency runs from the request's scheduled
 * time, so a stall is charged to every request it delays (no coordinated omission). wrk measures
 * capacity; this measures what a server adds at a load it can carry.
 */
import { percentile } from "./percentile.ts";

export interface FixedRateRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface FixedRateResult {
  sent: number;
  /** Answers that were not 2xx, or failed. */
  errors: number;
  p50: number;
  p99: number;
}

/** Sends `requests` in turn to `base` at `rate` per second for `seconds`; latencies in ms. */
export async function fixedRate(base: string, requests: FixedRateRequest[], rate: number, seconds: number): Promise<FixedRateResult> {
  const total = Math.round(rate * seconds);
  const intervalMs = 1000 / rate;
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const scheduled = start + i * intervalMs;
    const wait = scheduled - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    const r = requests[i % requests.length]!;
    const sentAt = performance.now();
    inFlight.push(
      fetch(`${base}${r.path}`, { method: r.method, headers: r.headers, body: r.body })
        .then(async (res) => {
          await res.arrayBuffer();
          if (res.status < 200 || res.status >= 300) errors++;
        })
        .catch(() => void errors++)
        // From the scheduled time, or from the send when the timer fired early.
        .finally(() => latencies.push(performance.now() - Math.min(scheduled, sentAt))),
    );
  }
  await Promise.all(inFlight);
  latencies.sort((a, b) => a - b);
  return { sent: total, errors, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}
