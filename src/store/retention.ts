// Retention (CONDUIT_RETENTION_DAYS): hub trace logs, delivered notifications (their attempts go with them),
// event items no undelivered notification needs, and ended bulk jobs older than the retention are deleted in
// batches by a background loop. Dead notifications stay until an operator redelivers them or deletes the instance.
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Store } from './database.ts';
import type { Tables } from './tables.ts';

export const RETENTION_TABLES = ['hub_trace_logs', 'event_notifications', 'event_items', 'bulk_jobs'] as const;
export type RetentionTable = (typeof RETENTION_TABLES)[number];
export type PruneReport = Record<RetentionTable, number>;

const BATCH = 500;

type Db = Kysely<Tables> | Transaction<Tables>;

/** Deletes at most `limit` rows of one table older than `cutoff` (ISO time); returns how many went. */
async function pruneBatch(db: Db, table: RetentionTable, cutoff: string, limit: number): Promise<number> {
  switch (table) {
    case 'hub_trace_logs': {
      const r = await sql`delete from hub_trace_logs where id in (
        select id from hub_trace_logs where created_at < ${cutoff} order by id limit ${limit})`.execute(db);
      return Number(r.numAffectedRows ?? 0);
    }
    case 'event_notifications': {
      const r = await sql`delete from event_notifications where id in (
        select id from event_notifications where status = 'delivered' and created_at < ${cutoff}
        and (delivered_at is null or delivered_at < ${cutoff}) order by id limit ${limit})`.execute(db);
      return Number(r.numAffectedRows ?? 0);
    }
    case 'event_items': {
      // An item stays while a notification that carries it is still to be delivered (or dead, for redelivery).
      const r = await sql`delete from event_items where id in (
        select i.id from event_items i where i.created_at < ${cutoff} and not exists (
          select 1 from event_notifications n where n.event_id = i.event_id and n.status <> 'delivered')
        order by i.id limit ${limit})`.execute(db);
      return Number(r.numAffectedRows ?? 0);
    }
    case 'bulk_jobs': {
      // Ended jobs whose callback is settled; their files are removed by the bulk runner's orphan sweep.
      const ids = await sql<{ id: number }>`select id from bulk_jobs
        where status in ('COMPLETED', 'FAILED', 'CANCELLED') and finished_at is not null and finished_at < ${cutoff}
        and callback_state <> 'pending' order by id limit ${limit}`.execute(db);
      const list = ids.rows.map((r) => Number(r.id));
      if (list.length === 0) return 0;
      await sql`delete from bulk_errors where job_id in (${sql.join(list)})`.execute(db);
      const r = await sql`delete from bulk_jobs where id in (${sql.join(list)})`.execute(db);
      return Number(r.numAffectedRows ?? 0);
    }
  }
}

/**
 * One pass over every table, batch by batch. On PostgreSQL each batch holds a transaction-scoped advisory lock
 * named after the schema, so when several nodes share a store one prunes and the others skip the pass.
 */
export async function pruneExpired(
  store: Store,
  cutoff: Date,
  opts: { batchSize?: number; onBatch?: (table: RetentionTable, deleted: number) => void } = {},
): Promise<PruneReport | undefined> {
  const limit = opts.batchSize ?? BATCH;
  const at = cutoff.toISOString();
  const report: PruneReport = { hub_trace_logs: 0, event_notifications: 0, event_items: 0, bulk_jobs: 0 };
  for (const table of RETENTION_TABLES) {
    for (;;) {
      const deleted =
        store.dialect === 'postgres'
          ? await store.db.transaction().execute(async (trx) => {
              const lock = await sql<{ locked: boolean }>`
                select pg_try_advisory_xact_lock(hashtext('conduit-retention:' || current_schema())) as locked`.execute(
                trx,
              );
              return lock.rows[0]?.locked ? pruneBatch(trx, table, at, limit) : undefined;
            })
          : await pruneBatch(store.db, table, at, limit);
      if (deleted === undefined) return undefined; // another node is pruning
      report[table] += deleted;
      opts.onBatch?.(table, deleted);
      if (deleted < limit) break;
    }
  }
  return report;
}

export interface RetentionLoop {
  stop(): Promise<void>;
}

/**
 * Prunes soon after start and then every `intervalMs` (a quarter of the retention, between 1 s and 1 h).
 * Failures are logged and the next pass tries again.
 */
export function startRetention(
  store: Store,
  opts: {
    retentionDays: number;
    intervalMs?: number;
    onBatch?: (table: RetentionTable, deleted: number) => void;
    log?: (msg: string, extra?: Record<string, unknown>) => void;
  },
): RetentionLoop {
  const retentionMs = opts.retentionDays * 86_400_000;
  const intervalMs = opts.intervalMs ?? Math.min(3_600_000, Math.max(1_000, retentionMs / 4));
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const pass = () => {
    if (stopped) return;
    running = pruneExpired(store, new Date(Date.now() - retentionMs), { onBatch: opts.onBatch }).catch((e: Error) => {
      if (!stopped) opts.log?.('retention pass failed', { error: e.message });
    });
  };
  const first = setTimeout(pass, Math.min(intervalMs, 5_000));
  const timer = setInterval(() => {
    void running.then(pass);
  }, intervalMs);
  first.unref();
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
