// Key checks: which master keys the store's secrets are sealed with. A server whose key does not match refuses to
// start instead of answering 500 on every instance; a rotation adds the new key and retires the old one.
import type { Migration } from 'kysely';
import type { Dialect } from '../database.ts';
import type { AnyDb } from './columns.ts';

export function migration(_dialect: Dialect): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('key_checks')
        .addColumn('key_id', 'text', (c) => c.primaryKey())
        .addColumn('check_value', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('retired_at', 'text')
        .execute();
    },
  };
}
