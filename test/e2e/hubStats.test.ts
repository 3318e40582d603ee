// The simulator's own request log proves push-down (one vendor call per hub page, exactly the page asked for)
// and that the per-instance rate budget keeps steady traffic under the vendor's limit (no 429 reaches it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../helpers/server.ts';
import { type HubFixture, startHubFixture } from './hubFixture.ts';

interface Logged {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
}

let f: HubFixture;
beforeAll(async () => {
  // 60 requests/min per instance: a burst of 10, then one a second.
  f = await startHubFixture({ env: { CONDUIT_RATE_LIMIT_PER_MIN: '60' } });
});
afterAll(async () => {
  await f?.close();
});

const resetStats = () => f.vendor('/_sandbox/stats', { method: 'DELETE' });
const requests = async () => (await f.vendor('/_sandbox/stats')).body.requests as Logged[];

describe(`push-down and rate budget (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('one vendor call per hub page, with the filter and page size pushed down', async () => {
    await resetStats();
    const where = "lastName LIKE '%e%' AND email LIKE '%.%'";
    let token = '';
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      const q = token ? `nextPage=${encodeURIComponent(token)}` : `pageSize=25&where=${encodeURIComponent(where)}`;
      const res = await f.hub('GET', `/hubs/crm/contacts?${q}${token ? `&where=${encodeURIComponent(where)}` : ''}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.length).toBeLessThanOrEqual(25);
      seen.push(...res.body.map((r: { id: number }) => r.id));
      token = res.headers.get('elements-next-page-token') ?? '';
      if (!token) break;
    }
    const calls = (await requests()).filter((r) => r.path === '/company/contacts');
    expect(calls.length).toBe(Math.ceil(seen.length / 25) || 1);
    expect(calls.map((c) => c.query.page)).toEqual(calls.map((_, i) => String(i + 1)));
    for (const c of calls) {
      expect(c.query.pageSize).toBe('25');
      expect(c.query.conditions).toBe('lastName like "%e%"');
      expect(c.query.childConditions).toContain('communicationItems/value like "%.%"');
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect((await requests()).length).toBe(calls.length);
  });

  it('pageSize is clamped to pagination.max', async () => {
    await resetStats();
    const res = await f.hub('GET', '/hubs/crm/incidents?pageSize=5000');
    expect(res.body.length).toBe(200);
    const calls = await requests();
    expect(calls.map((c) => c.query.pageSize)).toEqual(['200']);
  });

  it('the rate budget prevents 429s when the simulator enforces a limit', async () => {
    // The simulator allows 25 requests per 10 s window; the budget sends at most ~20 per 10 s.
    const faults = await f.vendor('/_sandbox/faults', {
      method: 'PUT',
      body: JSON.stringify({ rateLimit: 25, rateWindowSeconds: 10 }),
    });
    expect(faults.status).toBe(200);
    try {
      // Control: without a budget the same simulator throttles.
      const direct = await Promise.all(Array.from({ length: 30 }, () => f.vendor('/company/contacts?pageSize=1')));
      expect(direct.some((r) => r.status === 429)).toBe(true);
      await f.vendor('/_sandbox/faults', {
        method: 'PUT',
        body: JSON.stringify({ rateLimit: 25, rateWindowSeconds: 10 }),
      });
      await resetStats();
      const started = Date.now();
      const results = await Promise.all(
        Array.from({ length: 14 }, (_, i) => f.hub('GET', `/hubs/crm/contacts?pageSize=2&page=${i + 1}`)),
      );
      for (const r of results) expect(r.status, r.text).toBe(200);
      const logged = await requests();
      expect(logged.length).toBe(14);
      expect(logged.filter((r) => r.status === 429)).toEqual([]);
      // The bucket (burst 10, then 1/s) spread the last four over about four seconds.
      expect(Date.now() - started).toBeGreaterThan(2500);
    } finally {
      await f.vendor('/_sandbox/faults', { method: 'PUT', body: JSON.stringify({}) });
    }
  }, 20_000);

  it('a vendor 429 with a long Retry-After is answered 429 with Retry-After, not waited out', async () => {
    await f.vendor('/_sandbox/faults', {
      method: 'PUT',
      body: JSON.stringify({ rateLimit: 1, rateWindowSeconds: 60 }),
    });
    try {
      await f.vendor('/company/contacts?pageSize=1');
      const started = Date.now();
      const res = await f.hub('GET', '/hubs/crm/contacts?pageSize=1');
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(10);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await f.vendor('/_sandbox/faults', { method: 'PUT', body: JSON.stringify({}) });
    }
  });
});
