// Events: per-instance state, poll cursors, the known-id sets that reveal deletions, event items (the
// de-duplicated changes) and notifications — the outbox the dispatcher drains — with their attempts.
import type { Migration } from 'kysely';
import type { Dialect } from '../database.ts';
import { type AnyDb, idColumn } from './columns.ts';

export function migration(dialect: Dialect): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('event_instances')
        .addColumn('instance_id', 'integer', (c) => c.primaryKey().references('instances.id').onDelete('cascade'))
        .addColumn('paused', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_poll_at', 'text', (c) => c.notNull())
        .addColumn('poll_lease_until', 'text')
        .addColumn('reconciled_at', 'text')
        .addColumn('callback_token', 'text', (c) => c.notNull())
        .addColumn('callbacks', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('last_poll_error', 'text')
        .execute();
      await db.schema
        .createTable('event_cursors')
        .addColumn('instance_id', 'integer', (c) => c.notNull().references('instances.id').onDelete('cascade'))
        .addColumn('object_type', 'text', (c) => c.notNull())
        .addColumn('cursor', 'text', (c) => c.notNull())
        .addColumn('baseline_done', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('polled_at', 'text')
        .addPrimaryKeyConstraint('event_cursors_pk', ['instance_id', 'object_type'])
        .execute();
      await db.schema
        .createTable('event_known_ids')
        .addColumn('instance_id', 'integer', (c) => c.notNull().references('instances.id').onDelete('cascade'))
        .addColumn('object_type', 'text', (c) => c.notNull())
        .addColumn('object_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('event_known_ids_pk', ['instance_id', 'object_type', 'object_id'])
        .execute();
      await db.schema
        .createTable('event_notifications')
        .addColumn('id', idColumn(dialect))
        .addColumn('event_id', 'text', (c) => c.notNull().unique())
        .addColumn('instance_id', 'integer', (c) => c.notNull().references('instances.id').onDelete('cascade'))
        .addColumn('object_type', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'text', (c) => c.notNull())
        .addColumn('lease_until', 'text')
        .addColumn('first_failure_at', 'text')
        .addColumn('last_error', 'text')
        .addColumn('last_status', 'integer')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('delivered_at', 'text')
        .execute();
      await db.schema
        .createIndex('event_notifications_due')
        .on('event_notifications')
        .columns(['status', 'next_attempt_at'])
        .execute();
      await db.schema
        .createIndex('event_notifications_instance')
        .on('event_notifications')
        .columns(['instance_id', 'id'])
        .execute();
      // Per-instance claims (a fair share of the dispatcher for each instance).
      await db.schema
        .createIndex('event_notifications_instance_due')
        .on('event_notifications')
        .columns(['status', 'instance_id', 'next_attempt_at'])
        .execute();
      await db.schema
        .createTable('event_items')
        .addColumn('id', idColumn(dialect))
        .addColumn('instance_id', 'integer', (c) => c.notNull().references('instances.id').onDelete('cascade'))
        .addColumn('event_id', 'text')
        .addColumn('object_type', 'text', (c) => c.notNull())
        .addColumn('object_id', 'text', (c) => c.notNull())
        .addColumn('event_type', 'text', (c) => c.notNull())
        .addColumn('dedupe_key', 'text', (c) => c.notNull())
        .addColumn('date', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('event_items_dedupe', ['instance_id', 'dedupe_key'])
        .execute();
      await db.schema.createIndex('event_items_event').on('event_items').column('event_id').execute();
      await db.schema
        .createTable('event_attempts')
        .addColumn('id', idColumn(dialect))
        .addColumn('notification_id', 'integer', (c) =>
          c.notNull().references('event_notifications.id').onDelete('cascade'),
        )
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('status', 'integer')
        .addColumn('error', 'text')
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('event_attempts_notification')
        .on('event_attempts')
        .column('notification_id')
        .execute();
    },
  };
}
