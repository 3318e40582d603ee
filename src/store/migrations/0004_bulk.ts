// Bulk jobs (export and import), their committed watermark, lease and callback state, and the per-record
// failures of imports. A job row is the only truth a restarted node needs to resume a job.
import type { Migration } from 'kysely';
import type { Dialect } from '../database.ts';
import { type AnyDb, bigintType, idColumn } from './columns.ts';

export function migration(dialect: Dialect): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('bulk_jobs')
        .addColumn('id', idColumn(dialect))
        .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('instance_id', 'integer', (c) => c.notNull().references('instances.id').onDelete('cascade'))
        .addColumn('direction', 'text', (c) => c.notNull())
        .addColumn('object_name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('records_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('records_failed_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('watermark', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('file_bytes', bigintType(dialect), (c) => c.notNull().defaultTo(0))
        .addColumn('upload_bytes', bigintType(dialect), (c) => c.notNull().defaultTo(0))
        .addColumn('columns', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('data_key', 'text', (c) => c.notNull())
        .addColumn('info_message', 'text')
        .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('lease_until', 'text')
        .addColumn('callback_url', 'text')
        .addColumn('callback_state', 'text', (c) => c.notNull().defaultTo('none'))
        .addColumn('callback_attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('callback_next_at', 'text')
        .addColumn('callback_error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text')
        .addColumn('finished_at', 'text')
        .addColumn('expires_at', 'text')
        .execute();
      await db.schema.createIndex('bulk_jobs_status').on('bulk_jobs').columns(['status', 'lease_until']).execute();
      await db.schema.createIndex('bulk_jobs_org').on('bulk_jobs').columns(['organization_id', 'id']).execute();
      await db.schema
        .createIndex('bulk_jobs_callback')
        .on('bulk_jobs')
        .columns(['callback_state', 'callback_next_at'])
        .execute();
      await db.schema
        .createTable('bulk_errors')
        .addColumn('job_id', 'integer', (c) => c.notNull().references('bulk_jobs.id').onDelete('cascade'))
        .addColumn('record_index', 'integer', (c) => c.notNull())
        .addColumn('record', 'text', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('provider_message', 'text')
        .addPrimaryKeyConstraint('bulk_errors_pk', ['job_id', 'record_index'])
        .execute();
    },
  };
}
