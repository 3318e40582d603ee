import type { Kysely, Transaction } from 'kysely';
import type { InstancesTable, Tables } from './tables.ts';

type Db = Kysely<Tables> | Transaction<Tables>;

export interface InstanceRecord {
  id: number;
  organizationId: number;
  userId: number;
  elementKey: string;
  name: string;
  tags: string[];
  tokenHash: string;
  tokenSealed: string;
  valid: boolean;
  disabled: boolean;
  eventsEnabled: boolean;
  traceLoggingEnabled: boolean;
  cachingEnabled: boolean;
  maxCacheSize: number;
  cacheTimeToLive: number;
  createdAt: string;
  updatedAt: string;
}

export interface ConfigRow {
  id: number;
  key: string;
  value: string | null; // sealed when secret
  secret: boolean;
}

type InstanceRow = {
  [K in keyof InstancesTable]: InstancesTable[K] extends { __select__: infer S } ? S : InstancesTable[K];
};

function toRecord(r: InstanceRow): InstanceRecord {
  return {
    id: Number(r.id),
    organizationId: Number(r.organization_id),
    userId: Number(r.user_id),
    elementKey: r.element_key,
    name: r.name,
    tags: JSON.parse(r.tags) as string[],
    tokenHash: r.token_hash,
    tokenSealed: r.token_sealed,
    valid: r.valid === 1,
    disabled: r.disabled === 1,
    eventsEnabled: r.events_enabled === 1,
    traceLoggingEnabled: r.trace_logging_enabled === 1,
    cachingEnabled: r.caching_enabled === 1,
    maxCacheSize: Number(r.max_cache_size),
    cacheTimeToLive: Number(r.cache_time_to_live),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export type NewInstance = Omit<InstanceRecord, 'id' | 'createdAt' | 'updatedAt'>;

function toRow(i: Partial<NewInstance>): Partial<Omit<InstanceRow, 'id'>> {
  const row: Partial<Omit<InstanceRow, 'id'>> = {};
  if (i.organizationId !== undefined) row.organization_id = i.organizationId;
  if (i.userId !== undefined) row.user_id = i.userId;
  if (i.elementKey !== undefined) row.element_key = i.elementKey;
  if (i.name !== undefined) row.name = i.name;
  if (i.tags !== undefined) row.tags = JSON.stringify(i.tags);
  if (i.tokenHash !== undefined) row.token_hash = i.tokenHash;
  if (i.tokenSealed !== undefined) row.token_sealed = i.tokenSealed;
  if (i.valid !== undefined) row.valid = i.valid ? 1 : 0;
  if (i.disabled !== undefined) row.disabled = i.disabled ? 1 : 0;
  if (i.eventsEnabled !== undefined) row.events_enabled = i.eventsEnabled ? 1 : 0;
  if (i.traceLoggingEnabled !== undefined) row.trace_logging_enabled = i.traceLoggingEnabled ? 1 : 0;
  if (i.cachingEnabled !== undefined) row.caching_enabled = i.cachingEnabled ? 1 : 0;
  if (i.maxCacheSize !== undefined) row.max_cache_size = i.maxCacheSize;
  if (i.cacheTimeToLive !== undefined) row.cache_time_to_live = i.cacheTimeToLive;
  return row;
}

export async function insertInstance(
  db: Db,
  instance: NewInstance,
  config: Array<Omit<ConfigRow, 'id'>>,
): Promise<InstanceRecord> {
  const now = new Date().toISOString();
  const row = {
    ...(toRow(instance) as Omit<InstanceRow, 'id' | 'created_at' | 'updated_at'>),
    created_at: now,
    updated_at: now,
  };
  const inserted = await db.insertInto('instances').values(row).returning(['id']).executeTakeFirstOrThrow();
  const id = Number(inserted.id);
  await writeConfig(db, id, config);
  return { ...instance, id, createdAt: now, updatedAt: now };
}

async function writeConfig(db: Db, instanceId: number, config: Array<Omit<ConfigRow, 'id'>>): Promise<void> {
  if (config.length === 0) return;
  await db
    .insertInto('instance_configuration')
    .values(config.map((c) => ({ instance_id: instanceId, key: c.key, value: c.value, secret: c.secret ? 1 : 0 })))
    .execute();
}

export async function updateInstance(db: Db, id: number, patch: Partial<NewInstance>): Promise<void> {
  await db
    .updateTable('instances')
    .set({ ...toRow(patch), updated_at: new Date().toISOString() })
    .where('id', '=', id)
    .execute();
}

/** Sets the given keys (insert or update), leaving other rows and their ids untouched. */
export async function upsertConfig(db: Db, instanceId: number, rows: Array<Omit<ConfigRow, 'id'>>): Promise<void> {
  for (const row of rows) {
    const updated = await db
      .updateTable('instance_configuration')
      .set({ value: row.value, secret: row.secret ? 1 : 0 })
      .where('instance_id', '=', instanceId)
      .where('key', '=', row.key)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) await writeConfig(db, instanceId, [row]);
  }
}

export async function deleteConfigKeys(db: Db, instanceId: number, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  await db
    .deleteFrom('instance_configuration')
    .where('instance_id', '=', instanceId)
    .where('key', 'in', keys)
    .execute();
}

export async function deleteInstance(db: Db, id: number): Promise<void> {
  await db.deleteFrom('instance_configuration').where('instance_id', '=', id).execute();
  await db.deleteFrom('instances').where('id', '=', id).execute();
}

export async function findInstance(db: Db, id: number): Promise<InstanceRecord | undefined> {
  const r = await db.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? toRecord(r) : undefined;
}

export async function findInstanceByTokenHash(db: Db, tokenHash: string): Promise<InstanceRecord | undefined> {
  const r = await db.selectFrom('instances').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  return r ? toRecord(r) : undefined;
}

export async function listInstances(
  db: Db,
  filter: { organizationId: number; elementKey?: string },
): Promise<InstanceRecord[]> {
  let q = db.selectFrom('instances').selectAll().where('organization_id', '=', filter.organizationId);
  if (filter.elementKey) q = q.where('element_key', '=', filter.elementKey);
  const rows = await q.orderBy('id').execute();
  return rows.map(toRecord);
}

/** All instances of every organization (workers use this to find pollable instances). */
export async function listAllInstances(db: Db): Promise<InstanceRecord[]> {
  const rows = await db.selectFrom('instances').selectAll().orderBy('id').execute();
  return rows.map(toRecord);
}

export async function readConfig(db: Db, instanceId: number): Promise<ConfigRow[]> {
  const rows = await db
    .selectFrom('instance_configuration')
    .select(['id', 'key', 'value', 'secret'])
    .where('instance_id', '=', instanceId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ id: Number(r.id), key: r.key, value: r.value, secret: r.secret === 1 }));
}

export async function readConfigMany(db: Db, instanceIds: number[]): Promise<Map<number, ConfigRow[]>> {
  const out = new Map<number, ConfigRow[]>();
  if (instanceIds.length === 0) return out;
  const rows = await db
    .selectFrom('instance_configuration')
    .select(['id', 'instance_id', 'key', 'value', 'secret'])
    .where('instance_id', 'in', instanceIds)
    .orderBy('id')
    .execute();
  for (const r of rows) {
    const list = out.get(Number(r.instance_id)) ?? [];
    list.push({ id: Number(r.id), key: r.key, value: r.value, secret: r.secret === 1 });
    out.set(Number(r.instance_id), list);
  }
  return out;
}
