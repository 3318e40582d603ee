// CONDUIT_RETENTION_DAYS: the background pruner of a running server deletes old trace logs, delivered
// notifications (with their attempts), unneeded event items and ended bulk jobs, and keeps everything else.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneExpired } from '../../src/store/retention.ts';
import { testDatabaseUrl } from '../helpers/server.ts';
import { type HubFixture, startHubFixture } from './hubFixture.ts';

// 0.0002 days = 17.28 s: rows dated an hour ago are past it, rows dated now are not (the pass runs every ~4 s).
const RETENTION_DAYS = '0.0002';
let f: HubFixture;
beforeAll(async () => {
  f = await startHubFixture({ env: { CONDUIT_RETENTION_DAYS: RETENTION_DAYS } });
});
afterAll(async () => {
  await f?.close();
});

const hourAgo = () => new Date(Date.now() - 3_600_000).toISOString();
const now = () => new Date().toISOString();
const future = () => new Date(Date.now() + 86_400_000).toISOString();

/** Seeds one old and one new row of each kind, plus old rows that must survive; returns the tag of this batch. */
async function seed(tag: string) {
  const db = f.server.runtime.deps.store.db;
  const id = f.instanceId;
  for (const at of [hourAgo(), now()]) {
    await sql`insert into hub_trace_logs (instance_id, created_at, method, url, request_headers, duration_ms)
      values (${id}, ${at}, 'GET', ${`/${tag}`}, '{}', 1)`.execute(db);
  }
  const notification = async (suffix: string, status: string, created: string, delivered: string | null) => {
    await sql`insert into event_notifications (event_id, instance_id, object_type, source, body, status, attempts,
      next_attempt_at, created_at, delivered_at)
      values (${`${tag}-${suffix}`}, ${id}, 'contacts', 'polling', '{}', ${status}, 1, ${future()}, ${created}, ${delivered})`.execute(
      db,
    );
    const row = await sql<{
      id: number;
    }>`select id from event_notifications where event_id = ${`${tag}-${suffix}`}`.execute(db);
    await sql`insert into event_attempts (notification_id, attempt, at, status, duration_ms)
      values (${row.rows[0]!.id}, 1, ${created}, 200, 5)`.execute(db);
    await sql`insert into event_items (instance_id, event_id, object_type, object_id, event_type, dedupe_key, date, created_at)
      values (${id}, ${`${tag}-${suffix}`}, 'contacts', '1', 'UPDATED', ${`${tag}-${suffix}`}, ${created}, ${created})`.execute(
      db,
    );
  };
  await notification('old-delivered', 'delivered', hourAgo(), hourAgo()); // pruned, with its attempt and item
  await notification('new-delivered', 'delivered', now(), now());
  await notification('old-pending', 'pending', hourAgo(), null); // kept, and so is its item
  await notification('old-dead', 'dead', hourAgo(), null); // kept for redelivery
  const job = async (suffix: string, status: string, finished: string | null, callbackState = 'none') => {
    await sql`insert into bulk_jobs (organization_id, instance_id, direction, object_name, status, spec, data_key,
      callback_state, callback_next_at, created_at, finished_at)
      values (${f.org.organizationId}, ${id}, 'export', ${`${tag}-${suffix}`}, ${status}, '{}', 'x', ${callbackState},
      ${future()}, ${hourAgo()}, ${finished})`.execute(db);
    const row = await sql<{ id: number }>`select id from bulk_jobs where object_name = ${`${tag}-${suffix}`}`.execute(
      db,
    );
    await sql`insert into bulk_errors (job_id, record_index, record, status, message)
      values (${row.rows[0]!.id}, 0, 'r', 400, 'bad')`.execute(db);
  };
  await job('old-completed', 'COMPLETED', hourAgo()); // pruned, with its errors
  await job('new-completed', 'COMPLETED', now());
  await job('old-callback-pending', 'FAILED', hourAgo(), 'pending'); // kept until its callback is settled
}

async function left(tag: string) {
  const db = f.server.runtime.deps.store.db;
  const names = async (q: ReturnType<typeof sql<{ name: string }>>) =>
    (await q.execute(db)).rows.map((r) => r.name).sort();
  return {
    traces: Number(
      (await sql<{ n: number }>`select count(*) as n from hub_trace_logs where url = ${`/${tag}`}`.execute(db)).rows[0]
        ?.n,
    ),
    notifications: await names(
      sql<{ name: string }>`select event_id as name from event_notifications where event_id like ${`${tag}-%`}`,
    ),
    items: await names(
      sql<{ name: string }>`select event_id as name from event_items where event_id like ${`${tag}-%`}`,
    ),
    attempts: Number(
      (
        await sql<{ n: number }>`select count(*) as n from event_attempts a join event_notifications n
          on n.id = a.notification_id where n.event_id like ${`${tag}-%`}`.execute(db)
      ).rows[0]?.n,
    ),
    jobs: await names(
      sql<{ name: string }>`select object_name as name from bulk_jobs where object_name like ${`${tag}-%`}`,
    ),
    errors: Number(
      (
        await sql<{ n: number }>`select count(*) as n from bulk_errors e join bulk_jobs j on j.id = e.job_id
          where j.object_name like ${`${tag}-%`}`.execute(db)
      ).rows[0]?.n,
    ),
  };
}

const expected = (tag: string) => ({
  traces: 1,
  notifications: [`${tag}-new-delivered`, `${tag}-old-dead`, `${tag}-old-pending`],
  items: [`${tag}-new-delivered`, `${tag}-old-dead`, `${tag}-old-pending`],
  attempts: 3,
  jobs: [`${tag}-new-completed`, `${tag}-old-callback-pending`],
  errors: 2,
});

describe(`retention (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('the background pruner of a running server deletes only what is past the retention', async () => {
    await seed('bg');
    expect((await left('bg')).traces).toBe(2);
    const deadline = Date.now() + 20_000;
    let state = await left('bg');
    while (Date.now() < deadline && state.traces !== 1) {
      await new Promise((r) => setTimeout(r, 250));
      state = await left('bg');
    }
    expect(state).toEqual(expected('bg'));
  }, 30_000);

  it('pruneExpired works in batches and reports what it deleted', async () => {
    await seed('b1');
    await seed('b2');
    const batches: number[] = [];
    const report = await pruneExpired(f.server.runtime.deps.store, new Date(Date.now() - 60_000), {
      batchSize: 1,
      onBatch: (_t, n) => batches.push(n),
    });
    // A background pass may have taken some rows first (on PostgreSQL it may even hold the lock): then run again.
    const second = report ?? (await pruneExpired(f.server.runtime.deps.store, new Date(Date.now() - 60_000)));
    expect(second).toBeDefined();
    expect(await left('b1')).toEqual(expected('b1'));
    expect(await left('b2')).toEqual(expected('b2'));
    if (report) expect(batches.every((n) => n <= 1)).toBe(true);
  }, 30_000);
});
