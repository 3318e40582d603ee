// Proactive per-instance request budget: hub calls, pollers and bulk share one budget per instance so steady
// traffic stays under the vendor's limit instead of discovering it through 429s.
//
// The model (docs/upstream-reliability.md): a vendor counts requests in short windows (ConnectWise's throttling
// sits in front of the API and answers 429 per window of seconds, not per minute). A budget of `perMinute` with a
// window W therefore lets at most N = floor(perMinute × W / 60 s) requests go in ANY stretch of W plus a small
// guard, measured when each request is let go; windows of the vendor's length, however they are aligned, never
// see more than N. (A token bucket cannot promise that: its burst comes on top of its rate.) Requests wait first
// come, first served, so a queue of hub calls drains at exactly the budget.

export interface RateBudget {
  /**
   * Resolves `true` when a request may be sent; waits while the window is full. Resolves `false`, taking no slot,
   * when its turn cannot come before `deadlineAt` (a `performance.now()` time): at once when that is foreseeable.
   */
  acquire(key: string, deadlineAt?: number): Promise<boolean>;
  /** Holds every request of the key back for `retryAfterMs` after a vendor 429. */
  penalize(key: string, retryAfterMs: number): void;
  /**
   * Whether a request of the key could go at once (nobody queued, a slot free, no 429 pause), taking nothing:
   * optional extra work (bulk partitions beyond the first) sends only then, so it never queues ahead of hub calls.
   */
  idle(key: string): boolean;
  /** Requests allowed in any one window, and that window (guard included) in milliseconds. */
  readonly slots: number;
  readonly spanMs: number;
}

export interface RateBudgetOptions {
  perMinute: number;
  /** The vendor's counting window (default 5 s). */
  windowMs?: number;
  /**
   * Added to the window to absorb the spread in how long requests take to reach the vendor (a request let go
   * late in one window may arrive early in the next): default a tenth of the window, at least 250 ms.
   */
  guardMs?: number;
}

interface Waiter {
  resolve: (granted: boolean) => void;
  deadlineAt: number;
}

interface Slots {
  /** Release times of the last N requests, as a ring; `times[next]` is the oldest. */
  times: Float64Array;
  next: number;
  blockedUntil: number;
  /** Requests waiting for a slot, first come first served; one timer wakes the head. */
  queue: Waiter[];
  timer: NodeJS.Timeout | undefined;
}

export function createRateBudget(options: RateBudgetOptions): RateBudget {
  const windowMs = options.windowMs ?? 5_000;
  const guardMs = options.guardMs ?? Math.max(250, windowMs / 10);
  const slots = Math.max(1, Math.floor((options.perMinute * windowMs) / 60_000));
  // A budget below one request per window spreads single requests further apart, so the per-minute rate holds too.
  const spanMs = Math.max(windowMs, (slots * 60_000) / options.perMinute) + guardMs;
  const keys = new Map<string, Slots>();

  function slotsOf(key: string): Slots {
    let s = keys.get(key);
    if (!s) {
      s = {
        times: new Float64Array(slots).fill(Number.NEGATIVE_INFINITY),
        next: 0,
        blockedUntil: 0,
        queue: [],
        timer: undefined,
      };
      keys.set(key, s);
    }
    return s;
  }

  /** The earliest time the next request may go. */
  const nextFree = (s: Slots) => Math.max((s.times[s.next] as number) + spanMs, s.blockedUntil);

  /**
   * Takes a slot at the moment the request is really let go (a late timer never lets two windows' worth through
   * together: the times recorded are release times, not planned ones).
   */
  function take(s: Slots, now: number): void {
    s.times[s.next] = now;
    s.next = (s.next + 1) % slots;
  }

  function drain(s: Slots): void {
    s.timer = undefined;
    const now = performance.now();
    while (s.queue.length > 0) {
      const head = s.queue[0] as Waiter;
      if (head.deadlineAt < now) {
        s.queue.shift();
        head.resolve(false);
        continue;
      }
      if (nextFree(s) > now) break;
      take(s, now);
      s.queue.shift();
      head.resolve(true);
    }
    if (s.queue.length > 0) s.timer = setTimeout(() => drain(s), Math.max(1, Math.ceil(nextFree(s) - now)));
  }

  return {
    slots,
    spanMs,
    acquire(key, deadlineAt = Number.POSITIVE_INFINITY) {
      const s = slotsOf(key);
      const now = performance.now();
      if (s.queue.length === 0 && nextFree(s) <= now) {
        take(s, now);
        return Promise.resolve(true);
      }
      // Its turn comes no sooner than one span per full window of requests ahead of it.
      const ahead = s.queue.length;
      const earliest = Math.max(
        (s.times[(s.next + ahead) % slots] as number) + spanMs * (1 + Math.floor(ahead / slots)),
        s.blockedUntil,
      );
      if (earliest > deadlineAt) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        s.queue.push({ resolve, deadlineAt });
        if (!s.timer) s.timer = setTimeout(() => drain(s), Math.max(1, Math.ceil(nextFree(s) - now)));
      });
    },
    idle(key) {
      const s = keys.get(key);
      return !s || (s.queue.length === 0 && nextFree(s) <= performance.now());
    },
    penalize(key, retryAfterMs) {
      const s = slotsOf(key);
      s.blockedUntil = Math.max(s.blockedUntil, performance.now() + retryAfterMs);
    },
  };
}
