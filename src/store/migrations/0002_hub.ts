import type { Migration } from 'kysely';
import type { Dialect } from '../database.ts';
import { type AnyDb, idColumn } from './columns.ts';

/** Hub tables: Idempotency-Key replay for POSTs, and per-instance trace logs of vendor calls. */
export function migration(dialect: Dialect): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('hub_idempotency_keys')
        .addColumn('id', idColumn(dialect))
        .addColumn('instance_id', 'integer', (c) => c.notNull().references('instances.id').onDelete('cascade'))
        .addColumn('idem_key', 'text', (c) => c.notNull())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('response_body', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('hub_idempotency_instance_key', ['instance_id', 'idem_key'])
        .execute();
      await db.schema
        .createTable('hub_trace_logs')
        .addColumn('id', idColumn(dialect))
        .addColumn('instance_id', 'integer', (c) => c.notNull().references('instances.id').onDelete('cascade'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('request_headers', 'text', (c) => c.notNull())
        .addColumn('request_body', 'text')
        .addColumn('status', 'integer')
        .addColumn('response_headers', 'text')
        .addColumn('response_body', 'text')
        .addColumn('error', 'text')
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('hub_trace_logs_instance')
        .on('hub_trace_logs')
        .columns(['instance_id', 'id'])
        .execute();
    },
  };
}
