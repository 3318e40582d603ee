// Bulk end to end: the real server and the ConnectWise simulator over real HTTP, on SQLite or PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elementsSignature } from '../../src/events/notification.ts';
import { seedBody } from '../helpers/sandbox.ts';
import { call, elementAuth, orgAuth, testDatabaseUrl } from '../helpers/server.ts';
import { csvRows, waitForJob } from './bulk.support.ts';
import { startReceiver } from './events.support.ts';
import { type HubFixture, startHubFixture } from './hubFixture.ts';

type Json = Record<string, unknown>;

let f: HubFixture;
beforeAll(async () => {
  f = await startHubFixture({
    sandbox: { contacts: 1_200 },
    env: { CONDUIT_UPSTREAM_ALLOW: '127.0.0.1', CONDUIT_WEBHOOK_RETRY_BASE_MS: '200' },
  });
});
afterAll(async () => {
  await f?.close();
});

/** Every record of a hub list, walked page by page with the list API. */
async function listAll(resource: string, where?: string): Promise<Json[]> {
  const out: Json[] = [];
  let token: string | undefined;
  for (;;) {
    const qs = new URLSearchParams({ pageSize: '200' });
    if (where) qs.set('where', where);
    if (token) qs.set('nextPage', token);
    const res = await f.hub('GET', `/hubs/crm/${resource}?${qs}`);
    expect(res.status, res.text).toBe(200);
    out.push(...(res.body as Json[]));
    token = res.headers.get('elements-next-page-token') ?? undefined;
    if (!token || (res.body as Json[]).length === 0) return out;
  }
}

async function download(id: number, object: string, headers: Record<string, string> = {}, qs = '') {
  return fetch(`${f.server.base}/hubs/crm/bulk/${id}/${object}${qs}`, {
    headers: { authorization: elementAuth(f.org, f.token), ...headers },
  });
}

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Json);

describe(`bulk export (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('exports every contact as JSON Lines, equal to the list API in the same order', async () => {
    const submitted = await f.hub('POST', `/hubs/crm/bulk/query?q=${encodeURIComponent('select * from contacts')}`);
    expect(submitted.status, submitted.text).toBe(200);
    expect(submitted.body).toEqual({ id: expect.any(Number), status: 'CREATED' });
    const status = await waitForJob(f, submitted.body.id);
    expect(status).toMatchObject({
      id: submitted.body.id,
      status: 'COMPLETED',
      recordsCount: 1_200,
      recordsFailedCount: 0,
      object_name: 'contacts',
      job_direction: 'DOWNLOAD',
      instanceId: f.instanceId,
      bulk_start_time: expect.any(String),
      bulk_finish_time: expect.any(String),
    });
    const res = await download(submitted.body.id, 'contacts', { accept: 'application/json' });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
    expect(status.fileSize).toBe(Buffer.byteLength(text));
    const exported = jsonLines(text);
    const listed = await listAll('contacts');
    expect(listed).toHaveLength(1_200);
    expect(exported).toEqual(listed);
  });

  it('serves CSV with Content-Type text/csv, a dotted header and one row per record', async () => {
    const submitted = await f.hub('POST', '/hubs/crm/bulk/query', {
      body: { query: "select * from contacts where lastName like 'A%'" },
    });
    expect(submitted.status, submitted.text).toBe(200);
    await waitForJob(f, submitted.body.id);
    const listed = await listAll('contacts', "lastName like 'A%'");
    expect(listed.length).toBeGreaterThan(0);
    const res = await download(submitted.body.id, 'contacts', { accept: 'text/csv' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv');
    const text = await res.text();
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
    const [header, ...rows] = csvRows(text);
    expect(header).toContain('id');
    expect(header).toContain('company.id');
    expect(header).toContain('_info.lastUpdated');
    expect(rows).toHaveLength(listed.length);
    const idCol = header!.indexOf('id');
    const lastNameCol = header!.indexOf('lastName');
    const companyCol = header!.indexOf('company.id');
    expect(rows.map((r) => Number(r[idCol]))).toEqual(listed.map((r) => r.id));
    expect(rows.map((r) => r[lastNameCol])).toEqual(listed.map((r) => r.lastName));
    expect(rows.map((r) => Number(r[companyCol]))).toEqual(listed.map((r) => (r.company as Json).id));
    // ?format= wins over Accept; the same CSV again (rendered once, kept).
    const again = await download(submitted.body.id, 'contacts', { accept: 'application/json' }, '?format=csv');
    expect(again.headers.get('content-type')).toBe('text/csv');
    expect(await again.text()).toBe(text);
    const ndjson = await download(submitted.body.id, 'contacts', { accept: 'application/x-ndjson' });
    expect(ndjson.headers.get('content-type')).toBe('application/x-ndjson');
    expect(jsonLines(await ndjson.text())).toEqual(listed);
  });

  it('pushes the where down to ConnectWise conditions', async () => {
    await f.vendor('/_sandbox/stats', { method: 'DELETE' });
    const submitted = await f.hub(
      'POST',
      `/hubs/crm/bulk/query?q=${encodeURIComponent("select * from organizations where city = 'Tampa' or city = 'Miami'")}`,
    );
    expect(submitted.status, submitted.text).toBe(200);
    await waitForJob(f, submitted.body.id);
    const stats = await f.vendor<{ requests: Array<{ path: string; query: Record<string, string> }> }>(
      '/_sandbox/stats',
    );
    const listCalls = stats.body.requests.filter((r) => r.path.endsWith('/company/companies'));
    expect(listCalls.length).toBeGreaterThan(0);
    expect(listCalls[0]!.query.conditions).toBe('city="Tampa" OR city="Miami"');
    expect(listCalls[0]!.query.pageId).toBe('0');
    const exported = jsonLines(await (await download(submitted.body.id, 'organizations')).text());
    expect(exported).toEqual(await listAll('organizations', "city = 'Tampa' or city = 'Miami'"));
  });

  it('pages forward-only after the last id written, so deep pages cost the same as the first', async () => {
    await f.vendor('/_sandbox/stats', { method: 'DELETE' });
    const submitted = await f.hub('POST', `/hubs/crm/bulk/query?q=${encodeURIComponent('select * from contacts')}`);
    await waitForJob(f, submitted.body.id);
    const stats = await f.vendor<{ requests: Array<{ path: string; query: Record<string, string> }> }>(
      '/_sandbox/stats',
    );
    const calls = stats.body.requests.filter((r) => r.path.endsWith('/company/contacts'));
    const pages = calls.filter((r) => r.query.pageId !== undefined);
    expect(pages.map((p) => p.query.pageSize)).toEqual(['1000', '1000']);
    expect(pages.map((p) => p.query.page)).toEqual([undefined, undefined]);
    const listed = await listAll('contacts');
    expect(pages.map((p) => p.query.pageId)).toEqual(['0', String(listed[999]!.id)]);
    // After a full first page, ConnectWise's round trip decides whether to split: a local simulator answers in far
    // less than 50 ms, so no range is planned (no request for the highest id).
    expect(calls.filter((r) => r.query.pageId === undefined)).toEqual([]);
    expect(stats.body.requests.filter((r) => r.path.endsWith('/system/info'))).toHaveLength(1);
  });

  it('select of named fields projects with ConnectWise fields', async () => {
    const submitted = await f.hub('POST', '/hubs/crm/bulk/query', {
      body: { query: 'select firstName, lastName from contacts where id <= 20' },
    });
    expect(submitted.status, submitted.text).toBe(200);
    await waitForJob(f, submitted.body.id);
    const exported = jsonLines(await (await download(submitted.body.id, 'contacts')).text());
    expect(exported).toHaveLength(20);
    for (const r of exported) expect(Object.keys(r).sort()).toEqual(['firstName', 'lastName'].filter((k) => k in r));
  });

  it('exports incrementally from a date with the instance bulk.query.* parameters', async () => {
    const all = await listAll('contacts');
    const dates = all.map((r) => (r._info as Json).lastUpdated as string).sort();
    const from = dates[Math.floor(dates.length / 2)]!;
    const submitted = await f.hub('POST', `/hubs/crm/bulk/query?from=${encodeURIComponent(from)}`, {
      body: { query: 'select * from contacts' },
    });
    expect(submitted.status, submitted.text).toBe(200);
    const status = await waitForJob(f, submitted.body.id);
    // bulk.query.field_name lastUpdated, operator >=, mask yyyy-MM-dd'T'HH:mm:ss'Z' (the seed's values).
    const cut = `${from.slice(0, 19)}Z`;
    const expected = all.filter((r) => ((r._info as Json).lastUpdated as string) >= cut);
    expect(status.recordsCount).toBe(expected.length);
    expect(status.recordsCount).toBeLessThan(all.length);
    const exported = jsonLines(await (await download(submitted.body.id, 'contacts')).text());
    expect(exported.map((r) => r.id)).toEqual(expected.map((r) => r.id));
  });

  it('answers Range requests from the file', async () => {
    const submitted = await f.hub(
      'POST',
      `/hubs/crm/bulk/query?q=${encodeURIComponent('select * from contacts where id <= 50')}`,
    );
    await waitForJob(f, submitted.body.id);
    const whole = await (await download(submitted.body.id, 'contacts')).text();
    const bytes = Buffer.from(whole);
    const part = await download(submitted.body.id, 'contacts', { range: 'bytes=100-70099' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-${Math.min(70099, bytes.length - 1)}/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 70100))).toBe(true);
    const tail = await download(submitted.body.id, 'contacts', { range: 'bytes=-10' });
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(bytes.length - 10))).toBe(true);
    const beyond = await download(submitted.body.id, 'contacts', { range: `bytes=${bytes.length}-` });
    expect(beyond.status).toBe(416);
  });

  it('lists the organization jobs newest first, paged', async () => {
    const first = await f.hub('GET', '/hubs/crm/bulk/jobs?pageSize=2');
    expect(first.status, first.text).toBe(200);
    expect(first.body).toHaveLength(2);
    expect(first.body[0].id).toBeGreaterThan(first.body[1].id);
    const token = first.headers.get('elements-next-page-token');
    expect(token).toBeTruthy();
    const second = await f.hub('GET', `/hubs/crm/bulk?pageSize=2&nextPage=${token}`);
    expect(second.status).toBe(200);
    expect(second.body[0].id).toBeLessThan(first.body[1].id);
  });

  it('adds a _metadata object per record when bulk.add_metadata is true', async () => {
    const patched = await f.platform('PATCH', `/instances/${f.instanceId}`, {
      body: { configuration: { 'bulk.add_metadata': 'true' } },
    });
    expect(patched.status, patched.text).toBe(200);
    try {
      const submitted = await f.hub('POST', '/hubs/crm/bulk/query', {
        body: { query: 'select * from contacts where id <= 3' },
      });
      await waitForJob(f, submitted.body.id);
      const exported = jsonLines(await (await download(submitted.body.id, 'contacts')).text());
      expect(exported).toHaveLength(3);
      expect(exported[2]!._metadata).toEqual({
        jobId: submitted.body.id,
        instanceId: f.instanceId,
        objectName: 'contacts',
        recordIndex: 2,
        extractedAt: expect.any(String),
      });
    } finally {
      await f.platform('PATCH', `/instances/${f.instanceId}`, {
        body: { configuration: { 'bulk.add_metadata': 'false' } },
      });
    }
  });
});

describe('bulk submissions that are refused', () => {
  it('a body-less POST with q in the query string works; without q it is a 400 naming q', async () => {
    const res = await fetch(
      `${f.server.base}/hubs/crm/bulk/query?q=${encodeURIComponent('select * from contacts where id = 1')}`,
      { method: 'POST', headers: { authorization: elementAuth(f.org, f.token), 'content-type': 'application/json' } },
    );
    expect(res.status).toBe(200);
    const none = await f.hub('POST', '/hubs/crm/bulk/query');
    expect(none.status).toBe(400);
    expect(none.body.field).toBe('q');
  });

  it('the query may come as a form field', async () => {
    const res = await fetch(`${f.server.base}/hubs/crm/bulk/query`, {
      method: 'POST',
      headers: {
        authorization: elementAuth(f.org, f.token),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ query: 'select * from contacts where id = 2' }).toString(),
    });
    expect(res.status).toBe(200);
    const job = (await res.json()) as { id: number };
    expect((await waitForJob(f, job.id)).recordsCount).toBe(1);
  });

  it.each([
    ['select * form contacts', 400, 'QUERY_PARSE'],
    ["select * from contacts where lastName = = 'x'", 400, 'QUERY_PARSE'],
    ['select * from widgets', 404, 'NOT_FOUND'],
    ['select * from nosuch/thing', 404, 'NOT_FOUND'],
  ])('%s → %i %s', async (q, status, code) => {
    const res = await f.hub('POST', `/hubs/crm/bulk/query?q=${encodeURIComponent(q)}`);
    expect(res.status, res.text).toBe(status);
    expect(res.body.code).toBe(code);
    expect(res.body.message.length).toBeGreaterThan(10);
  });

  it('a pass-through ConnectWise path can be exported', async () => {
    const submitted = await f.hub(
      'POST',
      `/hubs/crm/bulk/query?q=${encodeURIComponent('select * from system/members')}`,
    );
    expect(submitted.status, submitted.text).toBe(200);
    const status = await waitForJob(f, submitted.body.id);
    expect(status.recordsCount).toBeGreaterThan(0);
    const exported = jsonLines(await (await download(submitted.body.id, 'members')).text());
    expect(exported).toEqual(await listAll('system/members'));
  });

  it('an unsupported Accept is a 406 naming the supported types', async () => {
    const submitted = await f.hub(
      'POST',
      `/hubs/crm/bulk/query?q=${encodeURIComponent('select * from contacts where id = 1')}`,
    );
    await waitForJob(f, submitted.body.id);
    const res = await download(submitted.body.id, 'contacts', { accept: 'application/xml' });
    expect(res.status).toBe(406);
    expect(((await res.json()) as { message: string }).message).toContain('text/csv');
  });

  it("another organization's job is not found", async () => {
    const submitted = await f.hub(
      'POST',
      `/hubs/crm/bulk/query?q=${encodeURIComponent('select * from contacts where id = 1')}`,
    );
    await waitForJob(f, submitted.body.id);
    const other = await f.server.createOrg('Other');
    const created = await call(f.server.base, 'POST', '/instances', {
      auth: orgAuth(other),
      body: seedBody(f.sandbox),
    });
    expect(created.status, created.text).toBe(200);
    const auth = elementAuth(other, created.body.token);
    for (const [method, path] of [
      ['GET', `/hubs/crm/bulk/${submitted.body.id}/status`],
      ['GET', `/hubs/crm/bulk/${submitted.body.id}/contacts`],
      ['GET', `/hubs/crm/bulk/${submitted.body.id}/errors`],
      ['PUT', `/hubs/crm/bulk/${submitted.body.id}/cancel`],
    ] as const) {
      const res = await call(f.server.base, method, path, { auth });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const list = await call(f.server.base, 'GET', '/hubs/crm/bulk/jobs', { auth });
    expect(list.body).toEqual([]);
  });
});

describe('bulk cancel and callbacks', () => {
  it('cancels a running export within 3 s; its partial file stays downloadable', async () => {
    await f.vendor('/_sandbox/faults', { method: 'PATCH', body: JSON.stringify({ latencyMs: 700 }) });
    try {
      const submitted = await f.hub('POST', `/hubs/crm/bulk/query?q=${encodeURIComponent('select * from contacts')}`);
      await waitForJob(f, submitted.body.id, (s) => s.status === 'RUNNING');
      const started = Date.now();
      const cancelled = await f.hub('PUT', `/hubs/crm/bulk/${submitted.body.id}/cancel`);
      expect(cancelled.status, cancelled.text).toBe(200);
      const status = await waitForJob(f, submitted.body.id, (s) => s.status !== 'RUNNING');
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(status.status).toBe('CANCELLED');
      const res = await download(submitted.body.id, 'contacts');
      expect(res.status).toBe(200);
      expect(jsonLines(await res.text())).toHaveLength(status.recordsCount);
      const again = await f.hub('PUT', `/hubs/crm/bulk/${submitted.body.id}/cancel`);
      expect(again.status).toBe(409);
    } finally {
      await f.vendor('/_sandbox/faults', { method: 'PATCH', body: JSON.stringify({ latencyMs: 0 }) });
    }
  });

  it('POSTs the status to Elements-Async-Callback-Url, signed with the instance signature key', async () => {
    const receiver = await startReceiver('/bulk-done');
    try {
      const patched = await f.platform('PATCH', `/instances/${f.instanceId}`, {
        body: { configuration: { 'event.notification.signature.key': 'bulk-secret' } },
      });
      expect(patched.status, patched.text).toBe(200);
      receiver.answer = (_r, n) => ({ status: n === 0 ? 500 : 200 });
      const submitted = await f.hub(
        'POST',
        `/hubs/crm/bulk/query?q=${encodeURIComponent('select * from contacts where id <= 5')}`,
        {
          headers: { 'Elements-Async-Callback-Url': receiver.url },
        },
      );
      expect(submitted.status, submitted.text).toBe(200);
      await receiver.waitFor((all) => all.length > 0, 20_000);
      const got = receiver.received[0]!;
      expect(receiver.requests.length).toBe(2); // the first answer was a 500: retried
      const body = JSON.parse(got.raw) as Json;
      expect(body).toMatchObject({
        id: submitted.body.id,
        status: 'COMPLETED',
        recordsCount: 5,
        object_name: 'contacts',
      });
      expect(got.headers['elements-webhook-signature']).toBe(elementsSignature('bulk-secret', got.raw));
    } finally {
      await receiver.close();
    }
  }, 30_000);

  it('refuses a callback URL the outbound policy forbids', async () => {
    const res = await f.hub('POST', `/hubs/crm/bulk/query?q=${encodeURIComponent('select * from contacts')}`, {
      headers: { 'Elements-Async-Callback-Url': 'http://169.254.169.254/latest' },
    });
    expect(res.status).toBe(400);
    expect(res.body.field).toBe('Elements-Async-Callback-Url');
  });
});
