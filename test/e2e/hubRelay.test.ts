// Behaviours the simulator cannot show by itself, through a small relay in front of it:
// - filter.response.nulls: the simulator omits nulls (as ConnectWise mostly does), so the relay adds a null
//   property to every contact; the hub drops it by default and keeps it once the configuration says `false`.
//   With `trickle` on, the relay sends a UTF-8 BOM and then the body in small, separately flushed pieces, cutting
//   the only `null` in two, as a slow vendor connection can deliver it.
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
let trickle = false;

const pause = () => new Promise((r) => setTimeout(r, 2));

/** The body in pieces of ~200 bytes, the first `null` split between two of them. */
async function writeTrickled(res: import('node:http').ServerResponse, body: string): Promise<void> {
  const bytes = Buffer.from(body);
  const cutAt = bytes.indexOf('null');
  const cuts = new Set<number>(cutAt >= 0 ? [cutAt + 2] : []);
  for (let i = 200; i < bytes.length; i += 200) cuts.add(i);
  res.write(Buffer.from([0xef, 0xbb, 0xbf]));
  let from = 0;
  for (const at of [...cuts].sort((a, b) => a - b)) {
    res.write(bytes.subarray(from, at));
    from = at;
    await pause();
  }
  res.end(bytes.subarray(from));
}

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
    // Trickled pages carry one null only (in the first record), so only the seam can reveal it.
    const records = isRecords && text ? (JSON.parse(text) as unknown[]) : undefined;
    const body = !records
      ? text
      : JSON.stringify(trickle ? [withNull(records[0]), ...records.slice(1)] : withNull(records));
    const link = upstream.headers.get('link');
    res.writeHead(upstream.status, { 'content-type': 'application/json', ...(link ? { link } : {}) });
    if (trickle) await writeTrickled(res, body);
    else res.end(body);
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

  it('reads a body that arrives in pieces after a BOM: finds a null cut in two, passes null-free pages on', async () => {
    const hub = (path: string) => call(server.base, 'GET', path, { auth: elementAuth(org, instance.token) });
    trickle = true;
    try {
      // Full pages (the vendor links a next page) take the path that sends the vendor's pieces on unparsed.
      const contacts = await hub('/hubs/crm/contacts?pageSize=5');
      expect(contacts.status, contacts.text).toBe(200);
      expect(contacts.body).toHaveLength(5);
      for (const r of contacts.body) expect(r).not.toHaveProperty('nickName');
      const companies = await hub('/hubs/crm/organizations?pageSize=5');
      expect(companies.status, companies.text).toBe(200);
      expect(companies.text.charCodeAt(0)).toBe(0x5b);
      expect(companies.body).toHaveLength(5);
      expect(companies.headers.get('content-length')).toBe(String(Buffer.byteLength(companies.text)));
      trickle = false;
      expect((await hub('/hubs/crm/organizations?pageSize=5')).body).toEqual(companies.body);
    } finally {
      trickle = false;
    }
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
