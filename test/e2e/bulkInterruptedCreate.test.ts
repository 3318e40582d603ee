// The state a SIGKILL leaves mid-import — creates claimed in the watermark, maybe sent, their outcome never
// committed — settled the way a resumed import does: the record ConnectWise got is adopted, one it never got is
// sent again, an ambiguous match fails rather than risk a duplicate. (`npm run chaos` produces this state with
// real kills; this pins each outcome down.) Real store, real engine, the simulator over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newDataKey } from '../../src/bulk/files.ts';
import { interruptedCreates, openClaims, settleInterruptedCreate } from '../../src/bulk/interruptedCreate.ts';
import type { JobTarget } from '../../src/bulk/jobContext.ts';
import { jobTarget } from '../../src/bulk/jobContext.ts';
import type { BulkJob } from '../../src/bulk/jobs.ts';
import type { RunningSandbox } from '../../src/sandbox/index.ts';
import { sandboxAllow, seedBody, startTestSandbox } from '../helpers/sandbox.ts';
import { call, orgAuth, startTestServer, type TestServer, testDatabaseUrl } from '../helpers/server.ts';
import { cwClient } from './events.support.ts';

let sandbox: RunningSandbox;
let server: TestServer;
let t: JobTarget;

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

const claimedAt = () => new Date().toISOString();

describe(`an import's creates interrupted by a crash (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('knows the records a killed run may have sent: from the committed index to the last claim, with claim times', () => {
    const at1 = '2026-12-02T10:00:00.000Z';
    const at2 = '2026-12-02T10:00:05.000Z';
    const maybe = interruptedCreates({
      nextIndex: 10,
      claims: [
        { below: 16, at: at1 },
        { below: 32, at: at2 },
      ],
    });
    expect([...maybe.keys()]).toEqual(Array.from({ length: 22 }, (_, i) => 10 + i));
    expect(maybe.get(15)).toBe(at1);
    expect(maybe.get(16)).toBe(at2);
    expect(interruptedCreates({ nextIndex: 40, claims: [] }).size).toBe(0);
    expect(interruptedCreates({}).size).toBe(0);
    // A commit drops the claims its outcomes cover.
    expect(
      openClaims(
        [
          { below: 16, at: at1 },
          { below: 32, at: at2 },
        ],
        16,
      ),
    ).toEqual([{ below: 32, at: at2 }]);
  });

  it('adopts the one record ConnectWise created, without a second POST', async () => {
    const since = claimedAt();
    const made = await cwClient(sandbox).createContact('Ada-3');
    const settled = await settleInterruptedCreate(t, since, { firstName: 'Ada-3', lastName: 'Events' });
    expect(settled?.ok && settled.value.id).toBe(made.id);
  });

  it('answers undefined for a create ConnectWise never got, so it is sent', async () => {
    const settled = await settleInterruptedCreate(t, claimedAt(), { firstName: 'Bo', lastName: 'Interrupted-2' });
    expect(settled).toBeUndefined();
  });

  it('fails a record that matches several records created since, naming them', async () => {
    const since = claimedAt();
    const cw = cwClient(sandbox);
    const a = await cw.createContact('Twin');
    const b = await cw.createContact('Twin');
    const settled = await settleInterruptedCreate(t, since, { firstName: 'Twin', lastName: 'Events' });
    expect(settled?.ok).toBe(false);
    if (settled && !settled.ok) {
      expect(settled.error.code).toBe('CONFLICT');
      expect(settled.error.message).toContain(`${a.id}, ${b.id}`);
    }
  });

  it('ignores matching records entered long before the claim (older than the skew allowance)', async () => {
    await cwClient(sandbox).createContact('Old-1');
    const later = new Date(Date.now() + 11 * 60_000).toISOString();
    expect(await settleInterruptedCreate(t, later, { firstName: 'Old-1', lastName: 'Events' })).toBeUndefined();
  });

  it('fails a record with no plain field to look it up by', async () => {
    const settled = await settleInterruptedCreate(t, claimedAt(), { company: { id: 1 } });
    expect(settled?.ok).toBe(false);
  });
});
