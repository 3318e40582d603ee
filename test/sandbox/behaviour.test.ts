/** Simulator behaviour beyond §10: faults, control API, roles, versions, callbacks, persistence, CLI. */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSandbox, registerSandboxCommand, startSandbox } from '../../src/sandbox/index.ts';
import { basic, type CwClient, cwClient, enc, linkRels } from './client.ts';

async function control(
  sb: RunningSandbox,
  method: 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
) {
  const res = await request(`${sb.httpUrl}/_sandbox${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: text ? (JSON.parse(text) as unknown) : undefined };
}

describe('sandbox behaviour', () => {
  let sb: RunningSandbox;
  let cw: CwClient;

  beforeAll(async () => {
    sb = await startSandbox({
      quiet: true,
      apiKeys: [
        { publicKey: 'RO', privateKey: 'ro-secret', role: 'readonly' },
        { publicKey: 'CRM', privateKey: 'crm-secret', role: 'crm' },
      ],
      tokenTtlSeconds: 60,
      callbackRetryDelaysMs: [20, 40],
    });
    cw = cwClient(sb, 'http');
  });
  afterAll(() => sb.close());

  it('uses the documented default credentials', () => {
    expect(sb.credentials).toEqual({
      company: 'conduit',
      publicKey: 'sandbox-public-key',
      privateKey: 'sandbox-private-key',
      clientId: '6b1a1c1e-0000-4000-8000-000000000001',
    });
    expect(sb.apiBase).toBe(`${sb.httpUrl}/v4_6_release/apis/3.0`);
    expect(sb.httpsUrl).toBeUndefined();
  });

  it('routes versioned codebases, any case of query names, + and %20 spaces', async () => {
    const versioned = await cw.call('GET', '//v2025_1/apis/3.0/company/companies?PAGESIZE=3');
    expect(versioned.status).toBe(200);
    expect(versioned.json).toHaveLength(3);
    expect((versioned.json as { _info: { contacts_href: string } }[])[0]?._info.contacts_href).toContain(
      '/v2025_1/apis/3.0/',
    );
    const plus = await cw.call('GET', '/company/companies/count?Conditions=name+like+%22Acme%25%22');
    const pct = await cw.call('GET', '/company/companies/count?conditions=name%20like%20%22Acme%25%22');
    expect(plus.json).toEqual({ count: 1 });
    expect(pct.json).toEqual(plus.json);
    expect((await cw.call('GET', '//v4_7_bogus/apis/3.0/company/companies')).status).toBe(404);
  });

  it('answers 405 for a wrong verb and 404 NotFound for a child of a missing parent', async () => {
    const r = await cw.call('DELETE', '/company/companies');
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET, POST');
    const notes = await cw.call('GET', '/service/tickets/99999/notes');
    expect(notes.json).toEqual({ code: 'NotFound', message: 'Ticket 99999 not found' });
  });

  it('validates writes like CW: required fields, max length by model version, bad references', async () => {
    const missing = await cw.call('POST', '/service/tickets', { body: { company: { id: 1 } } });
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({
      code: 'InvalidObject',
      message: 'ticket object is invalid',
      errors: [{ code: 'NullValue', field: 'summary' }],
    });
    const long = await cw.call('POST', '/service/tickets', { body: { summary: 'x'.repeat(101), company: { id: 1 } } });
    expect((long.json as { errors: unknown[] }).errors).toEqual([
      {
        code: 'MaxLengthField',
        message: 'The field summary must be a string with a maximum length of 100.',
        resource: 'ticket',
        field: 'summary',
      },
    ]);
    const name40 = { identifier: 'LEN40', name: 'N'.repeat(40), addressLine1: 'x' };
    const old = await cw.call('POST', '/company/companies', {
      body: { ...name40, identifier: 'A'.repeat(31) },
      headers: { accept: 'application/vnd.connectwise.com+json; version=2025.1' },
    });
    expect((old.json as { errors: { code: string; field: string }[] }).errors).toEqual([
      expect.objectContaining({ code: 'MaxLengthField', field: 'identifier' }),
    ]);
    const current = await cw.call('POST', '/company/companies', { body: { ...name40, identifier: 'A'.repeat(31) } });
    expect(current.status).toBe(201);
    const badStatus = await cw.call('POST', '/service/tickets', {
      body: { summary: 's', company: { id: 1 }, board: { id: 1 }, status: { id: 7 } },
    });
    expect((badStatus.json as { errors: unknown[] }).errors).toEqual([
      {
        code: 'NotFound',
        message: 'Service Status 7 not found for Service Board 1',
        resource: 'ticket',
        field: 'status/id',
      },
    ]);
    const badPatch = await cw.call('PATCH', '/service/tickets/1', {
      body: [{ op: 'replace', path: 'Summary', value: 'x' }],
    });
    expect(badPatch.status).toBe(400);
  });

  it('moves lastUpdated on every write and closes tickets with a closed status', async () => {
    const created = (await cw.call('POST', '/service/tickets', { body: { summary: 'to close', company: { id: 1 } } }))
      .json as {
      id: number;
      _info: { lastUpdated: string };
      board: { id: number };
    };
    const closed = (
      await cw.call('GET', `/service/boards/${created.board.id}/statuses?conditions=${enc('closedStatus=true')}`)
    ).json as { id: number }[];
    const path = `/service/tickets/${created.id}`;
    const first = await cw.call('PATCH', path, {
      body: [{ op: 'replace', path: 'status', value: { id: closed[0]?.id } }],
    });
    const second = await cw.call('PATCH', path, { body: [{ op: 'replace', path: 'summary', value: 'again' }] });
    const a = Date.parse((first.json as { _info: { lastUpdated: string } })._info.lastUpdated);
    const b = Date.parse((second.json as { _info: { lastUpdated: string } })._info.lastUpdated);
    expect(a).toBeGreaterThan(Date.parse(created._info.lastUpdated));
    expect(b).toBeGreaterThan(a);
    expect(first.json).toMatchObject({ closedFlag: true, closedBy: 'APIMember' });
    expect(created).not.toHaveProperty('closedDate');
    const recent = await cw.call(
      'GET',
      `/service/tickets?conditions=${enc(`lastUpdated >= [${new Date(b).toISOString()}]`)}&fields=id`,
    );
    expect(recent.json).toEqual([{ id: created.id }]);
  });

  it('reuses an answered list page only until a write, also to a record the page references', async () => {
    const page = `/company/contacts?conditions=${enc('company/id=2')}&pageSize=5`;
    const before = (await cw.call('GET', page)).json as { id: number; company: { name: string } }[];
    expect(before.length).toBeGreaterThan(0);
    const again = await cw.call('GET', page);
    expect(again.json).toEqual(before); // the cached rendering is the same document
    const renamed = `Renamed ${Date.now()}`;
    expect(
      (await cw.call('PATCH', '/company/companies/2', { body: [{ op: 'replace', path: 'name', value: renamed }] }))
        .status,
    ).toBe(200);
    const after = (await cw.call('GET', page)).json as { id: number; company: { name: string } }[];
    expect(after.map((c) => c.id)).toEqual(before.map((c) => c.id));
    for (const c of after) expect(c.company.name).toBe(renamed);
    const one = (await cw.call('GET', `/company/contacts/${before[0]?.id}`)).json;
    expect(after[0]).toEqual(one);
  });
  it('serves contact communications as their own collection', async () => {
    const created = await cw.call('POST', '/company/contacts/1/communications', {
      body: { type: { name: 'Cell' }, value: '555-0199' },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      contactId: 1,
      value: '555-0199',
      communicationType: 'Phone',
      type: { name: 'Cell' },
    });
    const id = (created.json as { id: number }).id;
    const contact = (await cw.call('GET', '/company/contacts/1')).json as { communicationItems: { id: number }[] };
    expect(contact.communicationItems.map((i) => i.id)).toContain(id);
    expect((await cw.call('DELETE', `/company/contacts/1/communications/${id}`)).status).toBe(204);
    expect((await cw.call('GET', `/company/contacts/1/communications/${id}`)).status).toBe(404);
  });

  it('links configurations to tickets', async () => {
    expect((await cw.call('POST', '/service/tickets/3/configurations', { body: { id: 5 } })).status).toBe(201);
    const list = await cw.call('GET', '/service/tickets/3/configurations');
    expect((list.json as { id: number }[]).map((c) => c.id)).toEqual([5]);
    expect((await cw.call('GET', '/service/tickets/3/configurations/count')).json).toEqual({ count: 1 });
  });

  it('scopes narrower API members: readonly and crm roles → 403 Security', async () => {
    const ro = { authorization: basic('conduit', 'RO', 'ro-secret') };
    expect((await cw.call('GET', '/company/companies/1', { headers: ro })).status).toBe(200);
    const denied = await cw.call('POST', '/company/companies', {
      headers: ro,
      body: { identifier: 'RO1', name: 'n', addressLine1: 'a' },
    });
    expect(denied.status).toBe(403);
    expect(denied.json).toEqual({
      code: 'Security',
      message: 'You do not have security permission to perform this action.',
    });
    const crm = { authorization: basic('conduit', 'CRM', 'crm-secret') };
    expect((await cw.call('GET', '/system/members', { headers: crm })).status).toBe(403);
    expect((await cw.call('GET', '/system/info', { headers: crm })).status).toBe(200);
    expect(
      (await cw.call('GET', '/system/info', { headers: { authorization: basic('CONDUIT', 'RO', 'ro-secret') } }))
        .status,
    ).toBe(401);
  });

  it('expires impersonation tokens with the simulator clock', async () => {
    const t = (await cw.call('POST', '/system/members/asmith/tokens', { body: {} })).json as {
      publicKey: string;
      privateKey: string;
    };
    const auth = { authorization: basic('conduit', t.publicKey, t.privateKey) };
    expect((await cw.call('GET', '/system/info', { headers: auth })).status).toBe(200);
    await control(sb, 'POST', '/clock', { offsetSeconds: 120 });
    const expired = await cw.call('GET', '/system/info', { headers: auth });
    expect(expired.status).toBe(401);
    await control(sb, 'POST', '/clock', { offsetSeconds: 0 });
    expect((await cw.call('POST', '/system/members/nobody/tokens', { body: {} })).json).toEqual({
      code: 'NotFound',
      message: 'Member nobody not found',
    });
  });

  it('injects faults from the control API: rate limit, 500s, timeouts, truncated JSON, latency', async () => {
    expect((await control(sb, 'PUT', '/faults', { rateLimit: 2, rateWindowSeconds: 30 })).status).toBe(200);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await cw.call('GET', '/system/info')).status);
    expect(statuses).toEqual([200, 200, 429]);
    const limited = await cw.call('GET', '/system/info');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(30);
    await control(sb, 'PUT', '/faults', { errorRate: 1 });
    expect((await cw.call('GET', '/system/info')).status).toBe(500);
    await control(sb, 'PUT', '/faults', { timeoutRate: 1 });
    expect((await cw.call('GET', '/system/info')).json).toEqual({
      code: 'ConnectWiseApi',
      message: 'A timeout has occured. Please try again.',
    });
    await control(sb, 'PUT', '/faults', { truncateRate: 1 });
    const cut = await cw.call('GET', '/company/companies');
    expect(cut.status).toBe(200);
    expect(() => JSON.parse(cut.text)).toThrow();
    await control(sb, 'PUT', '/faults', { latencyMs: 150 });
    const t0 = Date.now();
    await cw.call('GET', '/system/info');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect((await control(sb, 'PUT', '/faults', { bogus: 1 })).status).toBe(400);
    expect((await control(sb, 'PUT', '/faults', {})).json).toMatchObject({ rateLimit: 0, latencyMs: 0, errorRate: 0 });
    expect((await cw.call('GET', '/system/info')).status).toBe(200);
  });

  it('counts requests per path and route, resettable (push-down evidence)', async () => {
    await control(sb, 'DELETE', '/stats');
    await cw.call('GET', `/company/contacts?conditions=${enc('company/id = 1')}&pageSize=5`);
    await cw.call('GET', '/company/contacts/3');
    const stats = (await control(sb, 'GET', '/stats')).json as {
      total: number;
      paths: Record<string, number>;
      routes: Record<string, number>;
      requests: { query: Record<string, string> }[];
    };
    expect(stats.total).toBe(2);
    expect(stats.paths).toEqual({ 'GET /company/contacts': 1, 'GET /company/contacts/3': 1 });
    expect(stats.routes).toEqual({ 'GET /company/contacts': 1, 'GET /company/contacts/{id}': 1 });
    expect(stats.requests[0]?.query).toEqual({ conditions: 'company/id = 1', pageSize: '5' });
  });

  it('delivers callbacks with retries on 429, honours skipCallback and disables after failures', async () => {
    let calls = 0;
    const hub: Server = createServer((req, res) => {
      req.resume();
      calls++;
      res.writeHead(calls === 1 ? 429 : 200).end();
    });
    await new Promise<void>((r) => hub.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hub.address() as AddressInfo).port}/hook`;
    const cb = await cw.call('POST', '/system/callbacks', {
      body: { url, objectId: 1, type: 'company', level: 'owner' },
    });
    expect(cb.status).toBe(201);
    await control(sb, 'DELETE', '/callbacks/deliveries');
    await cw.call('PATCH', '/company/companies/2', {
      body: [{ op: 'replace', path: 'phoneNumber', value: '555-0000' }],
    });
    const deadline = Date.now() + 3000;
    let deliveries: { status?: number; attempt: number; url: string; payload: { Action: string } }[] = [];
    while (Date.now() < deadline) {
      deliveries = (await control(sb, 'GET', '/callbacks/deliveries')).json as typeof deliveries;
      if (deliveries.length >= 2) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(deliveries.map((d) => [d.attempt, d.status])).toEqual([
      [1, 429],
      [2, 200],
    ]);
    expect(deliveries[0]?.url).toBe(`${url}?action=updated&id=2`);
    await new Promise<void>((r) => hub.close(() => r()));
    // A ticket write with skipCallback sends nothing; a failing company callback gets disabled.
    const ticketCb = await cw.call('POST', '/system/callbacks', {
      body: { url, objectId: 1, type: 'ticket', level: 'owner' },
    });
    await control(sb, 'DELETE', '/callbacks/deliveries');
    await cw.call('PATCH', '/service/tickets/4', {
      body: [
        { op: 'replace', path: 'summary', value: 'quiet change' },
        { op: 'replace', path: 'skipCallback', value: true },
      ],
    });
    await new Promise((r) => setTimeout(r, 100));
    expect((await control(sb, 'GET', '/callbacks/deliveries')).json).toEqual([]);
    await cw.call('DELETE', `/system/callbacks/${(ticketCb.json as { id: number }).id}`);
    await control(sb, 'POST', '/clock', { offsetSeconds: 0 });
    await cw.call('PATCH', '/company/companies/2', {
      body: [{ op: 'replace', path: 'phoneNumber', value: '555-0001' }],
    });
    await new Promise((r) => setTimeout(r, 200));
    await control(sb, 'POST', '/clock', { offsetSeconds: 4 * 86_400 });
    await cw.call('PATCH', '/company/companies/2', {
      body: [{ op: 'replace', path: 'phoneNumber', value: '555-0002' }],
    });
    const id = (cb.json as { id: number }).id;
    let inactive = false;
    for (let i = 0; i < 100 && !inactive; i++) {
      await new Promise((r) => setTimeout(r, 20));
      inactive = ((await cw.call('GET', `/system/callbacks/${id}`)).json as { inactiveFlag: boolean }).inactiveFlag;
    }
    expect(inactive).toBe(true);
    await control(sb, 'POST', '/clock', { offsetSeconds: 0 });
  });

  it('resets data and stats from the control API, deterministically per seed', async () => {
    expect((await control(sb, 'POST', '/reset', {})).status).toBe(200);
    const before = (await cw.call('GET', '/company/contacts?pageSize=5')).json;
    await cw.call('POST', '/company/companies', { body: { identifier: 'TEMP', name: 'Temp', addressLine1: 'a' } });
    await cw.call('PATCH', '/company/contacts/1', { body: [{ op: 'replace', path: 'title', value: 'Changed' }] });
    expect((await control(sb, 'POST', '/reset', {})).status).toBe(200);
    expect((await cw.call('GET', `/company/companies/count?conditions=${enc('identifier="TEMP"')}`)).json).toEqual({
      count: 0,
    });
    expect((await cw.call('GET', '/company/contacts?pageSize=5')).json).toEqual(before);
    expect((await control(sb, 'GET', '/stats')).json).toMatchObject({ total: 2 });
    expect((await control(sb, 'POST', '/reset', { sizes: { contacts: 7 } })).status).toBe(200);
    expect((await cw.call('GET', '/company/contacts/count')).json).toEqual({ count: 7 });
    expect((await control(sb, 'POST', '/reset', { sizes: { widgets: 1 } })).status).toBe(400);
  });
});

describe('sandbox options', () => {
  it('accepts any clientId, or none in older-instance mode', async () => {
    const any = await startSandbox({ quiet: true, clientIds: 'any', companies: 3, contacts: 3, tickets: 3 });
    const anyCw = cwClient(any, 'http');
    expect((await anyCw.call('GET', '/system/info', { headers: { clientId: 'whatever' } })).status).toBe(200);
    expect((await anyCw.call('GET', '/system/info', { headers: { clientId: undefined } })).status).toBe(400);
    await any.close();
    const old = await startSandbox({
      quiet: true,
      clientIdRequired: false,
      clientIdErrorStatus: 401,
      companies: 3,
      contacts: 3,
    });
    expect((await cwClient(old, 'http').call('GET', '/system/info', { headers: { clientId: undefined } })).status).toBe(
      200,
    );
    await old.close();
  });

  it('persists the data set to a file and loads it on the next start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-sandbox-'));
    const file = join(dir, 'data.json');
    try {
      const first = await startSandbox({ quiet: true, persistFile: file, companies: 4, contacts: 4, tickets: 4 });
      const created = await cwClient(first, 'http').call('POST', '/company/companies', {
        body: { identifier: 'KEEP', name: 'Kept', addressLine1: 'a' },
      });
      await first.close();
      const second = await startSandbox({ quiet: true, persistFile: file });
      const got = await cwClient(second, 'http').call(
        'GET',
        `/company/companies/${(created.json as { id: number }).id}`,
      );
      expect(got.json).toMatchObject({ identifier: 'KEEP', site: { name: 'Main' } });
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('holds large sets and pages them through Link', async () => {
    const big = await startSandbox({ quiet: true, contacts: 20_000, companies: 100 });
    const c = cwClient(big, 'http');
    const page = await c.call('GET', '/company/contacts?pageSize=5000&page=3');
    expect((page.json as unknown[]).length).toBe(1000);
    expect(linkRels(page.headers.link).last).toMatch(/page=20$/);
    await big.close();
  });

  it('documents every flag in `sandbox --help`', () => {
    const program = new Command('conduit').exitOverride();
    registerSandboxCommand(program);
    const sandbox = program.commands.find((c) => c.name() === 'sandbox');
    expect(sandbox).toBeDefined();
    const help = sandbox?.helpInformation() ?? '';
    for (const flag of [
      '--host',
      '--port',
      '--https-port',
      '--no-https',
      '--tls-cert',
      '--tls-key',
      '--company',
      '--public-key',
      '--private-key',
      '--client-id',
      '--no-client-id-required',
      '--client-id-status',
      '--company-case-insensitive',
      '--api-key',
      '--seed',
      '--companies',
      '--contacts',
      '--tickets',
      '--configurations',
      '--opportunities',
      '--activities',
      '--time-entries',
      '--persist-file',
      '--token-ttl',
      '--rate-limit',
      '--rate-window',
      '--latency',
      '--error-rate',
      '--timeout-rate',
      '--truncate-rate',
      '--timeout-delay',
      '--clock-offset',
      '--callback-retry-delays',
      '--callback-timeout',
      '--callback-disable-after',
      '--callback-url-mode',
      '--quiet',
    ]) {
      expect(help).toContain(flag);
    }
    for (const o of sandbox?.options ?? []) expect(o.description.length).toBeGreaterThan(5);
  });
});
