/**
 * The inline check rate limit: a token bucket per API key (and one shared by callers without a key),
 * filled at the key's rate (its own `rate_limit`, else server.check_rate_limit; 0: no limit) and
 * holding at most one second's worth. Every check costs a token: a batch of N costs N.
 *
 * The guard charges a request's first check on arrival (before its body is read: a caller over the
 * limit costs nothing more) and says who pays for it; the batch routes charge the rest of a batch
 * once its body has been parsed. A batch larger than the bucket can never be paid for: it is refused
 * at once, without a Retry-After, rather than left to wait forever.
 *
 * Buckets fill on the monotonic clock (ServiceContext.monotonic): a wall clock set back an hour must
 * not make a key wait an hour, nor one set forward hand it a full bucket.
 */
import { ApiError } from "../envelope.ts";
import type { ApiServices } from "../services.ts";

/** Who pays for a request's checks: a bucket (one per key) at a rate. */
export interface Payer {
  bucket: string;
  /** Checks per second; 0: no limit. */
  perSecond: number;
  /** For messages: "for this API key", "from callers without an API key". */
  who: string;
}

/** A refusal: 429, with Retry-After when waiting helps. */
export class RateLimited extends ApiError {
  constructor(message: string, readonly retryAfterSeconds: number | null) {
    super(429, message);
    this.name = "RateLimited";
  }

  get headers(): Record<string, string> {
    return this.retryAfterSeconds === null ? {} : { "retry-after": String(this.retryAfterSeconds) };
  }
}

/**
 * Token buckets by name. `take` answers null when `cost` checks may go ahead (and takes their tokens),
 * else the whole seconds to wait (taking nothing). There is one bucket per key (plus the anonymous
 * one), so the map stays as small as the key table.
 */
export function createRateLimiter(monotonic: () => number) {
  const buckets = new Map<string, { tokens: number; updatedAt: number }>();
  return {
    take(bucket: string, perSecond: number, cost: number): number | null {
      if (perSecond === 0 || cost <= 0) return null;
      const now = monotonic();
      const b = buckets.get(bucket) ?? { tokens: perSecond, updatedAt: now };
      b.tokens = Math.min(perSecond, b.tokens + (Math.max(0, now - b.updatedAt) / 1000) * perSecond);
      b.updatedAt = now;
      buckets.set(bucket, b);
      if (b.tokens >= cost) {
        b.tokens -= cost;
        return null;
      }
      return Math.max(1, Math.ceil((cost - b.tokens) / perSecond));
    },
  };
}

function overLimit(payer: Payer, waitSeconds: number): RateLimited {
  return new RateLimited(`more than ${payer.perSecond} checks per second ${payer.who}: retry after ${waitSeconds} s`, waitSeconds);
}

/** Both answer null when the checks may go ahead, else the refusal to answer with. */
export interface CheckBudget {
  /** On arrival: records who pays for the request's checks, and charges its first one. */
  admit(request: Request, payer: Payer): RateLimited | null;
  /** Once the request's checks are counted: charges the rest of them (a batch's items beyond the first). */
  charge(request: Request, checks: number): RateLimited | null;
}

function createCheckBudget(monotonic: () => number): CheckBudget {
  const limiter = createRateLimiter(monotonic);
  const payers = new WeakMap<Request, Payer>();
  return {
    admit(request, payer) {
      const wait = limiter.take(payer.bucket, payer.perSecond, 1);
      if (wait !== null) return overLimit(payer, wait);
      payers.set(request, payer);
      return null;
    },
    charge(request, checks) {
      const payer = payers.get(request);
      if (!payer || payer.perSecond === 0 || checks <= 1) return null;
      if (checks > payer.perSecond) {
        return new RateLimited(`a batch of ${checks} checks is more than the ${payer.perSecond} checks per second allowed ${payer.who}, so it could never go through: send at most ${payer.perSecond} per batch`, null);
      }
      // A refused batch keeps the token its arrival took: refusals must not be free to send.
      const wait = limiter.take(payer.bucket, payer.perSecond, checks - 1);
      return wait === null ? null : overLimit(payer, wait);
    },
  };
}

const budgets = new WeakMap<ApiServices, CheckBudget>();

/** One budget per running API: the guard admits requests into it, the batch routes charge their other items. */
export function checkBudget(s: ApiServices): CheckBudget {
  let budget = budgets.get(s);
  if (!budget) budgets.set(s, (budget = createCheckBudget(() => s.ctx.monotonic())));
  return budget;
}
