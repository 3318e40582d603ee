// Issue 13 "Never a wrong answer": a cut-off ConnectWise body is never passed on, every hub call has one deadline,
// and the proactive rate budget never trips the vendor's own window.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../src/sandbox/index.ts';
import { startTestSandbox } from '../helpers/sandbox.ts';
import { call, orgAuth, startTestServer, type TestServer } from '../helpers/server.ts';
import { cwClient, eventsBody, eventsFor, type Receiver, sleep, startReceiver } from './events.support.ts';
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

describe('rate budget: a call that cannot get a slot before its deadline', () => {
  let f: HubFixture;
  beforeAll(async () => {
    // One call per 5.5 s for this instance, and hub calls must be answered within 1 s.
    f = await startHubFixture({
      env: { CONDUIT_RATE_LIMIT_PER_MIN: '12', CONDUIT_RATE_WINDOW_S: '5', CONDUIT_HUB_DEADLINE_MS: '1000' },
    });
  });
  afterAll(async () => f?.close());

  it('answers 429 at once, sends nothing, and says it is our own budget', async () => {
    await f.vendor('/_sandbox/stats', { method: 'DELETE' });
    const started = Date.now();
    const answers = await Promise.all([1, 2, 3].map(() => f.hub('GET', '/hubs/crm/contacts?pageSize=1')));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 429, 429]);
    const refused = answers.find((a) => a.status === 429)!;
    expect(refused.body.message).toMatch(/request budget .*nothing was sent to ConnectWise/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(5);
    expect(Date.now() - started).toBeLessThan(2_500); // not the 5.5 s a slot would take
    expect((await f.vendor('/_sandbox/stats')).body.total).toBe(1);
  });
});

describe('pollers: their own deadline, and no cut-off page ever delivered', () => {
  let sandbox: RunningSandbox;
  let server: TestServer;
  let receiver: Receiver;
  let auth: string;
  let instanceId: number;
  const faults = (body: Record<string, number>) =>
    fetch(`${sandbox.httpUrl}/_sandbox/faults`, { method: 'PUT', body: JSON.stringify(body) });
  // biome-ignore lint/suspicious/noExplicitAny: status bodies are read field by field
  const status = async (): Promise<any> =>
    (await call(server.base, 'GET', `/instances/${instanceId}/events/status`, { auth })).body;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    receiver = await startReceiver();
    server = await startTestServer({
      env: {
        CONDUIT_UPSTREAM_ALLOW: '127.0.0.1',
        CONDUIT_POLL_MIN_INTERVAL_S: '0.2',
        CONDUIT_POLL_DEADLINE_MS: '800',
      },
    });
    auth = orgAuth(await server.createOrg());
    const res = await call(server.base, 'POST', '/instances', { auth, body: eventsBody(sandbox, receiver.url) });
    expect(res.status).toBe(200);
    instanceId = res.body.id;
    // The first poll (baseline) is done once a cursor has been polled.
    for (let i = 0; i < 100 && !(await status()).cursors?.some((c: { polledAt: unknown }) => c.polledAt); i++)
      await sleep(100);
  }, 60_000);
  afterAll(async () => {
    await faults({});
    await server?.close();
    await receiver?.close();
    await sandbox?.close();
  });

  const pollNow = async (action: 'pause' | 'resume') =>
    expect((await call(server.base, 'POST', `/instances/${instanceId}/events/${action}`, { auth })).status).toBe(200);
  const waitForError = async (pattern: RegExp, withinMs: number) => {
    const started = Date.now();
    let error: string | null = null;
    while (Date.now() - started < withinMs && !pattern.test(error ?? '')) {
      error = (await status()).lastError;
      await sleep(50);
    }
    return { error, took: Date.now() - started };
  };
  const pairs = (ids: number[]) => eventsFor(receiver.received, ids).map((e) => `${e.objectId}:${e.eventType}`);

  it('a stalled ConnectWise fails a poll at CONDUIT_POLL_DEADLINE_MS, naming the host; the change arrives after', async () => {
    await pollNow('pause');
    const contact = await cwClient(sandbox).createContact('Stalled');
    await faults({ latencyMs: 4_000 });
    await pollNow('resume'); // polls at once
    const { error, took } = await waitForError(/deadline/, 3_500);
    await faults({});
    expect(error).toMatch(/did not answer within the 800 ms deadline/);
    expect(error).toContain(new URL(sandbox.httpUrl).host);
    expect(took).toBeLessThan(3_500); // long before the stall would have ended
    expect(pairs([contact.id])).toEqual([]);
    await pollNow('pause');
    await pollNow('resume');
    await receiver.waitFor(() => pairs([contact.id]).length > 0, 20_000);
    expect(pairs([contact.id])).toEqual([`${contact.id}:CREATED`]);
  }, 40_000);

  it('cut-off pages fail the poll (never half a page of events); the changes arrive whole once ConnectWise recovers', async () => {
    await pollNow('pause');
    const cw = cwClient(sandbox);
    const a = await cw.createContact('CutA');
    const b = await cw.createContact('CutB');
    await faults({ truncateRate: 1 });
    await pollNow('resume');
    // Every try is cut off: the poll fails (at its deadline, or when the tries run out) and says why.
    const { error } = await waitForError(/cut off/, 10_000);
    expect(error).toMatch(/answer from .* was cut off/);
    expect(pairs([a.id, b.id])).toEqual([]);
    await faults({});
    await pollNow('pause');
    await pollNow('resume');
    await receiver.waitFor(() => pairs([a.id, b.id]).length >= 2, 20_000);
    expect(pairs([a.id, b.id]).sort()).toEqual([`${a.id}:CREATED`, `${b.id}:CREATED`].sort());
    const records = receiver.received.flatMap(
      (r) => (r.body.message.raw.contacts as Array<{ id: number; firstName: string }> | undefined) ?? [],
    );
    expect(records.filter((r) => r.id === a.id).map((r) => r.firstName)).toEqual(['CutA']);
    expect(records.filter((r) => r.id === b.id).map((r) => r.firstName)).toEqual(['CutB']);
  }, 40_000);
});
