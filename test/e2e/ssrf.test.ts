// SSRF end to end: every URL in the corpus is refused wherever a tenant can configure an outbound URL, and no
// outbound call follows a redirect to a refused address. Add new callers (bulk callbacks, formula httpRequest
// steps) to `callers` below; the corpus lives in ssrf.corpus.ts.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../src/sandbox/index.ts';
import { sandboxAllow, seedBody, startTestSandbox } from '../helpers/sandbox.ts';
import { type ApiResponse, call, elementAuth, orgAuth, startTestServer, type TestServer } from '../helpers/server.ts';
import { contactsOnly, cwClient, sleep } from './events.support.ts';
import { ssrfCorpus } from './ssrf.corpus.ts';

interface Listener {
  server: Server;
  port: number;
  hits: Array<{ method: string; url: string }>;
}

async function listen(
  handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void,
) {
  const hits: Listener['hits'] = [];
  const server = createServer((req, res) => {
    hits.push({ method: req.method ?? '', url: req.url ?? '' });
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, hits } satisfies Listener;
}

const close = (l?: Listener) => new Promise<void>((r) => (l ? l.server.close(() => r()) : r()));

let sandbox: RunningSandbox;
let server: TestServer;
let org: Awaited<ReturnType<TestServer['createOrg']>>;
let auth: string;
/** A private address nothing may reach: on loopback, never allow-listed. */
let target: Listener;
/** Allow-listed: answers /system/info like ConnectWise, redirects everything else (and webhooks) to the target. */
let redirector: Listener;
/** An instance against the simulator: PATCHed by the callback-URL caller, its token used by the bulk caller. */
let patchTarget: number;
let patchToken: string;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  target = await listen((_req, res) => res.end('{"version":"target"}'));
  redirector = await listen((req, res) => {
    if (req.url === '/v4_6_release/apis/3.0/system/info') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"version":"v2025.1"}');
      return;
    }
    res.writeHead(302, { location: `http://127.0.0.1:${target.port}${req.url}` }).end();
  });
  server = await startTestServer({
    env: {
      CONDUIT_UPSTREAM_ALLOW: `${sandboxAllow(sandbox)},127.0.0.1:${redirector.port}`,
      CONDUIT_POLL_MIN_INTERVAL_S: '0.2',
      CONDUIT_WEBHOOK_RETRY_BASE_MS: '100',
    },
  });
  org = await server.createOrg('Ssrf');
  auth = orgAuth(org);
  const created = await provision(seedBody(sandbox));
  expect(created.status).toBe(200);
  patchTarget = created.body.id;
  patchToken = created.body.token;
}, 30_000);

afterAll(async () => {
  await server?.close();
  await sandbox?.close();
  await close(target);
  await close(redirector);
});

// biome-ignore lint/suspicious/noExplicitAny: responses are read field by field
const provision = (body: unknown): Promise<ApiResponse<any>> => call(server.base, 'POST', '/instances', { auth, body });
const count = async () => (await call(server.base, 'GET', '/instances/count', { auth })).body.count as number;

/** Each place a tenant configures an outbound URL: it sends `url` there and answers the response. */
interface Caller {
  name: string;
  field: string;
  path: string;
  send(url: string): Promise<ApiResponse>;
  /** URLs this caller can carry at all (an HTTP header cannot carry non-Latin-1 characters). */
  carries?: (url: string) => boolean;
}

const callers: Caller[] = [
  {
    name: 'POST /instances baseUrl',
    field: 'configuration.baseUrl',
    path: '/v4_6_release/apis/3.0',
    send: (url) => provision(seedBody(sandbox, { baseUrl: url, baseURL: undefined }, 'baseUrl')),
  },
  {
    name: 'POST /instances event.notification.callback.url',
    field: 'configuration.event.notification.callback.url',
    path: '/hook',
    send: (url) =>
      provision(
        seedBody(sandbox, {
          'event.notification.enabled': true,
          'event.notification.callback.url': url,
          'event.vendor.type': 'polling',
          'event.poller.configuration': contactsOnly,
        }),
      ),
  },
  {
    name: 'PATCH /instances/{id} event.notification.callback.url',
    field: 'configuration.event.notification.callback.url',
    path: '/hook',
    send: (url) =>
      call(server.base, 'PATCH', `/instances/${patchTarget}`, {
        auth,
        body: {
          configuration: {
            'event.notification.enabled': true,
            'event.notification.callback.url': url,
            'event.vendor.type': 'polling',
            'event.poller.configuration': contactsOnly,
          },
        },
      }),
  },
  {
    name: 'POST /hubs/crm/bulk/query Elements-Async-Callback-Url',
    field: 'Elements-Async-Callback-Url',
    path: '/hook',
    carries: (url) => !/[^\x20-\xff]/.test(url),
    send: (url) =>
      call(server.base, 'POST', `/hubs/crm/bulk/query?q=${encodeURIComponent('select * from contacts')}`, {
        auth: elementAuth(org, patchToken),
        headers: { 'Elements-Async-Callback-Url': url },
      }),
  },
];

describe.each(callers)('$name', (caller) => {
  let before: number;
  beforeAll(async () => {
    before = await count();
  });

  it.each(ssrfCorpus(caller.path).filter((u) => caller.carries?.(u) ?? true))('refuses %s', async (url) => {
    const res = await caller.send(url);
    expect(res.status).toBe(400);
    expect((res.body as { field?: string }).field).toBe(caller.field);
  });

  it('saved nothing and contacted no refused address', async () => {
    expect(await count()).toBe(before);
    const stored = await call(server.base, 'GET', `/instances/${patchTarget}`, { auth });
    expect(stored.status).toBe(200);
    expect(stored.body.eventsEnabled).toBe(false);
    expect(stored.body.eventsNotificationCallbackUrl).toBe('false');
    const jobs = await call(server.base, 'GET', '/hubs/crm/bulk/jobs', { auth: elementAuth(org, patchToken) });
    expect(jobs.status).toBe(200);
    expect(jobs.body).toEqual([]); // no bulk job was created with a refused callback URL
    expect(target.hits).toEqual([]);
  });
});

describe('redirects', () => {
  it('a hub call to an allow-listed upstream that redirects to a private address is not followed', async () => {
    const created = await provision(
      seedBody(sandbox, { baseUrl: `http://127.0.0.1:${redirector.port}/v4_6_release/apis/3.0` }, 'baseUrl'),
    );
    expect(created.status).toBe(200);
    const before = redirector.hits.length;
    const res = await call(server.base, 'GET', '/hubs/crm/contacts?pageSize=5', {
      auth: elementAuth(org, created.body.token),
    });
    expect(redirector.hits.length).toBeGreaterThan(before);
    // Not followed, and not passed on as a bare 3xx: the caller learns the upstream redirected.
    expect(res.status).toBe(502);
    expect(res.body.code).toBe('UPSTREAM_ERROR');
    expect(res.body.message).toMatch(/redirect/i);
    expect(target.hits).toEqual([]);
    await call(server.base, 'DELETE', `/instances/${created.body.id}`, { auth });
  });

  it('provisioning does not follow a redirect from an allow-listed baseUrl', async () => {
    const before = await count();
    const res = await provision(
      seedBody(sandbox, { baseUrl: `http://127.0.0.1:${redirector.port}/redirect/apis/3.0` }, 'baseUrl'),
    );
    expect(res.status).toBe(400);
    expect(res.body.field).toBe('configuration.baseUrl');
    expect(await count()).toBe(before);
    expect(target.hits).toEqual([]);
  });

  it('a bulk job callback to an allow-listed receiver that redirects to a private address is not followed', async () => {
    const before = redirector.hits.filter((h) => h.url === '/bulk-hook').length;
    const res = await call(
      server.base,
      'POST',
      `/hubs/crm/bulk/query?q=${encodeURIComponent('select * from contacts where id <= 5')}`,
      {
        auth: elementAuth(org, patchToken),
        headers: { 'Elements-Async-Callback-Url': `http://127.0.0.1:${redirector.port}/bulk-hook` },
      },
    );
    expect(res.status).toBe(200);
    const until = Date.now() + 20_000;
    while (redirector.hits.filter((h) => h.url === '/bulk-hook').length === before && Date.now() < until)
      await sleep(50);
    expect(redirector.hits.filter((h) => h.url === '/bulk-hook').length).toBeGreaterThan(before);
    await sleep(300);
    expect(target.hits).toEqual([]);
  });

  it('a webhook delivery to an allow-listed receiver that redirects to a private address is not followed', async () => {
    const created = await provision(
      seedBody(sandbox, {
        'event.notification.enabled': true,
        'event.notification.callback.url': `http://127.0.0.1:${redirector.port}/hook`,
        'event.vendor.type': 'polling',
        'event.poller.refresh_interval': '0.01',
        'event.poller.configuration': contactsOnly,
      }),
    );
    expect(created.status).toBe(200);
    await sleep(800); // first poll: the baseline of known ids
    await cwClient(sandbox).createContact('Redirected');
    const until = Date.now() + 15_000;
    while (!redirector.hits.some((h) => h.method === 'POST' && h.url === '/hook') && Date.now() < until)
      await sleep(50);
    expect(redirector.hits.some((h) => h.method === 'POST' && h.url === '/hook')).toBe(true);
    await sleep(300);
    expect(target.hits).toEqual([]);
    await call(server.base, 'DELETE', `/instances/${created.body.id}`, { auth });
  });
});
