// SIGKILL the server ≥ 20 times while records change; nothing may be lost, duplicates keep their eventId.
import { expect, it } from 'vitest';
import { testDatabaseUrl } from '../helpers/server.ts';
import { runChaos } from './events.chaos.ts';

it('loses no change across repeated SIGKILLs', async () => {
  const report = await runChaos({ kills: 20, databaseUrl: testDatabaseUrl });
  expect(report.kills).toBeGreaterThanOrEqual(20);
  expect(report.changes).toBeGreaterThan(20);
  expect(report.missing).toEqual([]);
  expect(report.conflictingDuplicates).toEqual([]);
}, 120_000);
