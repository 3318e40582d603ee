// Proactive per-instance request budget (token bucket): hub calls, pollers and bulk share one bucket per
// instance so steady traffic stays under the vendor's limit instead of discovering it through 429s.
export interface RateBudget {
  /** Resolves when a request may be sent; waits if the bucket is empty. */
  acquire(key: string): Promise<void>;
  /** Pushes the bucket's next token back after a vendor 429 with Retry-After. */
  penalize(key: string, retryAfterMs: number): void;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
  blockedUntil: number;
}

export function createRateBudget(perMinute: number, burst = Math.max(5, Math.ceil(perMinute / 6))): RateBudget {
  const buckets = new Map<string, Bucket>();
  const ratePerMs = perMinute / 60_000;
  const refill = (b: Bucket, now: number) => {
    b.tokens = Math.min(burst, b.tokens + (now - b.updatedAt) * ratePerMs);
    b.updatedAt = now;
  };
  return {
    async acquire(key) {
      for (;;) {
        const now = Date.now();
        let b = buckets.get(key);
        if (!b) {
          b = { tokens: burst, updatedAt: now, blockedUntil: 0 };
          buckets.set(key, b);
        }
        refill(b, now);
        if (now >= b.blockedUntil && b.tokens >= 1) {
          b.tokens -= 1;
          return;
        }
        const wait = Math.max(b.blockedUntil - now, Math.ceil((1 - b.tokens) / ratePerMs), 1);
        await new Promise((r) => setTimeout(r, wait));
      }
    },
    penalize(key, retryAfterMs) {
      const b = buckets.get(key);
      if (b) {
        b.blockedUntil = Math.max(b.blockedUntil, Date.now() + retryAfterMs);
        b.tokens = 0;
      }
    },
  };
}
