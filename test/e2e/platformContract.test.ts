// The Cloud Elements platform contract (issue 14, Platform): element-scoped instance routes, the count shape,
// providerData accepted and never echoed, and CORS — over real HTTP, the ConnectWise simulator as upstream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../src/sandbox/index.ts';
import { sandboxAllow, seedBody, startTestSandbox } from '../helpers/sandbox.ts';
import { call, orgAuth, startTestServer, type TestServer, testDatabaseUrl } from '../helpers/server.ts';

const CE_EXPOSED = [
  'Elements-Returned-Count',
  'Elements-Total-Count',
  'Elements-Request-Id',
  'Elements-Next-Page-Token',
  'Elements-Trace-Id',
  'Elements-Error',
  'Content-Disposition',
];

describe(`platform contract (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  let sandbox: RunningSandbox;
  let server: TestServer;
  let org: Awaited<ReturnType<TestServer['createOrg']>>;
  let other: Awaited<ReturnType<TestServer['createOrg']>>;
  let instanceId: number;
  const providerSecret = 'provider-code-4c1d9e';

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    server = await startTestServer({ env: { CONDUIT_UPSTREAM_ALLOW: sandboxAllow(sandbox) } });
    org = await server.createOrg('Acme');
    other = await server.createOrg('Globex');
    const res = await call(server.base, 'POST', '/instances', {
      auth: orgAuth(org),
      body: { ...seedBody(sandbox), providerData: { code: providerSecret } },
    });
    expect(res.status).toBe(200);
    instanceId = res.body.id;
  });
  afterAll(async () => {
    await server?.close();
    await sandbox?.close();
  });

  it('providerData is accepted on POST/PUT/PATCH, kept sealed, and never echoed back', async () => {
    const auth = orgAuth(org);
    const put = await call(server.base, 'PUT', `/instances/${instanceId}`, {
      auth,
      body: { ...seedBody(sandbox), providerData: { code: `${providerSecret}-put` } },
    });
    expect(put.status).toBe(200);
    const patch = await call(server.base, 'PATCH', `/instances/${instanceId}`, {
      auth,
      body: { name: 'Patched', providerData: { code: `${providerSecret}-patch` } },
    });
    expect(patch.status).toBe(200);
    expect(patch.body.name).toBe('Patched');
    for (const res of [
      put,
      patch,
      await call(server.base, 'GET', `/instances/${instanceId}`, { auth }),
      await call(server.base, 'GET', '/instances', { auth }),
      await call(server.base, 'GET', `/instances/${instanceId}/configuration`, { auth }),
    ]) {
      expect(res.text).not.toContain(providerSecret);
      expect(res.text).not.toContain('providerData');
    }
    const row = await server.runtime.deps.store.db
      .selectFrom('instances')
      .select('provider_data_sealed')
      .where('id', '=', instanceId)
      .executeTakeFirstOrThrow();
    expect(row.provider_data_sealed).toMatch(/^enc:/);
    expect(row.provider_data_sealed).not.toContain(providerSecret);
    expect(JSON.parse(server.runtime.deps.box.decrypt(row.provider_data_sealed!))).toEqual({
      code: `${providerSecret}-patch`,
    });
  });

  it('GET /instances/count answers {totalInstances, elementInstances:[{element:{id,key,name}, count}]} and count', async () => {
    const second = await call(server.base, 'POST', '/instances', {
      auth: orgAuth(org),
      body: { ...seedBody(sandbox), name: 'Second' },
    });
    expect(second.status).toBe(200);
    const res = await call(server.base, 'GET', '/instances/count', { auth: orgAuth(org) });
    expect(res.status).toBe(200);
    expect(res.body.totalInstances).toBe(2);
    expect(res.body.count).toBe(2);
    expect(res.body.elementInstances).toEqual([
      { element: { id: second.body.element.id, key: 'connectwisecrmrest', name: second.body.element.name }, count: 2 },
    ]);
    const empty = await call(server.base, 'GET', '/instances/count', { auth: orgAuth(other) });
    expect(empty.body).toEqual({ totalInstances: 0, count: 0, elementInstances: [] });
    await call(server.base, 'DELETE', `/instances/${second.body.id}`, { auth: orgAuth(org) });
  });

  it('GET|PUT|PATCH|DELETE /elements/{keyOrId}/instances/{id} behave as /instances/{id}', async () => {
    const auth = orgAuth(org);
    const plain = await call(server.base, 'GET', `/instances/${instanceId}`, { auth });
    const byKey = await call(server.base, 'GET', `/elements/connectwisecrmrest/instances/${instanceId}`, { auth });
    expect(byKey.status).toBe(200);
    expect(byKey.body).toEqual(plain.body);
    const byId = await call(server.base, 'GET', `/elements/${plain.body.element.id}/instances/${instanceId}`, {
      auth,
    });
    expect(byId.status).toBe(200);
    expect(byId.body.id).toBe(instanceId);

    const list = await call(server.base, 'GET', '/elements/connectwisecrmrest/instances', { auth });
    expect(list.status).toBe(200);
    expect(list.body.map((i: { id: number }) => i.id)).toEqual([instanceId]);

    const patched = await call(server.base, 'PATCH', `/elements/connectwisecrmrest/instances/${instanceId}`, {
      auth,
      body: { tags: ['scoped'] },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.tags).toEqual(['scoped']);
    const put = await call(server.base, 'PUT', `/elements/connectwisecrmrest/instances/${instanceId}`, {
      auth,
      body: { ...seedBody(sandbox), name: 'Replaced', tags: ['put'] },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ name: 'Replaced', tags: ['put'] });

    // Another element, an unknown element, another organization: 404, and nothing changes.
    const unknown = await call(server.base, 'GET', `/elements/salesforce/instances/${instanceId}`, { auth });
    expect(unknown.status).toBe(404);
    const foreign = await call(server.base, 'PATCH', `/elements/connectwisecrmrest/instances/${instanceId}`, {
      auth: orgAuth(other),
      body: { name: 'stolen' },
    });
    expect(foreign.status).toBe(404);
    expect((await call(server.base, 'GET', `/instances/${instanceId}`, { auth })).body.name).toBe('Replaced');
    const bad = await call(server.base, 'GET', '/elements/connectwisecrmrest/instances/abc', { auth });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('id');

    const doomed = await call(server.base, 'POST', '/elements/connectwisecrmrest/instances', {
      auth,
      body: { ...seedBody(sandbox), name: 'Doomed' },
    });
    expect(doomed.status).toBe(200);
    const del = await call(server.base, 'DELETE', `/elements/connectwisecrmrest/instances/${doomed.body.id}`, {
      auth,
    });
    expect(del.status).toBe(200);
    expect((await call(server.base, 'GET', `/instances/${doomed.body.id}`, { auth })).status).toBe(404);
  });

  it('a CORS preflight allows every method and the headers clients send', async () => {
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      const res = await fetch(`${server.base}/instances/${instanceId}`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://app.example.com',
          'access-control-request-method': method,
          'access-control-request-headers': 'authorization, content-type, elements-version, idempotency-key',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      const methods = (res.headers.get('access-control-allow-methods') ?? '').split(',').map((m) => m.trim());
      expect(methods).toContain(method);
      const headers = (res.headers.get('access-control-allow-headers') ?? '')
        .split(',')
        .map((h) => h.trim().toLowerCase());
      for (const h of ['authorization', 'content-type', 'elements-version', 'idempotency-key'])
        expect(headers).toContain(h);
    }
  });

  it('CORS responses expose Cloud Elements’ seven headers first', async () => {
    const res = await fetch(`${server.base}/instances`, {
      headers: { origin: 'https://app.example.com', authorization: orgAuth(org) },
    });
    expect(res.status).toBe(200);
    const exposed = (res.headers.get('access-control-expose-headers') ?? '').split(',').map((h) => h.trim());
    expect(exposed.slice(0, 7)).toEqual(CE_EXPOSED);
    expect(exposed).toContain('Retry-After');
  });
});
