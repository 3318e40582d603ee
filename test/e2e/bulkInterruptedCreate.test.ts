// The state a SIGKILL leaves mid-import — a create's Idempotency-Key claimed (`pending`) and its answer never
// stored — settled the way a resumed import does: the record ConnectWise got is adopted, one it never got is sent
// again, an ambiguous match fails rather than risk a duplicate. (`npm run chaos` produces this state with real
// kills; this pins each outcome down.) Real store, real engine, the simulator over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newDataKey } from '../../src/bulk/files.ts';
import { interruptedCreates, settleInterruptedCreate } from '../../src/bulk/interruptedCreate.ts';
import type { JobTarget } from '../../src/bulk/jobContext.ts';
import { jobTarget } from '../../src/bulk/jobContext.ts';
import type { BulkJob } from '../../src/bulk/jobs.ts';
import type { RunningSandbox } from '../../src/sandbox/index.ts';
import { claimIdempotencyKey, findIdempotencyKey } from '../../src/store/hub.ts';
import { sandboxAllow, seedBody, startTestSandbox } from '../helpers/sandbox.ts';
import { call, orgAuth, startTestServer, type TestServer, testDatabaseUrl } from '../helpers/server.ts';
import { cwClient } from './events.support.ts';

let sandbox: RunningSandbox;
let server: TestServer;
let t: JobTarget;
const JOB = 9_001;

beforeAll(async () => {
  sandbox = await startTestSandbox({ contacts: 20 });
  server = await startTestServer({ env: { CONDUIT_UPSTREAM_ALLOW: sandboxAllow(sandbox) } });
  const org = await server.createOrg('Interrupted');
  const created = await call(server.base, 'POST', '/instances', { auth: orgAuth(org), body: seedBody(sandbox) });
  expect(created.status, created.text).toBe(200);
  const deps = server.runtime.deps;
  const job = { instanceId: created.body.id, objectName: 'contacts', dataKey: newDataKey(deps.box).sealed };
  const target = await jobTarget(deps, job as BulkJob);
  if (!target.ok) throw new Error(target.error.message);
  t = target.value;
});
afterAll(async () => {
  await server?.close();
  await sandbox?.close();
});

/** What the killed run did before it died: claimed the key of record `index` (as createRecord stores it). */
const claim = (index: number) =>
  claimIdempotencyKey(t.engine.store!.db, t.instance.id, `contacts::bulk:${JOB}:${index}`, 'hash');
const stored = (index: number) =>
  findIdempotencyKey(t.engine.store!.db, t.instance.id, `contacts::bulk:${JOB}:${index}`);

describe(`an import's creates interrupted by a crash (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('finds the pending keys of the job, and only those', async () => {
    await claim(3);
    await claim(17);
    await claimIdempotencyKey(t.engine.store!.db, t.instance.id, `contacts::bulk:${JOB + 1}:4`, 'hash');
    expect([...(await interruptedCreates(t, JOB))].sort((a, b) => a - b)).toEqual([3, 17]);
  });

  it('adopts the one record ConnectWise created, without a second POST', async () => {
    // Record 3 (claimed above): the killed run's POST reached ConnectWise.
    const made = await cwClient(sandbox).createContact('Ada-3');
    const settled = await settleInterruptedCreate(t, `bulk:${JOB}:3`, { firstName: 'Ada-3', lastName: 'Events' });
    expect(settled?.ok && settled.value.id).toBe(made.id);
    const key = await stored(3);
    expect(key?.state).toBe('done');
    expect(JSON.parse(key?.responseBody ?? '{}').id).toBe(made.id);
  });

  it('frees the key of a create ConnectWise never got, so it is sent again', async () => {
    // Record 17 (claimed above): the killed run died before its POST reached ConnectWise.
    const settled = await settleInterruptedCreate(t, `bulk:${JOB}:17`, { firstName: 'Bo', lastName: 'Interrupted-2' });
    expect(settled).toBeUndefined();
    expect(await stored(17)).toBeUndefined();
  });

  it('fails a record that matches several records created since, naming them', async () => {
    const cw = cwClient(sandbox);
    const a = await cw.createContact('Twin');
    const b = await cw.createContact('Twin');
    await claim(5);
    const settled = await settleInterruptedCreate(t, `bulk:${JOB}:5`, { firstName: 'Twin', lastName: 'Events' });
    expect(settled?.ok).toBe(false);
    if (settled && !settled.ok) {
      expect(settled.error.code).toBe('CONFLICT');
      expect(settled.error.message).toContain(`${a.id}, ${b.id}`);
    }
    expect(await stored(5)).toMatchObject({ state: 'pending' });
  });

  it('leaves a create that was never claimed, or already answered, to the create itself', async () => {
    expect(await settleInterruptedCreate(t, `bulk:${JOB}:99`, { firstName: 'Cy' })).toBeUndefined();
    expect(await stored(99)).toBeUndefined();
  });
});
