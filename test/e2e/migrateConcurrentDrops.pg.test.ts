// Start-up on a PostgreSQL database shared with others: schemas dropped by someone else while
// we migrate must not fail our migration (Kysely's stock introspector resolved every schema by
// name and failed with `schema "…" does not exist`).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';
import { testDatabaseUrl } from '../helpers/server.ts';

describe('migrations beside other schemas being dropped (PostgreSQL)', () => {
  it('migrates fresh schemas while another client creates and drops schemas without pause', async () => {
    const url = testDatabaseUrl as string;
    const churn = new pg.Client({ connectionString: url });
    await churn.connect();
    let running = true;
    let dropped = 0;
    const churning = (async () => {
      while (running) {
        const names = Array.from({ length: 20 }, () => `churn_${randomBytes(5).toString('hex')}`);
        for (const n of names) await churn.query(`create schema ${n}; create table ${n}.t (id serial primary key)`);
        for (const n of names) await churn.query(`drop schema ${n} cascade`);
        dropped += names.length;
      }
    })();
    const ours: string[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        const schema = `mig_${randomBytes(5).toString('hex')}`;
        ours.push(schema);
        const store = await openStore({ databaseUrl: url, pgSchema: schema });
        try {
          const applied = await migrateToLatest(store);
          expect(applied.length).toBeGreaterThan(0);
          expect(await migrateToLatest(store)).toEqual([]); // second run: up to date, sees its own tables
        } finally {
          await store.close();
        }
      }
    } finally {
      running = false;
      await churning;
      for (const s of ours) await churn.query(`drop schema if exists ${s} cascade`);
      await churn.end();
    }
    expect(dropped).toBeGreaterThan(0);
  }, 120_000);
});
