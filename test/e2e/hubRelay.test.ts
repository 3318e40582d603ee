// Behaviours the simulator cannot show by itself, through a small relay in front of it:
// - filter.response.nulls: the simulator omits nulls (as ConnectWise mostly does), so the relay adds a null
//   property to every contact; the hub drops it by default and keeps it once the configuration says `false`.
// - credentials revoked at the vendor: the relay swaps in a wrong private key, the simulator answers 401, and the
//   hub answers 401 and marks the instance valid:false.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../src/sandbox/index.ts';
import { seedBody, startTestSandbox } from '../helpers/sandbox.ts';
import { call, elementAuth, orgAuth, startTestServer, type TestServer, testDatabaseUrl } from '../helpers/server.ts';

let sandbox: RunningSandbox;
let relay: Server;
let server: TestServer;
let org: Awaited<ReturnType<TestServer['createOrg']>>;
let instance: { id: number; token: string };
let revoked = false;

const withNull = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(withNull) : v && typeof v === 'object' ? { ...(v as object), nickName: null } : v;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const target = new URL(sandbox.httpUrl);
  relay = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const upstream = await fetch(`${target.origin}${req.url}`, {
      method: req.method,
      headers: {
        ...(Object.fromEntries(
          Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'connection'),
        ) as Record<string, string>),
        ...(revoked ? { authorization: `Basic ${Buffer.from('conduit+nobody:wrong').toString('base64')}` } : {}),
      },
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
    });
    const text = await upstream.text();
    const isRecords = req.url?.includes('/company/contacts') && !req.url.includes('/count');
    const body = isRecords && text ? JSON.stringify(withNull(JSON.parse(text))) : text;
    const link = upstream.headers.get('link');
    res.writeHead(upstream.status, { 'content-type': 'application/json', ...(link ? { link } : {}) });
    res.end(body);
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  const relayHost = `127.0.0.1:${(relay.address() as AddressInfo).port}`;
  server = await startTestServer({ env: { CONDUIT_UPSTREAM_ALLOW: `${target.host},${relayHost}` } });
  org = await server.createOrg('Nulls');
  const relayBase = sandbox.apiBase.replace(target.host, relayHost);
  const created = await call(server.base, 'POST', '/instances', {
    auth: orgAuth(org),
    body: seedBody(sandbox, { baseUrl: relayBase }, 'baseUrl'),
  });
  expect(created.status, created.text).toBe(200);
  instance = { id: created.body.id, token: created.body.token };
});
afterAll(async () => {
  await server?.close();
  relay?.close();
  await sandbox?.close();
});

describe(`filter.response.nulls (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('drops nulls by default, keeps them after a configuration PATCH, on the next call', async () => {
    const hub = (path: string) => call(server.base, 'GET', path, { auth: elementAuth(org, instance.token) });
    const setNulls = async (value: string) => {
      const rows = await call(server.base, 'GET', `/instances/${instance.id}/configuration`, { auth: orgAuth(org) });
      const row = rows.body.find((r: { key: string }) => r.key === 'filter.response.nulls');
      const res = await call(server.base, 'PATCH', `/instances/${instance.id}/configuration/${row.id}`, {
        auth: orgAuth(org),
        body: { propertyValue: value },
      });
      expect(res.status).toBe(200);
    };
    const list = await hub('/hubs/crm/contacts?pageSize=3');
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(3);
    for (const r of list.body) expect(r).not.toHaveProperty('nickName');
    const one = await hub(`/hubs/crm/contacts/${list.body[0].id}`);
    expect(one.body).not.toHaveProperty('nickName');

    await setNulls('false');
    const kept = await hub('/hubs/crm/contacts?pageSize=3');
    for (const r of kept.body) expect(r.nickName).toBeNull();
    expect((await hub(`/hubs/crm/contacts/${list.body[0].id}`)).body.nickName).toBeNull();

    await setNulls('true');
    const dropped = await hub('/hubs/crm/contacts?pageSize=3');
    for (const r of dropped.body) expect(r).not.toHaveProperty('nickName');
  });

  it('a vendor 401 answers 401 and marks the instance valid:false', async () => {
    revoked = true;
    try {
      const res = await call(server.base, 'GET', '/hubs/crm/contacts?pageSize=1', {
        auth: elementAuth(org, instance.token),
      });
      expect(res.status).toBe(401);
      expect(res.body.message).toContain('public.key');
      const view = await call(server.base, 'GET', `/instances/${instance.id}`, { auth: orgAuth(org) });
      expect(view.body.valid).toBe(false);
    } finally {
      revoked = false;
    }
  });
});
