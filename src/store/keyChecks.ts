// Key checks and re-sealing. `key_checks` names the master keys the store's secrets are sealed with (a key id
// and an HMAC check value, never the key); the sealed columns listed in SEALED_COLUMNS are re-sealed under a new
// key by a rotation, in batches, each row compare-and-set so a concurrent update is never overwritten.
import { type Kysely, sql } from 'kysely';
import type { Store } from './database.ts';
import type { Tables } from './tables.ts';

export interface KeyChecksTable {
  key_id: string;
  check_value: string;
  created_at: string;
  retired_at: string | null;
}

export interface KeyCheck {
  keyId: string;
  checkValue: string;
  createdAt: string;
  retiredAt: string | null;
}

type KeyTables = Tables & { key_checks: KeyChecksTable };
// biome-ignore lint/suspicious/noExplicitAny: the sealed-column registry addresses tables by name
type AnyKysely = Kysely<any>;

const keysDb = (db: Kysely<Tables>) => db as unknown as Kysely<KeyTables>;

/** Every column holding sealed (enc:…) values. A new sealed column must be added here, or rotation misses it. */
export const SEALED_COLUMNS: ReadonlyArray<{ table: string; id: string; column: string; secretFlag?: string }> = [
  { table: 'instances', id: 'id', column: 'token_sealed' },
  { table: 'instance_configuration', id: 'id', column: 'value', secretFlag: 'secret' },
  { table: 'bulk_jobs', id: 'id', column: 'data_key' }, // wraps the job's file key; the files stay as they are
  { table: 'users', id: 'id', column: 'secret_sealed' },
  { table: 'organizations', id: 'id', column: 'secret_sealed' },
  { table: 'instances', id: 'id', column: 'provider_data_sealed' },
];

export async function listKeyChecks(db: Kysely<Tables>, opts: { activeOnly?: boolean } = {}): Promise<KeyCheck[]> {
  let q = keysDb(db).selectFrom('key_checks').selectAll().orderBy('created_at', 'desc').orderBy('key_id');
  if (opts.activeOnly) q = q.where('retired_at', 'is', null);
  const rows = await q.execute();
  return rows.map((r) => ({
    keyId: r.key_id,
    checkValue: r.check_value,
    createdAt: r.created_at,
    retiredAt: r.retired_at,
  }));
}

/** Records a key (idempotent: an existing row, retired or not, is left as it is). */
export async function addKeyCheck(db: Kysely<Tables>, keyId: string, checkValue: string): Promise<void> {
  await keysDb(db)
    .insertInto('key_checks')
    .values({ key_id: keyId, check_value: checkValue, created_at: new Date().toISOString(), retired_at: null })
    .onConflict((oc) => oc.column('key_id').doNothing())
    .execute();
}

/**
 * Records the store's first key, unless another server recorded one meanwhile (two nodes starting on an empty
 * store with different keys: the second then refuses to start instead of both sealing with their own key).
 */
export async function addFirstKeyCheck(store: Store, keyId: string, checkValue: string): Promise<void> {
  // PostgreSQL: an advisory lock serialises the check-then-insert; SQLite: BEGIN IMMEDIATE takes the write lock
  // before the check, so a second process waits (busy_timeout) and then sees the first one's key.
  await keysDb(store.db)
    .connection()
    .execute(async (conn) => {
      await sql.raw(store.dialect === 'postgres' ? 'begin' : 'begin immediate').execute(conn);
      try {
        if (store.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${FIRST_KEY_LOCK})`.execute(conn);
        const any = await conn.selectFrom('key_checks').select('key_id').limit(1).executeTakeFirst();
        if (!any) {
          await conn
            .insertInto('key_checks')
            .values({ key_id: keyId, check_value: checkValue, created_at: new Date().toISOString(), retired_at: null })
            .execute();
        }
        await sql`commit`.execute(conn);
      } catch (err) {
        await sql`rollback`.execute(conn);
        throw err;
      }
    });
}

const FIRST_KEY_LOCK = 0x636b6579; // 'ckey'

/** Marks every active key except `keepKeyId` retired; answers the ids retired. */
export async function retireKeyChecks(db: Kysely<Tables>, keepKeyId: string): Promise<string[]> {
  const rows = await keysDb(db)
    .updateTable('key_checks')
    .set({ retired_at: new Date().toISOString() })
    .where('retired_at', 'is', null)
    .where('key_id', '!=', keepKeyId)
    .returning('key_id')
    .execute();
  return rows.map((r) => r.key_id);
}

function sealedRows(db: AnyKysely, col: (typeof SEALED_COLUMNS)[number]) {
  let q = db.selectFrom(col.table).where(col.column, 'is not', null).where(col.column, 'like', 'enc:%');
  if (col.secretFlag) q = q.where(col.secretFlag, '=', 1);
  return q;
}

/** One sealed value from the store, if it holds any (to test a key against a store without key checks). */
export async function findSealedSample(db: Kysely<Tables>): Promise<string | undefined> {
  for (const col of SEALED_COLUMNS) {
    const row = await sealedRows(db as AnyKysely, col)
      .select(`${col.column} as value`)
      .limit(1)
      .executeTakeFirst();
    if (row?.value) return row.value as string;
  }
  return undefined;
}

/** How many sealed values are not sealed under the key whose sealed-value prefix is given. */
export async function countSealedOutside(db: Kysely<Tables>, prefix: string): Promise<number> {
  let total = 0;
  for (const col of SEALED_COLUMNS) {
    const row = await sealedRows(db as AnyKysely, col)
      .where(col.column, 'not like', `${prefix}%`)
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    total += Number(row?.n ?? 0);
  }
  return total;
}

/**
 * Re-seals every value not under `prefix` with `reseal`, `batchSize` rows per transaction. A row changed by
 * someone else in between is skipped (compare-and-set) and found again by the next pass. Answers the count.
 */
export async function resealAll(
  store: Store,
  prefix: string,
  reseal: (sealed: string) => string,
  batchSize = 200,
): Promise<number> {
  let done = 0;
  for (const col of SEALED_COLUMNS) {
    let after = 0;
    for (;;) {
      const rows = (await sealedRows(store.db as AnyKysely, col)
        .where(col.column, 'not like', `${prefix}%`)
        .where(col.id, '>', after)
        .select([`${col.id} as id`, `${col.column} as value`])
        .orderBy(col.id)
        .limit(batchSize)
        .execute()) as Array<{ id: number; value: string }>;
      if (rows.length === 0) break;
      after = Number(rows[rows.length - 1]!.id);
      const updates = rows.map((r) => ({ id: r.id, old: r.value, value: reseal(r.value) }));
      await (store.db as AnyKysely).transaction().execute(async (trx) => {
        for (const u of updates) {
          const res = await trx
            .updateTable(col.table)
            .set({ [col.column]: u.value })
            .where(col.id, '=', u.id)
            .where(col.column, '=', u.old)
            .executeTakeFirst();
          done += Number(res.numUpdatedRows ?? 0);
        }
      });
    }
  }
  return done;
}
