// Issue 13 "Never a wrong answer": a cut-off ConnectWise body is never passed on, every hub call has one deadline,
// and the proactive rate budget never trips the vendor's own window.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubFixture, startHubFixture } from './hubFixture.ts';

async function setFaults(f: HubFixture, faults: Record<string, number>) {
  const res = await f.vendor('/_sandbox/faults', { method: 'PUT', body: JSON.stringify(faults) });
  expect(res.status).toBe(200);
}

describe('hub: truncated ConnectWise bodies', () => {
  let f: HubFixture;
  let contactId: number;
  beforeAll(async () => {
    f = await startHubFixture();
    const first = await f.hub('GET', '/hubs/crm/contacts?pageSize=1');
    contactId = first.body[0].id;
  });
  afterAll(async () => f?.close());

  it('answers 502 "cut off" — never 200 — for list, full page, get, count and pass-through', async () => {
    await setFaults(f, { truncateRate: 1 });
    try {
      const paths = [
        '/hubs/crm/contacts?pageSize=10', // full page: the vendor links a next page (chunk fast path)
        '/hubs/crm/contacts?pageSize=10&where=id%3D0', // empty last page
        `/hubs/crm/contacts/${contactId}`,
        '/hubs/crm/contacts/count',
        '/hubs/crm/company/configurations/types?pageSize=5', // pass-through of an object the element does not name
      ];
      for (const path of paths) {
        const res = await f.hub('GET', path);
        expect(res.status, path).toBe(502);
        expect(res.body.code ?? res.body.message, path).toBeTruthy();
        expect(res.body.message, path).toMatch(/ConnectWise's answer from .* was cut off \(\d+ bytes received/);
        expect(res.body.message, path).toContain(new URL(f.sandbox.httpUrl).host);
      }
    } finally {
      await setFaults(f, {});
    }
  });

  it('with half of the answers cut off, every 200 is complete JSON with the right record count', async () => {
    await setFaults(f, { truncateRate: 0.5 });
    let ok = 0;
    try {
      for (let i = 0; i < 40; i++) {
        const page = 1 + (i % 5);
        const res = await f.hub('GET', `/hubs/crm/contacts?pageSize=10&page=${page}`);
        if (res.status !== 200) {
          expect(res.status).toBe(502);
          expect(res.body.message).toMatch(/cut off/i);
          continue;
        }
        ok++;
        expect(Array.isArray(res.body), res.text.slice(-80)).toBe(true);
        expect(res.body).toHaveLength(10);
        expect(res.headers.get('elements-returned-count')).toBe('10');
      }
      for (let i = 0; i < 10; i++) {
        const one = await f.hub('GET', `/hubs/crm/contacts/${contactId}`);
        if (one.status === 200) expect(one.body.id).toBe(contactId);
        else expect(one.status).toBe(502);
        const count = await f.hub('GET', '/hubs/crm/contacts/count');
        if (count.status === 200) expect(typeof count.body.count).toBe('number');
        else expect(count.status).toBe(502);
      }
    } finally {
      await setFaults(f, {});
    }
    // Retries inside the deadline hide most cuts: far more than half of the calls still succeed.
    expect(ok).toBeGreaterThan(30);
  }, 90_000);
});

describe('hub: one overall deadline per call', () => {
  let f: HubFixture;
  beforeAll(async () => {
    f = await startHubFixture({ env: { CONDUIT_HUB_DEADLINE_MS: '1500' } });
  });
  afterAll(async () => f?.close());

  it('answers 504 naming the upstream near the deadline when ConnectWise stalls', async () => {
    await setFaults(f, { latencyMs: 5000 });
    try {
      const started = Date.now();
      const res = await f.hub('GET', '/hubs/crm/contacts?pageSize=1');
      const took = Date.now() - started;
      expect(res.status).toBe(504);
      expect(res.body.message).toContain(new URL(f.sandbox.httpUrl).host);
      expect(took).toBeGreaterThanOrEqual(1400);
      expect(took).toBeLessThan(2500);
    } finally {
      await setFaults(f, {});
    }
  });

  it('retries only inside the deadline: repeated ConnectWise timeouts end in 504 at the deadline', async () => {
    await setFaults(f, { timeoutRate: 1, timeoutDelayMs: 400 });
    try {
      const started = Date.now();
      const res = await f.hub('GET', '/hubs/crm/contacts/count');
      const took = Date.now() - started;
      expect([502, 504]).toContain(res.status);
      expect(took).toBeLessThan(2500);
      const stats = await f.vendor('/_sandbox/stats');
      expect(stats.body.total).toBeGreaterThanOrEqual(2); // it did retry
    } finally {
      await setFaults(f, {});
    }
  });

  it('honours the per-instance override conduit.hub.deadline.ms', async () => {
    const patched = await f.platform('PATCH', `/instances/${f.instanceId}`, {
      body: { configuration: { 'conduit.hub.deadline.ms': '600' } },
    });
    expect(patched.status).toBe(200);
    await setFaults(f, { latencyMs: 5000 });
    try {
      const started = Date.now();
      const res = await f.hub('GET', '/hubs/crm/contacts?pageSize=1');
      const took = Date.now() - started;
      expect(res.status).toBe(504);
      expect(took).toBeGreaterThanOrEqual(500);
      expect(took).toBeLessThan(1400);
    } finally {
      await setFaults(f, {});
    }
  });
});

describe('rate budget: never over the vendor window', () => {
  let f: HubFixture;
  beforeAll(async () => {
    f = await startHubFixture({ env: { CONDUIT_RATE_LIMIT_PER_MIN: '300' } });
  });
  afterAll(async () => f?.close());

  it('300/min against 25 per 5 s: >100 concurrent hub calls draw no 429', async () => {
    await setFaults(f, { rateLimit: 25, rateWindowSeconds: 5 });
    await f.vendor('/_sandbox/stats', { method: 'DELETE' });
    try {
      const calls = Array.from({ length: 105 }, (_, i) =>
        f.hub('GET', `/hubs/crm/contacts?pageSize=1&page=${1 + (i % 50)}`),
      );
      const answers = await Promise.all(calls);
      expect(answers.map((a) => a.status).filter((s) => s !== 200)).toEqual([]);
      const stats = await f.vendor('/_sandbox/stats');
      const statuses = (stats.body.requests as Array<{ status: number }>).map((r) => r.status);
      expect(statuses.length).toBeGreaterThanOrEqual(105);
      expect(statuses.filter((s) => s === 429)).toEqual([]);
    } finally {
      await setFaults(f, {});
    }
  }, 60_000);
});
