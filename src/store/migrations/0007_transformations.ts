// Common resources (object definitions) and transformations, per organization; instance-level rows also name the
// instance so that deleting the instance deletes them. `scope` is 'organization' or 'instance:<id>', so one unique
// index covers both levels on both dialects (a NULL instance_id would not take part in uniqueness).
import type { Migration } from 'kysely';
import type { Dialect } from '../database.ts';
import { type AnyDb, idColumn } from './columns.ts';

export function migration(dialect: Dialect): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('object_definitions')
        .addColumn('id', idColumn(dialect))
        .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('instance_id', 'integer', (c) => c.references('instances.id').onDelete('cascade'))
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('fields', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('object_definitions_name')
        .on('object_definitions')
        .columns(['organization_id', 'scope', 'name'])
        .unique()
        .execute();
      await db.schema
        .createTable('transformations')
        .addColumn('id', idColumn(dialect))
        .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('instance_id', 'integer', (c) => c.references('instances.id').onDelete('cascade'))
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('element_key', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('vendor_name', 'text', (c) => c.notNull())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('transformations_name')
        .on('transformations')
        .columns(['organization_id', 'scope', 'element_key', 'name'])
        .unique()
        .execute();
    },
  };
}
