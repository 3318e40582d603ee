// A large export split into id ranges fetched side by side (CONDUIT_BULK_PARTITIONS) writes the same file as a
// one-range export: same records, same order, same CSV columns — and survives a restart and a cancel.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../src/sandbox/index.ts';
import { sandboxAllow, seedBody, startTestSandbox } from '../helpers/sandbox.ts';
import { call, elementAuth, orgAuth, startTestServer, type TestServer, testDatabaseUrl } from '../helpers/server.ts';
import { waitForJob } from './bulk.support.ts';
import type { HubFixture } from './hubFixture.ts';

type Json = Record<string, unknown>;
type Requests = { requests: Array<{ path: string; query: Record<string, string> }> };
type Hub = HubFixture['hub'];

const CONTACTS = 9_000;
let sandbox: RunningSandbox;
let dataDir: string;
const servers: TestServer[] = [];

interface Client {
  server: TestServer;
  auth: string;
  hub: Hub;
}

/** A server on `dataDir` (the partitioned one, restartable) or on its own (the one-range reference). */
async function client(partitions: number, shared?: { previous?: TestServer; auth?: string }): Promise<Client> {
  const server = await startTestServer({
    ...(shared ? { dataDir } : {}),
    ...(shared?.previous?.pgSchema ? { pgSchema: shared.previous.pgSchema } : {}),
    env: { CONDUIT_UPSTREAM_ALLOW: sandboxAllow(sandbox), CONDUIT_BULK_PARTITIONS: String(partitions) },
  });
  servers.push(server);
  let auth = shared?.auth;
  if (!auth) {
    const org = await server.createOrg(`P${partitions}`);
    const created = await call(server.base, 'POST', '/instances', { auth: orgAuth(org), body: seedBody(sandbox) });
    if (created.status !== 200) throw new Error(created.text);
    auth = elementAuth(org, created.body.token as string);
  }
  const a = auth;
  return { server, auth: a, hub: (method, path, o = {}) => call(server.base, method, path, { auth: a, ...o }) };
}

let parted: Client;
let single: Client;

beforeAll(async () => {
  sandbox = await startTestSandbox({ contacts: CONTACTS });
  dataDir = mkdtempSync(join(tmpdir(), 'conduit-bulk-parts-'));
  parted = await client(4, {});
  single = await client(1);
}, 60_000);
afterAll(async () => {
  for (const s of servers) if (s !== parted?.server && s !== single?.server) await s.stop();
  await parted?.server.close();
  await single?.server.close();
  await sandbox?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const faults = (body: Json) =>
  fetch(`${sandbox.httpUrl}/_sandbox/faults`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const stats = async () => (await (await fetch(`${sandbox.httpUrl}/_sandbox/stats`)).json()) as Requests;

const submit = async (c: Client, q: string) => {
  const res = await c.hub('POST', `/hubs/crm/bulk/query?q=${encodeURIComponent(q)}`);
  expect(res.status, res.text).toBe(200);
  return (res.body as Json).id as number;
};
const download = (c: Client, id: number, accept = 'application/json') =>
  fetch(`${c.server.base}/hubs/crm/bulk/${id}/contacts`, { headers: { authorization: c.auth, accept } }).then(
    async (r) => {
      expect(r.status).toBe(200);
      return r.text();
    },
  );
const idsOf = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as Json).id as number);

describe(`bulk export in id ranges side by side (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  let reference: string;

  it('a quick ConnectWise (round trip under 50 ms) is exported as one range: more would only contend for the CPU', async () => {
    await fetch(`${sandbox.httpUrl}/_sandbox/stats`, { method: 'DELETE' });
    const id = await submit(parted, 'select * from contacts');
    expect(await waitForJob(parted, id, undefined, 60_000)).toMatchObject({
      status: 'COMPLETED',
      recordsCount: CONTACTS,
    });
    const forward = (await stats()).requests.filter((r) => r.path.endsWith('/company/contacts') && r.query.pageId);
    expect(forward.some((r) => r.query.conditions?.includes('id<='))).toBe(false);
    expect(forward).toHaveLength(CONTACTS / 1000 + 1);
  }, 120_000);

  it('writes the same JSON Lines and CSV as a one-range export, fetching the ranges side by side', async () => {
    await faults({ latencyMs: 80 }); // ConnectWise-like round trips: worth splitting
    const q = 'select * from contacts';
    const refId = await submit(single, q);
    expect(await waitForJob(single, refId, undefined, 60_000)).toMatchObject({ status: 'COMPLETED' });
    reference = await download(single, refId);
    expect(idsOf(reference)).toHaveLength(CONTACTS);

    await fetch(`${sandbox.httpUrl}/_sandbox/stats`, { method: 'DELETE' });
    const id = await submit(parted, q);
    const done = await waitForJob(parted, id, undefined, 60_000);
    expect(done).toMatchObject({ status: 'COMPLETED', recordsCount: CONTACTS });
    expect(done.fileSize).toBe(Buffer.byteLength(reference));
    expect(await download(parted, id)).toBe(reference);
    expect(await download(parted, id, 'text/csv')).toBe(await download(single, refId, 'text/csv'));

    // The ranges: the first page, then 4 ranges each from its own pageId, all but the last bounded by `id<=hi`.
    const forward = (await stats()).requests.filter((r) => r.path.endsWith('/company/contacts') && r.query.pageId);
    const bounds = new Set(forward.map((r) => /id<=(\d+)/.exec(r.query.conditions ?? '')?.[1]).filter(Boolean));
    expect(bounds.size).toBe(3);
    const firsts = new Set(forward.map((r) => r.query.conditions ?? 'open'));
    expect(firsts.size).toBe(4);
    await faults({ latencyMs: 0 });
  }, 120_000);

  it('a where still applies inside every range, and the result equals the list API order', async () => {
    await fetch(`${sandbox.httpUrl}/_sandbox/stats`, { method: 'DELETE' });
    await faults({ latencyMs: 80 });
    const q = "select * from contacts where lastName != 'Nobody' or firstName != 'Nobody'";
    const id = await submit(parted, q);
    expect(await waitForJob(parted, id, undefined, 60_000)).toMatchObject({ status: 'COMPLETED' });
    expect(await download(parted, id)).toBe(reference);
    const forward = (await stats()).requests.filter((r) => r.path.endsWith('/company/contacts') && r.query.pageId);
    const bounded = forward.filter((r) => r.query.conditions?.includes('id<='));
    expect(bounded.length).toBeGreaterThan(0);
    // The OR keeps its parentheses: the range bound applies to the whole where.
    for (const r of bounded)
      expect(r.query.conditions).toMatch(/^\(lastName!="Nobody" OR firstName!="Nobody"\) AND id<=\d+$/);
    await faults({ latencyMs: 0 });
  }, 120_000);

  // A second per ConnectWise page: every range commits each page it gets, and there is time to stop in between.
  it('a server stopped mid-way resumes every range; the file still equals the one-range export', async () => {
    await faults({ latencyMs: 1_000 });
    const id = await submit(parted, 'select * from contacts');
    // The first page and at least one range's page are committed; the ranges are still running.
    const mid = await waitForJob(parted, id, (s) => s.recordsCount >= 2_000, 60_000);
    expect(mid.status).toBe('RUNNING');
    await parted.server.stop();
    await faults({ latencyMs: 0 });
    parted = await client(4, { previous: parted.server, auth: parted.auth });
    const done = await waitForJob(parted, id, undefined, 60_000);
    expect(done, done.infoMessage).toMatchObject({ status: 'COMPLETED', recordsCount: CONTACTS });
    expect(await download(parted, id)).toBe(reference);
  }, 120_000);

  it('a cancel stops every range; the partial file is downloadable, in id order, as counted', async () => {
    await faults({ latencyMs: 1_000 });
    try {
      const id = await submit(parted, 'select * from contacts');
      const mid = await waitForJob(parted, id, (s) => s.recordsCount >= 2_000, 60_000);
      expect(mid.status).toBe('RUNNING');
      const cancelled = await parted.hub('PUT', `/hubs/crm/bulk/${id}/cancel`);
      expect(cancelled.status, cancelled.text).toBe(200);
      const done = await waitForJob(parted, id, undefined, 10_000);
      expect(done.status).toBe('CANCELLED');
      const ids = idsOf(await download(parted, id));
      expect(ids).toHaveLength(done.recordsCount);
      expect(ids.length).toBeLessThan(CONTACTS);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(ids.length);
    } finally {
      await faults({ latencyMs: 0 });
    }
  }, 120_000);
});
