// Bad input gets a clear 4xx naming the field, and nothing is saved.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../src/sandbox/index.ts';
import { sandboxAllow, seedBody, startTestSandbox } from '../helpers/sandbox.ts';
import { call, elementAuth, orgAuth, startTestServer, type TestServer, testDatabaseUrl } from '../helpers/server.ts';

describe(`instances: bad input (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  let sandbox: RunningSandbox;
  let server: TestServer;
  let org: Awaited<ReturnType<TestServer['createOrg']>>;
  let other: Awaited<ReturnType<TestServer['createOrg']>>;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    server = await startTestServer({ env: { CONDUIT_UPSTREAM_ALLOW: sandboxAllow(sandbox) } });
    org = await server.createOrg('Acme');
    other = await server.createOrg('Other');
  });
  afterAll(async () => {
    await server?.close();
    await sandbox?.close();
  });

  const post = (body: unknown, auth = orgAuth(org)) => call(server.base, 'POST', '/instances', { auth, body });
  const count = async () =>
    (await call(server.base, 'GET', '/instances/count', { auth: orgAuth(org) })).body.count as number;

  it('names every missing required parameter', async () => {
    const res = await post({ element: { key: 'connectwisecrmrest' }, configuration: { company: 'x' }, name: 'n' });
    expect(res.status).toBe(400);
    expect(res.body.requestId).toMatch(/^[0-9a-f]{24}$/);
    for (const k of ['baseUrl', 'public.key', 'private.key', 'connectwise.clientID'])
      expect(res.body.message).toContain(k);
    expect(res.body.message).not.toContain('company,');
  });

  it('names a parameter of the wrong type', async () => {
    const body = seedBody(sandbox, { company: 12345 });
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('configuration.company must be a string');
  });

  it.each([
    ['wrong private key', { 'private.key': 'nope' }, /private\.key/],
    ['wrong public key', { 'public.key': 'nope' }, /public\.key/],
    ['unknown company', { company: 'nosuchco' }, /company/],
    ['unknown client id', { 'connectwise.clientID': 'not-a-registered-id' }, /connectwise\.clientID/],
  ])('rejects %s with 400 naming the parameter and saves nothing', async (_label, overrides, pattern) => {
    const before = await count();
    const res = await post(seedBody(sandbox, overrides));
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(pattern);
    expect(res.body.providerMessage).toBeTruthy();
    expect(await count()).toBe(before);
  });

  it('rejects an unreachable host and a URL that is not a ConnectWise API root', async () => {
    const closedPort = new URL(sandbox.httpUrl);
    const unreachable = await call(server.base, 'POST', '/instances', {
      auth: orgAuth(org),
      body: seedBody(sandbox, { baseURL: `${sandbox.httpUrl}/nope/apis/3.0` }),
    });
    expect(unreachable.status).toBe(400);
    expect(unreachable.body.message).toMatch(/baseUrl/);
    const notRoot = await post(seedBody(sandbox, { baseURL: `${sandbox.httpUrl}/v4_6_release` }));
    expect(notRoot.status).toBe(400);
    expect(notRoot.body.message).toMatch(/baseUrl/);
    expect(closedPort.host).toBeTruthy();
  });

  it.each([
    'http://127.0.0.1:1/v4_6_release/apis/3.0',
    'https://10.0.0.1/v4_6_release/apis/3.0',
    'https://169.254.169.254/v4_6_release/apis/3.0',
    'https://2130706433/v4_6_release/apis/3.0',
    'https://[::1]/v4_6_release/apis/3.0',
    'https://localhost/v4_6_release/apis/3.0',
  ])('refuses baseUrl %s by the outbound policy before connecting', async (url) => {
    const res = await post(seedBody(sandbox, { baseURL: url }));
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/^baseUrl /);
    expect(res.body.field).toBe('configuration.baseUrl');
  });

  it('answers malformed JSON, wrong body types and unknown elements with 400/404, never 500', async () => {
    const bad = await call(server.base, 'POST', '/instances', { auth: orgAuth(org), rawBody: '{"element": ' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/not valid JSON/);
    const tags = await post({ ...seedBody(sandbox), tags: 'not-an-array' });
    expect(tags.status).toBe(400);
    expect(tags.body.message).toContain('body.tags');
    const unknown = await post({ ...seedBody(sandbox), element: { key: 'nosuchelement' } });
    expect(unknown.status).toBe(404);
    const noElement = await post({ configuration: {} });
    expect(noElement.status).toBe(400);
    expect(noElement.body.message).toContain('element.key');
  });

  it.each([
    ['absent', undefined],
    ['garbage', 'Bearer abc'],
    ['unknown user', 'User nope, Organization nope'],
    ['user without organization', 'User x'],
  ])('refuses %s Authorization with 401 JSON', async (_label, auth) => {
    const res = await call(server.base, 'GET', '/instances', { auth });
    expect(res.status).toBe(401);
    expect(res.body.message).toBeTruthy();
  });

  it('refuses a user secret paired with another organization', async () => {
    const res = await call(server.base, 'GET', '/instances', {
      auth: `User ${org.userSecret}, Organization ${other.organizationSecret}`,
    });
    expect(res.status).toBe(401);
  });

  it("hides another organization's instance (404) and its token (401)", async () => {
    const created = await post(seedBody(sandbox));
    expect(created.status).toBe(200);
    const id = created.body.id;
    for (const [method, path] of [
      ['GET', `/instances/${id}`],
      ['PATCH', `/instances/${id}`],
      ['DELETE', `/instances/${id}`],
      ['GET', `/instances/${id}/configuration`],
      ['PUT', `/instances/${id}/enabled`],
    ] as const) {
      const res = await call(server.base, method, path, {
        auth: orgAuth(other),
        body: method === 'PATCH' ? { name: 'x' } : undefined,
      });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.text).not.toContain(created.body.token);
    }
    const viaToken = await call(server.base, 'GET', '/instances/configuration', {
      auth: elementAuth(other, created.body.token),
    });
    expect(viaToken.status).toBe(401);
  });

  it('sends Elements-Request-Id and exposes the Elements headers to browsers (CORS)', async () => {
    const res = await call(server.base, 'GET', '/instances', {
      auth: orgAuth(org),
      headers: { origin: 'https://app.example' },
    });
    expect(res.headers.get('elements-request-id')).toMatch(/^[0-9a-f]{24}$/);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const exposed = res.headers.get('access-control-expose-headers') ?? '';
    for (const h of [
      'Elements-Returned-Count',
      'Elements-Total-Count',
      'Elements-Request-Id',
      'Elements-Next-Page-Token',
      'Elements-Trace-Id',
      'Elements-Error',
      'Content-Disposition',
    ]) {
      expect(exposed).toContain(h);
    }
  });

  it('answers unknown routes and bad ids with JSON 4xx', async () => {
    expect((await call(server.base, 'GET', '/nope', { auth: orgAuth(org) })).status).toBe(404);
    const badId = await call(server.base, 'GET', '/instances/abc', { auth: orgAuth(org) });
    expect(badId.status).toBe(400);
    expect(badId.body.message).toContain('params.id');
  });
});

describe('restart keeps organizations and instances', () => {
  it('a second start on the same data dir does not re-bootstrap and keeps the instance', async () => {
    const sandbox = await startTestSandbox();
    const logs1: string[] = [];
    const first = await startTestServer({
      env: { CONDUIT_UPSTREAM_ALLOW: sandboxAllow(sandbox), CONDUIT_BOOTSTRAP: 'true' },
      logs: logs1,
    });
    const secrets = logs1.join('\n');
    const orgSecret = /Organization secret: (\S+)/.exec(secrets)?.[1];
    const userSecret = /User secret:\s+(\S+)/.exec(secrets)?.[1];
    expect(orgSecret && userSecret).toBeTruthy();
    const auth = `User ${userSecret}, Organization ${orgSecret}`;
    const created = await call(first.base, 'POST', '/instances', { auth, body: seedBody(sandbox) });
    expect(created.status).toBe(200);
    await first.stop();

    const logs2: string[] = [];
    const second = await startTestServer({
      env: { CONDUIT_UPSTREAM_ALLOW: sandboxAllow(sandbox), CONDUIT_BOOTSTRAP: 'true' },
      dataDir: first.dataDir,
      pgSchema: first.pgSchema,
      logs: logs2,
    });
    expect(logs2.join('\n')).not.toContain('Organization secret');
    const got = await call(second.base, 'GET', `/instances/${created.body.id}`, { auth });
    expect(got.status).toBe(200);
    expect(got.body.token).toBe(created.body.token);
    await second.close();
    await first.close();
    await sandbox.close();
  });
});
