// A create that a killed run of the same import had sent: its Idempotency-Key (`bulk:<job>:<index>`) is still
// `pending` — claimed, the POST maybe received by ConnectWise, the answer never stored. ConnectWise has no
// idempotency of its own, so sending it again could create the record twice, and leaving it would lose it.
// The record is looked for instead: adopted when exactly one record created since the claim matches what was
// sent, sent again when none does.
import type { Kysely } from 'kysely';
import { listParsed } from '../engine/read.ts';
import { appError, fail, ok, type Result } from '../errors/index.ts';
import { completeIdempotencyKey, findIdempotencyKey, releaseIdempotencyKey } from '../store/hub.ts';
import type { JobTarget } from './jobContext.ts';

type Json = Record<string, unknown>;

/** Records entered this long before the claim still count (clock skew between us and ConnectWise). */
const SKEW_MS = 10 * 60_000;

/** The key as the engine's createRecord stores it (src/engine/write.ts). */
function storedKey(t: JobTarget, idempotencyKey: string): string {
  return `${t.target.endpoint.name}:${t.target.endpoint.parentId ?? ''}:${idempotencyKey}`;
}

/** The record indexes of job `jobId` whose create a previous run claimed and never finished (one query per start). */
export async function interruptedCreates(t: JobTarget, jobId: number): Promise<Set<number>> {
  const store = t.engine.store;
  if (!store) return new Set();
  const prefix = storedKey(t, `bulk:${jobId}:`);
  const db = store.db as unknown as Kysely<{
    hub_idempotency_keys: { instance_id: number; idem_key: string; state: string };
  }>;
  const rows = await db
    .selectFrom('hub_idempotency_keys')
    .select('idem_key')
    .where('instance_id', '=', t.instance.id)
    .where('state', '=', 'pending')
    .where('idem_key', 'like', `${prefix}%`)
    .execute();
  const out = new Set<number>();
  for (const r of rows) {
    // LIKE's `_` matches any character: keep exact prefixes only.
    if (!r.idem_key.startsWith(prefix)) continue;
    const index = Number(r.idem_key.slice(prefix.length));
    if (Number.isSafeInteger(index)) out.add(index);
  }
  return out;
}

function literal(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string' && value !== '') return `'${value.replaceAll("'", "''")}'`;
  return undefined;
}

/**
 * Settles a create a previous run left pending: `undefined` when there is none (create as usual; a `done` key is
 * replayed by the create itself), the adopted record, or a non-retryable error when the match is ambiguous.
 * Only the job's own runner can hold its keys (the job lease), so a pending key here belongs to a dead run.
 */
export async function settleInterruptedCreate(
  t: JobTarget,
  idempotencyKey: string,
  body: Json,
): Promise<Result<Json> | undefined> {
  const store = t.engine.store;
  if (!store) return undefined;
  const key = storedKey(t, idempotencyKey);
  const claimed = await findIdempotencyKey(store.db, t.instance.id, key);
  if (claimed?.state !== 'pending') return undefined;
  const conditions = Object.entries(body).flatMap(([field, value]) => {
    const lit = literal(value);
    return lit === undefined ? [] : [`${field} = ${lit}`];
  });
  if (conditions.length === 0) {
    return fail(
      appError('CONFLICT', 'Interrupted by a restart after it was sent; it has no plain field to look it up by', {
        retryable: false,
      }),
    );
  }
  const found = await listParsed(t.engine, t.instance, t.target, { where: conditions.join(' and '), pageSize: 25 });
  if (!found.ok) return found;
  const since = Date.parse(claimed.createdAt) - SKEW_MS;
  const mine = found.value.records.filter((r) => {
    const entered = Date.parse(String((r._info as Json | undefined)?.dateEntered ?? ''));
    return Number.isNaN(entered) || entered >= since;
  });
  if (mine.length === 0) {
    // ConnectWise never got it: free the key, and the create goes out as if for the first time.
    await releaseIdempotencyKey(store.db, t.instance.id, key);
    return undefined;
  }
  if (mine.length > 1) {
    return fail(
      appError(
        'CONFLICT',
        `Interrupted by a restart after it was sent; ${mine.length} records created since match it ` +
          `(ids ${mine.map((r) => String(r[t.target.endpoint.idField])).join(', ')}), so it was not sent again`,
        { retryable: false },
      ),
    );
  }
  const record = mine[0] as Json;
  await completeIdempotencyKey(store.db, t.instance.id, key, JSON.stringify(record));
  return ok(record);
}
