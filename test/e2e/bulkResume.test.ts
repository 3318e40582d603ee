// Bulk jobs survive a restart: the server is stopped mid-job (server.stop()), a new one starts on the same data
// directory and store, and the job finishes from its committed watermark — every record exactly once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../src/sandbox/index.ts';
import { sandboxAllow, seedBody, startTestSandbox } from '../helpers/sandbox.ts';
import { call, elementAuth, orgAuth, startTestServer, type TestServer, testDatabaseUrl } from '../helpers/server.ts';
import { bulkUpload, waitForJob } from './bulk.support.ts';

type Json = Record<string, unknown>;

let sandbox: RunningSandbox;
let dataDir: string;
const servers: TestServer[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox({ contacts: 5_000 });
  dataDir = mkdtempSync(join(tmpdir(), 'conduit-bulk-resume-'));
});
afterAll(async () => {
  for (const s of servers.slice(0, -1)) await s.stop();
  await servers[servers.length - 1]?.close();
  await sandbox?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(previous?: TestServer): Promise<TestServer> {
  const s = await startTestServer({
    dataDir,
    ...(previous?.pgSchema ? { pgSchema: previous.pgSchema } : {}),
    env: { CONDUIT_UPSTREAM_ALLOW: sandboxAllow(sandbox) },
  });
  servers.push(s);
  return s;
}

const faults = (body: Json) =>
  fetch(`${sandbox.httpUrl}/_sandbox/faults`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe(`bulk jobs across a restart (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  let org: Awaited<ReturnType<TestServer['createOrg']>>;
  let token: string;

  it('an export stopped mid-way resumes on the next server; the file has every record exactly once', async () => {
    let server = await start();
    org = await server.createOrg('Resume');
    const created = await call(server.base, 'POST', '/instances', { auth: orgAuth(org), body: seedBody(sandbox) });
    expect(created.status, created.text).toBe(200);
    token = created.body.token;
    const hub = (s: TestServer) => ({
      hub: (method: string, path: string) => call(s.base, method, path, { auth: elementAuth(org, token) }),
    });
    await faults({ latencyMs: 400 });
    const submitted = await hub(server).hub(
      'POST',
      `/hubs/crm/bulk/query?q=${encodeURIComponent('select * from contacts')}`,
    );
    expect(submitted.status, submitted.text).toBe(200);
    const id = submitted.body.id as number;
    const mid = await waitForJob(hub(server), id, (s) => s.recordsCount >= 1_000);
    expect(mid.status).toBe('RUNNING');
    expect(mid.recordsCount).toBeLessThan(5_000);
    await server.stop();
    await faults({ latencyMs: 0 });

    server = await start(server);
    const done = await waitForJob(hub(server), id);
    expect(done.status).toBe('COMPLETED');
    expect(done.recordsCount).toBe(5_000);
    const res = await fetch(`${server.base}/hubs/crm/bulk/${id}/contacts`, {
      headers: { authorization: elementAuth(org, token) },
    });
    const ids = (await res.text())
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as Json).id as number);
    expect(ids).toHaveLength(5_000);
    expect(new Set(ids).size).toBe(5_000);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  }, 60_000);

  it('an upload stopped mid-way resumes after its last committed record; each record is created once', async () => {
    let server = servers[servers.length - 1]!;
    const company = (
      await call(server.base, 'GET', '/hubs/crm/organizations?pageSize=1', { auth: elementAuth(org, token) })
    ).body[0].id;
    const lines = Array.from({ length: 120 }, (_, i) =>
      JSON.stringify({ firstName: `R${i}`, lastName: 'BulkResume', company: { id: company } }),
    ).join('\n');
    await faults({ latencyMs: 40 });
    const up = await bulkUpload({ server, org, token }, 'contacts', { content: lines, type: 'application/x-ndjson' });
    expect(up.status, up.text).toBe(200);
    const hubOf = (s: TestServer) => ({
      hub: (method: string, path: string) => call(s.base, method, path, { auth: elementAuth(org, token) }),
    });
    const mid = await waitForJob(hubOf(server), up.body.id, (s) => s.recordsCount >= 20);
    expect(mid.status).toBe('RUNNING');
    await server.stop();
    await faults({ latencyMs: 0 });
    server = await start(server);
    const done = await waitForJob(hubOf(server), up.body.id);
    expect(done).toMatchObject({ status: 'COMPLETED', recordsCount: 120, recordsFailedCount: 0 });
    const listed = await call(
      server.base,
      'GET',
      `/hubs/crm/contacts?pageSize=500&where=${encodeURIComponent("lastName = 'BulkResume'")}`,
      { auth: elementAuth(org, token) },
    );
    const names = (listed.body as Json[]).map((c) => c.firstName as string);
    expect(names).toHaveLength(120);
    expect(new Set(names).size).toBe(120);
  }, 60_000);

  it('with bulk_upload_recover=false an interrupted upload ends FAILED instead of resuming', async () => {
    let server = servers[servers.length - 1]!;
    const auth = elementAuth(org, token);
    const id = (await call(server.base, 'GET', '/instances', { auth: orgAuth(org) })).body[0].id;
    const patched = await call(server.base, 'PATCH', `/instances/${id}`, {
      auth: orgAuth(org),
      body: { configuration: { bulk_upload_recover: 'false' } },
    });
    expect(patched.status, patched.text).toBe(200);
    const company = (await call(server.base, 'GET', '/hubs/crm/organizations?pageSize=1', { auth })).body[0].id;
    const lines = Array.from({ length: 120 }, (_, i) =>
      JSON.stringify({ firstName: `N${i}`, lastName: 'BulkNoRecover', company: { id: company } }),
    ).join('\n');
    await faults({ latencyMs: 40 });
    const up = await bulkUpload({ server, org, token }, 'contacts', { content: lines, type: 'application/x-ndjson' });
    const hubOf = (s: TestServer) => ({ hub: (method: string, path: string) => call(s.base, method, path, { auth }) });
    await waitForJob(hubOf(server), up.body.id, (s) => s.recordsCount >= 20);
    await server.stop();
    await faults({ latencyMs: 0 });
    server = await start(server);
    const done = await waitForJob(hubOf(server), up.body.id);
    expect(done.status).toBe('FAILED');
    expect(done.recordsCount).toBeLessThan(120);
    expect(done.infoMessage).toContain('bulk_upload_recover=false');
  }, 60_000);
});
