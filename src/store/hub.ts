// Hub tables: idempotency keys and trace logs. Rows are snake_case; the mappers below are the only place
// that knows both shapes.
import type { Generated, Kysely } from 'kysely';
import type { Tables } from './tables.ts';

interface IdempotencyTable {
  id: Generated<number>;
  instance_id: number;
  idem_key: string;
  request_hash: string;
  /** 'pending' while the vendor call runs, 'done' once the response is stored. */
  state: string;
  response_body: string | null;
  created_at: string;
}

interface TraceTable {
  id: Generated<number>;
  instance_id: number;
  created_at: string;
  method: string;
  url: string;
  request_headers: string;
  request_body: string | null;
  status: number | null;
  response_headers: string | null;
  response_body: string | null;
  error: string | null;
  duration_ms: number;
}

interface HubTables {
  hub_idempotency_keys: IdempotencyTable;
  hub_trace_logs: TraceTable;
}

type Db = Kysely<Tables>;
const hub = (db: Db) => db as unknown as Kysely<HubTables>;

export interface IdempotencyRecord {
  requestHash: string;
  state: 'pending' | 'done';
  responseBody: string | null;
  createdAt: string;
}

/** Claims a key; false when another request already holds it. */
export async function claimIdempotencyKey(
  db: Db,
  instanceId: number,
  key: string,
  requestHash: string,
): Promise<boolean> {
  const result = await hub(db)
    .insertInto('hub_idempotency_keys')
    .values({
      instance_id: instanceId,
      idem_key: key,
      request_hash: requestHash,
      state: 'pending',
      response_body: null,
      created_at: new Date().toISOString(),
    })
    .onConflict((oc) => oc.columns(['instance_id', 'idem_key']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function findIdempotencyKey(
  db: Db,
  instanceId: number,
  key: string,
): Promise<IdempotencyRecord | undefined> {
  const row = await hub(db)
    .selectFrom('hub_idempotency_keys')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .where('idem_key', '=', key)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    requestHash: row.request_hash,
    state: row.state === 'done' ? 'done' : 'pending',
    responseBody: row.response_body,
    createdAt: row.created_at,
  };
}

export async function completeIdempotencyKey(
  db: Db,
  instanceId: number,
  key: string,
  responseBody: string,
): Promise<void> {
  await hub(db)
    .updateTable('hub_idempotency_keys')
    .set({ state: 'done', response_body: responseBody })
    .where('instance_id', '=', instanceId)
    .where('idem_key', '=', key)
    .execute();
}

/** Frees a key whose vendor call failed, so the client may retry with it. */
export async function releaseIdempotencyKey(db: Db, instanceId: number, key: string): Promise<void> {
  await hub(db)
    .deleteFrom('hub_idempotency_keys')
    .where('instance_id', '=', instanceId)
    .where('idem_key', '=', key)
    .where('state', '=', 'pending')
    .execute();
}

export interface TraceLogEntry {
  id: number;
  instanceId: number;
  createdAt: string;
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: string | null;
  status: number | null;
  responseHeaders: Record<string, string> | null;
  responseBody: string | null;
  error: string | null;
  durationMs: number;
}

export type NewTraceLogEntry = Omit<TraceLogEntry, 'id'>;

export async function insertTraceLog(db: Db, e: NewTraceLogEntry): Promise<void> {
  await hub(db)
    .insertInto('hub_trace_logs')
    .values({
      instance_id: e.instanceId,
      created_at: e.createdAt,
      method: e.method,
      url: e.url,
      request_headers: JSON.stringify(e.requestHeaders),
      request_body: e.requestBody,
      status: e.status,
      response_headers: e.responseHeaders ? JSON.stringify(e.responseHeaders) : null,
      response_body: e.responseBody,
      error: e.error,
      duration_ms: Math.round(e.durationMs),
    })
    .execute();
}

/** Newest first. */
export async function listTraceLogs(db: Db, instanceId: number, limit: number): Promise<TraceLogEntry[]> {
  const rows = await hub(db)
    .selectFrom('hub_trace_logs')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    instanceId: Number(r.instance_id),
    createdAt: r.created_at,
    method: r.method,
    url: r.url,
    requestHeaders: JSON.parse(r.request_headers) as Record<string, string>,
    requestBody: r.request_body,
    status: r.status === null ? null : Number(r.status),
    responseHeaders: r.response_headers ? (JSON.parse(r.response_headers) as Record<string, string>) : null,
    responseBody: r.response_body,
    error: r.error,
    durationMs: Number(r.duration_ms),
  }));
}
