// CONDUIT_BULK_DEADLINE_MS: each upstream page of a bulk job has its own deadline. A stalled ConnectWise makes
// a page miss it; the page is retried with backoff, and the job either goes on (the stall ended) or ends FAILED
// naming the deadline — in bounded time, not after the (longer) hub deadline per try.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../src/sandbox/index.ts';
import { sandboxAllow, seedBody, startTestSandbox } from '../helpers/sandbox.ts';
import { call, elementAuth, orgAuth, startTestServer, type TestServer, testDatabaseUrl } from '../helpers/server.ts';
import { waitForJob } from './bulk.support.ts';

let sandbox: RunningSandbox;
let server: TestServer;
let auth: string;

const faults = async (body: Record<string, number>) => {
  const res = await fetch(`${sandbox.httpUrl}/_sandbox/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
};
const hub = (method: string, path: string) => call(server.base, method, path, { auth });
const exportContacts = async () => {
  const res = await hub('POST', `/hubs/crm/bulk/query?q=${encodeURIComponent('select * from contacts')}`);
  expect(res.status, res.text).toBe(200);
  return res.body.id as number;
};

beforeAll(async () => {
  sandbox = await startTestSandbox({ contacts: 2_500 });
  server = await startTestServer({
    // The hub deadline stays long: were bulk on it, each stalled try would take 20 s.
    env: {
      CONDUIT_UPSTREAM_ALLOW: sandboxAllow(sandbox),
      CONDUIT_BULK_DEADLINE_MS: '300',
      CONDUIT_HUB_DEADLINE_MS: '20000',
    },
  });
  const org = await server.createOrg('Deadline');
  const created = await call(server.base, 'POST', '/instances', { auth: orgAuth(org), body: seedBody(sandbox) });
  expect(created.status, created.text).toBe(200);
  auth = elementAuth(org, created.body.token);
});
afterAll(async () => {
  await faults({}).catch(() => undefined);
  await server?.close();
  await sandbox?.close();
});

describe(`bulk per-page deadline (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('a page stalled past CONDUIT_BULK_DEADLINE_MS is retried; when the stall ends the export completes', async () => {
    await faults({ latencyMs: 60_000 });
    const id = await exportContacts();
    // The first try of the first page misses its 300 ms deadline; the job waits to retry.
    await new Promise((r) => setTimeout(r, 1_200));
    const stalled = await waitForJob({ hub }, id, () => true);
    expect(stalled).toMatchObject({ status: 'RUNNING', recordsCount: 0 });
    await faults({});
    const done = await waitForJob({ hub }, id, undefined, 20_000);
    expect(done).toMatchObject({ status: 'COMPLETED', recordsCount: 2_500 });
    const file = await fetch(`${server.base}/hubs/crm/bulk/${id}/contacts`, { headers: { authorization: auth } });
    const ids = (await file.text())
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { id: number }).id);
    expect(new Set(ids).size).toBe(2_500);
    expect(ids).toHaveLength(2_500);
  }, 30_000);

  it('a ConnectWise that stays stalled ends the export FAILED naming the deadline, in bounded time', async () => {
    await faults({ latencyMs: 60_000 });
    const started = Date.now();
    const id = await exportContacts();
    const done = await waitForJob({ hub }, id, undefined, 40_000);
    const seconds = (Date.now() - started) / 1000;
    expect(done.status).toBe('FAILED');
    expect(done.infoMessage).toMatch(/Export stopped after 0 records: .*did not answer within the 300 ms deadline/);
    // Five tries of 300 ms and 15 s of backoff between them; on the hub deadline it would be over 100 s.
    expect(seconds).toBeLessThan(30);
    await faults({});
  }, 45_000);
});
