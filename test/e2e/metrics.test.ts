// GET /metrics over real HTTP: Prometheus text, a hub call moving the right counters, store gauges, the optional
// bearer token, and /metrics never answered by the console.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestServer, type TestServer, testDatabaseUrl } from '../helpers/server.ts';
import { type HubFixture, startHubFixture } from './hubFixture.ts';

/** Prometheus text → `name{labels}` → value (label order as printed). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}

async function scrape(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/metrics`, { headers });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

let f: HubFixture;
beforeAll(async () => {
  f = await startHubFixture({ sandbox: { contacts: 20 } });
});
afterAll(async () => {
  await f?.close();
});

describe(`GET /metrics (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('answers Prometheus text with process metrics and store gauges, never the console page', async () => {
    const m = await scrape(f.server.url);
    expect(m.status).toBe(200);
    expect(m.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.text).not.toMatch(/<html|<!doctype/i);
    const s = samples(m.text);
    expect(s.get('process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
    expect(s.get('conduit_outbox_depth{status="pending"}')).toBe(0);
    expect(s.get('conduit_outbox_depth{status="dead"}')).toBe(0);
    expect(s.get('conduit_outbox_oldest_pending_age_seconds')).toBe(0);
    expect(s.get('conduit_bulk_jobs{direction="export",status="RUNNING"}')).toBe(0);
    expect(s.get('conduit_bulk_records_per_second{direction="import"}')).toBe(0);
    if (testDatabaseUrl) expect(s.get('conduit_store_pool_connections{state="total"}')).toBeGreaterThan(0);
    else expect(m.text).not.toContain('conduit_store_pool_connections');
  });

  it('a hub call moves the HTTP and upstream counters of its route and instance', async () => {
    const route = '/elements/api-v2/hubs/:hub/*';
    const httpKey = `conduit_http_requests_total{method="GET",route="${route}",status="200"}`;
    const upKey = `conduit_upstream_requests_total{instance="${f.instanceId}",status="200"}`;
    const histKey = `conduit_http_request_duration_seconds_count{method="GET",route="${route}"}`;
    const before = samples((await scrape(f.server.url)).text);
    const res = await f.hub('GET', '/hubs/crm/contacts?pageSize=5');
    expect(res.status).toBe(200);
    const after = samples((await scrape(f.server.url)).text);
    expect((after.get(httpKey) ?? 0) - (before.get(httpKey) ?? 0)).toBe(1);
    expect((after.get(histKey) ?? 0) - (before.get(histKey) ?? 0)).toBe(1);
    expect((after.get(upKey) ?? 0) - (before.get(upKey) ?? 0)).toBeGreaterThanOrEqual(1);
    // The raw path (with its query) never becomes a label.
    expect([...after.keys()].some((k) => k.includes('pageSize'))).toBe(false);
  });

  it('counts vendor 429s and the retry that follows them', async () => {
    const key = (name: string) => `${name}{instance="${f.instanceId}"}`;
    const before = samples((await scrape(f.server.url)).text);
    // One vendor request per second: the second call's first try meets a 429 with Retry-After, then is retried.
    const armed = await f.vendor('/_sandbox/faults', {
      method: 'PATCH',
      body: JSON.stringify({ rateLimit: 1, rateWindowSeconds: 1 }),
    });
    expect(armed.status).toBe(200);
    try {
      expect((await f.hub('GET', '/hubs/crm/contacts?pageSize=2')).status).toBe(200);
      expect((await f.hub('GET', '/hubs/crm/contacts?pageSize=2')).status).toBe(200);
    } finally {
      await f.vendor('/_sandbox/faults', { method: 'PUT', body: '{}' });
    }
    const after = samples((await scrape(f.server.url)).text);
    const moved = (name: string) => (after.get(key(name)) ?? 0) - (before.get(key(name)) ?? 0);
    expect(moved('conduit_upstream_rate_limited_total')).toBeGreaterThanOrEqual(1);
    expect(moved('conduit_upstream_retries_total')).toBeGreaterThanOrEqual(1);
  });

  it('the outbox gauges read the store: depth by status and the oldest pending age', async () => {
    const db = f.server.runtime.deps.store.db;
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    const later = new Date(Date.now() + 86_400_000).toISOString(); // not due: the dispatcher leaves them alone
    for (const [eventId, status] of [
      ['m-pending', 'pending'],
      ['m-dead', 'dead'],
    ]) {
      await sql`insert into event_notifications (event_id, instance_id, object_type, source, body, status, attempts,
        next_attempt_at, created_at) values (${eventId}, ${f.instanceId}, 'contacts', 'polling', '{}', ${status}, 0,
        ${later}, ${hourAgo})`.execute(db);
    }
    try {
      const s = samples((await scrape(f.server.url)).text);
      expect(s.get('conduit_outbox_depth{status="pending"}')).toBe(1);
      expect(s.get('conduit_outbox_depth{status="dead"}')).toBe(1);
      expect(s.get('conduit_outbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(3600);
      expect(s.get('conduit_outbox_oldest_pending_age_seconds')).toBeLessThan(3700);
    } finally {
      await sql`delete from event_notifications where event_id in ('m-pending', 'm-dead')`.execute(db);
    }
  });

  it('unknown paths under the API answer JSON 404, not the console', async () => {
    const res = await call(f.server.base, 'GET', '/no/such/thing');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/json/);
    expect(res.body.code).toBe('NOT_FOUND');
  });
});

describe('CONDUIT_METRICS_TOKEN', () => {
  let server: TestServer;
  const token = 'metrics-token-0123456789';
  beforeAll(async () => {
    server = await startTestServer({ env: { CONDUIT_METRICS_TOKEN: token } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('without the bearer token: 401 JSON naming the setting', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: token }] as Array<
      Record<string, string>
    >) {
      const res = await fetch(`${server.url}/metrics`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/json/);
      const body = (await res.json()) as { code: string; message: string };
      expect(body.code).toBe('UNAUTHORIZED');
      expect(body.message).toContain('CONDUIT_METRICS_TOKEN');
    }
  });

  it('with it: the metrics', async () => {
    const m = await scrape(server.url, { authorization: `Bearer ${token}` });
    expect(m.status).toBe(200);
    expect(m.text).toContain('conduit_http_requests_total');
  });
});
