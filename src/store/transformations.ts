// Object definitions (common resources) and transformations. Rows are snake_case; the mappers below are the only
// place that knows both shapes. Every query names the organization: one organization never reads another's rows.
import type { Generated, Kysely } from 'kysely';
import type { Tables } from './tables.ts';

interface DefinitionsTable {
  id: Generated<number>;
  organization_id: number;
  instance_id: number | null;
  scope: string;
  name: string;
  description: string | null;
  fields: string; // JSON array of {path, type, displayName?}
  created_at: string;
  updated_at: string;
}

interface TransformationsTable {
  id: Generated<number>;
  organization_id: number;
  instance_id: number | null;
  scope: string;
  element_key: string;
  name: string;
  vendor_name: string;
  spec: string; // JSON {fields, configuration?, script?}
  created_at: string;
  updated_at: string;
}

interface TransformTables {
  object_definitions: DefinitionsTable;
  transformations: TransformationsTable;
}

type Db = Kysely<Tables>;
type Row<T> = { [K in keyof T]: K extends 'id' ? number : T[K] };
const t = (db: Db) => db as unknown as Kysely<TransformTables>;

/** Where a row lives: the organization itself, or one of its instances. */
export type Level = { level: 'organization' } | { level: 'instance'; instanceId: number };

const scopeOf = (l: Level) => (l.level === 'organization' ? 'organization' : `instance:${l.instanceId}`);
const instanceIdOf = (l: Level) => (l.level === 'instance' ? l.instanceId : null);
const levelOf = (row: { instance_id: number | null }): Level =>
  row.instance_id === null ? { level: 'organization' } : { level: 'instance', instanceId: row.instance_id };

export interface StoredField {
  path: string;
  type: string;
  displayName?: string;
}

export interface DefinitionRecord {
  id: number;
  organizationId: number;
  level: Level;
  name: string;
  description?: string;
  fields: StoredField[];
  createdAt: string;
  updatedAt: string;
}

export interface TransformationSpec {
  fields: unknown[];
  configuration?: unknown[];
  script?: { body: string; mimeType?: string; filterEmptyResponse?: boolean };
}

export interface TransformationRecord {
  id: number;
  organizationId: number;
  level: Level;
  elementKey: string;
  name: string;
  vendorName: string;
  spec: TransformationSpec;
  createdAt: string;
  updatedAt: string;
}

function toDefinition(row: Row<DefinitionsTable>): DefinitionRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    level: levelOf(row),
    name: row.name,
    ...(row.description !== null ? { description: row.description } : {}),
    fields: JSON.parse(row.fields) as StoredField[],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toTransformation(row: Row<TransformationsTable>): TransformationRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    level: levelOf(row),
    elementKey: row.element_key,
    name: row.name,
    vendorName: row.vendor_name,
    spec: JSON.parse(row.spec) as TransformationSpec,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

// ---- definitions ----

export async function listDefinitions(
  db: Db,
  organizationId: number,
  filter: { level?: Level; name?: string; instanceId?: number } = {},
): Promise<DefinitionRecord[]> {
  let q = t(db).selectFrom('object_definitions').selectAll().where('organization_id', '=', organizationId);
  if (filter.level) q = q.where('scope', '=', scopeOf(filter.level));
  if (filter.name !== undefined) q = q.where('name', '=', filter.name);
  // The definitions that can apply to one instance: the organization's and that instance's own.
  if (filter.instanceId !== undefined)
    q = q.where('scope', 'in', ['organization', scopeOf({ level: 'instance', instanceId: filter.instanceId })]);
  const rows = await q.orderBy('name').orderBy('id').execute();
  return rows.map(toDefinition);
}

export async function findDefinition(
  db: Db,
  organizationId: number,
  level: Level,
  name: string,
): Promise<DefinitionRecord | undefined> {
  const row = await t(db)
    .selectFrom('object_definitions')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('scope', '=', scopeOf(level))
    .where('name', '=', name)
    .executeTakeFirst();
  return row ? toDefinition(row) : undefined;
}

/** Inserts or replaces; `created` tells which. `onlyIfNew` makes an existing row a no-op returning created:false. */
export async function saveDefinition(
  db: Db,
  organizationId: number,
  level: Level,
  name: string,
  input: { fields: StoredField[]; description?: string },
  options: { onlyIfNew?: boolean } = {},
): Promise<{ created: boolean; record: DefinitionRecord }> {
  const now = new Date().toISOString();
  const existing = await findDefinition(db, organizationId, level, name);
  if (existing) {
    if (options.onlyIfNew) return { created: false, record: existing };
    await t(db)
      .updateTable('object_definitions')
      .set({ fields: JSON.stringify(input.fields), description: input.description ?? null, updated_at: now })
      .where('id', '=', existing.id)
      .execute();
  } else {
    await t(db)
      .insertInto('object_definitions')
      .values({
        organization_id: organizationId,
        instance_id: instanceIdOf(level),
        scope: scopeOf(level),
        name,
        description: input.description ?? null,
        fields: JSON.stringify(input.fields),
        created_at: now,
        updated_at: now,
      })
      .execute();
  }
  const record = await findDefinition(db, organizationId, level, name);
  if (!record) throw new Error(`definition ${name} vanished while saving`);
  return { created: !existing, record };
}

export async function deleteDefinition(db: Db, organizationId: number, level: Level, name: string): Promise<boolean> {
  const r = await t(db)
    .deleteFrom('object_definitions')
    .where('organization_id', '=', organizationId)
    .where('scope', '=', scopeOf(level))
    .where('name', '=', name)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

// ---- transformations ----

export async function listTransformations(
  db: Db,
  organizationId: number,
  filter: { level?: Level; elementKey?: string; name?: string; instanceId?: number } = {},
): Promise<TransformationRecord[]> {
  let q = t(db).selectFrom('transformations').selectAll().where('organization_id', '=', organizationId);
  if (filter.level) q = q.where('scope', '=', scopeOf(filter.level));
  if (filter.elementKey !== undefined) q = q.where('element_key', '=', filter.elementKey);
  if (filter.name !== undefined) q = q.where('name', '=', filter.name);
  if (filter.instanceId !== undefined)
    q = q.where('scope', 'in', ['organization', scopeOf({ level: 'instance', instanceId: filter.instanceId })]);
  const rows = await q.orderBy('name').orderBy('element_key').orderBy('id').execute();
  return rows.map(toTransformation);
}

export async function findTransformation(
  db: Db,
  organizationId: number,
  level: Level,
  elementKey: string,
  name: string,
): Promise<TransformationRecord | undefined> {
  const row = await t(db)
    .selectFrom('transformations')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('scope', '=', scopeOf(level))
    .where('element_key', '=', elementKey)
    .where('name', '=', name)
    .executeTakeFirst();
  return row ? toTransformation(row) : undefined;
}

export async function saveTransformation(
  db: Db,
  organizationId: number,
  level: Level,
  elementKey: string,
  name: string,
  input: { vendorName: string; spec: TransformationSpec },
): Promise<{ created: boolean; record: TransformationRecord }> {
  const now = new Date().toISOString();
  const existing = await findTransformation(db, organizationId, level, elementKey, name);
  if (existing) {
    await t(db)
      .updateTable('transformations')
      .set({ vendor_name: input.vendorName, spec: JSON.stringify(input.spec), updated_at: now })
      .where('id', '=', existing.id)
      .execute();
  } else {
    await t(db)
      .insertInto('transformations')
      .values({
        organization_id: organizationId,
        instance_id: instanceIdOf(level),
        scope: scopeOf(level),
        element_key: elementKey,
        name,
        vendor_name: input.vendorName,
        spec: JSON.stringify(input.spec),
        created_at: now,
        updated_at: now,
      })
      .execute();
  }
  const record = await findTransformation(db, organizationId, level, elementKey, name);
  if (!record) throw new Error(`transformation ${name} vanished while saving`);
  return { created: !existing, record };
}

export async function deleteTransformation(
  db: Db,
  organizationId: number,
  level: Level,
  elementKey: string,
  name: string,
): Promise<boolean> {
  const r = await t(db)
    .deleteFrom('transformations')
    .where('organization_id', '=', organizationId)
    .where('scope', '=', scopeOf(level))
    .where('element_key', '=', elementKey)
    .where('name', '=', name)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Deletes every definition and transformation of that name in the organization (all levels). */
export async function deleteCommonResource(db: Db, organizationId: number, name: string): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const a = await t(trx)
      .deleteFrom('transformations')
      .where('organization_id', '=', organizationId)
      .where('name', '=', name)
      .executeTakeFirst();
    const b = await t(trx)
      .deleteFrom('object_definitions')
      .where('organization_id', '=', organizationId)
      .where('name', '=', name)
      .executeTakeFirst();
    return Number(a.numDeletedRows) + Number(b.numDeletedRows);
  });
}

/** Renames definitions and their transformations (all levels) in one transaction. */
export async function renameCommonResource(db: Db, organizationId: number, from: string, to: string): Promise<void> {
  const now = new Date().toISOString();
  await db.transaction().execute(async (trx) => {
    await t(trx)
      .updateTable('object_definitions')
      .set({ name: to, updated_at: now })
      .where('organization_id', '=', organizationId)
      .where('name', '=', from)
      .execute();
    await t(trx)
      .updateTable('transformations')
      .set({ name: to, updated_at: now })
      .where('organization_id', '=', organizationId)
      .where('name', '=', from)
      .execute();
  });
}

/** A cheap fingerprint of an organization's rows: changes whenever one is written or deleted (cache check). */
export async function transformationsStamp(db: Db, organizationId: number): Promise<string> {
  const [d, x] = await Promise.all([
    t(db)
      .selectFrom('object_definitions')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('updated_at').as('at')])
      .where('organization_id', '=', organizationId)
      .executeTakeFirst(),
    t(db)
      .selectFrom('transformations')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('updated_at').as('at')])
      .where('organization_id', '=', organizationId)
      .executeTakeFirst(),
  ]);
  return `${Number(d?.n ?? 0)}/${d?.at ?? ''}/${Number(x?.n ?? 0)}/${x?.at ?? ''}`;
}
