import type { Clock } from './clock.ts';
import { createRandom, type Random } from './data/random.ts';
import { DEFAULT_FAULTS, type FaultSettings } from './options.ts';

export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'rateLimited'; retryAfter: number }
  | { kind: 'error' }
  | { kind: 'timeout' }
  | { kind: 'truncate' };

/** Per-request switches: `?fault=429|500|timeout|truncate` or header `x-sandbox-fault`. */
export const FAULT_SWITCHES = ['429', '500', 'timeout', 'truncate'] as const;

const NUMERIC_KEYS = Object.keys(DEFAULT_FAULTS) as (keyof FaultSettings)[];

/** Validates a fault settings object from the control API or flags; returns the error text or the settings. */
export function parseFaultSettings(input: unknown, base: FaultSettings): FaultSettings | string {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return 'body must be a JSON object';
  const out: FaultSettings = { ...base };
  for (const [k, v] of Object.entries(input)) {
    const key = NUMERIC_KEYS.find((n) => n.toLowerCase() === k.toLowerCase());
    if (!key) return `unknown fault setting '${k}' (known: ${NUMERIC_KEYS.join(', ')})`;
    if (typeof v !== 'number' || !Number.isFinite(v)) return `${key} must be a number`;
    if (key.endsWith('Rate') && (v < 0 || v > 1)) return `${key} must be between 0 and 1`;
    if (key !== 'clockOffsetSeconds' && v < 0) return `${key} must not be negative`;
    out[key] = v;
  }
  return out;
}

/** Fault injection for reliability tests; shares are drawn from a seeded generator so runs repeat. */
export class Faults {
  settings: FaultSettings;
  private windowStart = 0;
  private windowCount = 0;
  private rng: Random;

  constructor(
    initial: FaultSettings,
    private readonly clock: Clock,
    private readonly seed: number,
  ) {
    this.settings = initial;
    this.rng = createRandom(seed ^ 0x5eed);
    clock.offsetSeconds = initial.clockOffsetSeconds;
  }

  set(next: FaultSettings): void {
    this.settings = next;
    this.clock.offsetSeconds = next.clockOffsetSeconds;
    this.windowStart = 0;
    this.windowCount = 0;
    this.rng = createRandom(this.seed ^ 0x5eed);
  }

  /** Decides the fault for one apis/3.0 request. */
  decide(forced: string | undefined): FaultDecision {
    const s = this.settings;
    if (forced === '429') return { kind: 'rateLimited', retryAfter: Math.max(1, Math.ceil(s.rateWindowSeconds)) };
    if (forced === '500') return { kind: 'error' };
    if (forced === 'timeout') return { kind: 'timeout' };
    if (forced === 'truncate') return { kind: 'truncate' };
    if (s.rateLimit > 0) {
      const now = this.clock.now();
      const windowMs = s.rateWindowSeconds * 1000;
      if (now - this.windowStart >= windowMs) {
        this.windowStart = now;
        this.windowCount = 0;
      }
      this.windowCount++;
      if (this.windowCount > s.rateLimit) {
        return { kind: 'rateLimited', retryAfter: Math.max(1, Math.ceil((this.windowStart + windowMs - now) / 1000)) };
      }
    }
    if (s.errorRate > 0 && this.rng.next() < s.errorRate) return { kind: 'error' };
    if (s.timeoutRate > 0 && this.rng.next() < s.timeoutRate) return { kind: 'timeout' };
    if (s.truncateRate > 0 && this.rng.next() < s.truncateRate) return { kind: 'truncate' };
    return { kind: 'none' };
  }
}
