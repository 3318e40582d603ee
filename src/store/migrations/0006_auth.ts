// Sign-in by password: a user's optional scrypt password hash, bearer sessions (token hashed at rest), the
// failed sign-ins that rate limiting counts; the user and organization secrets sealed under the master key (so a
// signed-in user can get them back: GET /authentication/secrets), and an instance's sealed providerData.
import type { Migration } from 'kysely';
import type { Dialect } from '../database.ts';
import { type AnyDb, idColumn } from './columns.ts';

export function migration(dialect: Dialect): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema.alterTable('users').addColumn('password_hash', 'text').execute();
      // Null for rows made before 0006: their secrets exist only as hashes until rotated.
      await db.schema.alterTable('users').addColumn('secret_sealed', 'text').execute();
      await db.schema.alterTable('organizations').addColumn('secret_sealed', 'text').execute();
      await db.schema.createIndex('users_email').on('users').column('email').execute();
      await db.schema
        .createTable('sessions')
        .addColumn('id', idColumn(dialect))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
      await db.schema
        .createTable('sign_in_failures')
        .addColumn('id', idColumn(dialect))
        .addColumn('subject', 'text', (c) => c.notNull()) // "user:<email>" or "address:<ip>"
        .addColumn('at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('sign_in_failures_subject')
        .on('sign_in_failures')
        .columns(['subject', 'at'])
        .execute();
      await db.schema.alterTable('instances').addColumn('provider_data_sealed', 'text').execute();
    },
  };
}
