import { describe, expect, it } from 'vitest';
import { createRateBudget } from './rateBudget.ts';

/** The most requests that fall inside any stretch of `windowMs`. */
function busiestWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while ((sorted[i] as number) - (sorted[j] as number) >= windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

// Times are taken where the caller resumes, a little after the budget lets it go; as in production, the guard
// (100 ms here) absorbs a loaded machine's scheduling delays.
describe('rate budget', () => {
  it('never lets more than perMinute × window / 60 s requests into any window, even from a cold start', async () => {
    // 1,200/min with a 250 ms window = 5 per window.
    const budget = createRateBudget({ perMinute: 1_200, windowMs: 250, guardMs: 100 });
    expect(budget.slots).toBe(5);
    const times: number[] = [];
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 23 }, async (_, i) => {
        expect(await budget.acquire('i:1')).toBe(true);
        times.push(performance.now());
        order.push(i);
      }),
    );
    expect(busiestWindow(times, 250)).toBeLessThanOrEqual(5);
    expect(order).toEqual([...order].sort((a, b) => a - b)); // first come, first served
    // 23 requests = 5 full windows: the queue drains at the budget, not slower.
    const took = Math.max(...times) - Math.min(...times);
    expect(took).toBeGreaterThanOrEqual(4 * 250);
    expect(took).toBeLessThan(4 * 350 + 400);
  });

  it('a busy event loop (late timers) never lets two windows of requests go together', async () => {
    const budget = createRateBudget({ perMinute: 1_200, windowMs: 250, guardMs: 100 });
    const times: number[] = [];
    const all = Promise.all(
      Array.from({ length: 15 }, async () => {
        expect(await budget.acquire('i:1')).toBe(true);
        times.push(performance.now());
      }),
    );
    await new Promise((r) => setTimeout(r, 5));
    const blockUntil = performance.now() + 700; // the timers of the next two windows fall due meanwhile
    while (performance.now() < blockUntil) {
      /* busy */
    }
    await all;
    expect(busiestWindow(times, 250)).toBeLessThanOrEqual(5);
  });

  it('keeps instances apart and answers false, taking no slot, when the slot comes after the deadline', async () => {
    const budget = createRateBudget({ perMinute: 60, windowMs: 1_000, guardMs: 0 });
    expect(budget.slots).toBe(1);
    expect(await budget.acquire('a')).toBe(true);
    expect(await budget.acquire('b')).toBe(true); // another instance, its own window
    const started = performance.now();
    expect(await budget.acquire('a', performance.now() + 100)).toBe(false);
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('holds requests back after a 429 for the Retry-After time', async () => {
    const budget = createRateBudget({ perMinute: 6_000, windowMs: 1_000 });
    const started = performance.now();
    budget.penalize('a', 300);
    expect(await budget.acquire('a')).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('is idle only while a request could go at once: a full window, a queue or a 429 pause make it busy', async () => {
    const budget = createRateBudget({ perMinute: 120, windowMs: 1_000, guardMs: 0 });
    expect(budget.idle('a')).toBe(true); // never used
    expect(await budget.acquire('a')).toBe(true);
    expect(budget.idle('a')).toBe(true); // one of two slots left
    expect(await budget.acquire('a')).toBe(true);
    expect(budget.idle('a')).toBe(false); // window full
    expect(budget.idle('b')).toBe(true);
    const queued = budget.acquire('a');
    await new Promise((r) => setTimeout(r, 1_050));
    expect(await queued).toBe(true);
    expect(budget.idle('a')).toBe(true); // the other slot of the new window
    budget.penalize('b', 200);
    expect(budget.idle('b')).toBe(false);
  });
});
