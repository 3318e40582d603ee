// One Kysely handle over SQLite (better-sqlite3, WAL) or PostgreSQL (pg); the rest of the code never asks which.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import pg from 'pg';
import { ScopedPostgresDialect } from './pgIntrospector.ts';
import type { Tables } from './tables.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Tables>;
  dialect: Dialect;
  /** The PostgreSQL schema in use, when not the default. */
  schema?: string;
  /** PostgreSQL only: the connection pool's size, idle connections and queries waiting for one. */
  poolStats?(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

export interface StoreOptions {
  /** postgres://… selects PostgreSQL; otherwise sqliteFile is used. */
  databaseUrl?: string;
  sqliteFile?: string;
  /** PostgreSQL schema to use (tests isolate suites this way); created if missing. */
  pgSchema?: string;
}

export async function openStore(options: StoreOptions): Promise<Store> {
  if (options.databaseUrl) {
    const schema = options.pgSchema;
    if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid PostgreSQL schema name ${schema}`);
    if (schema) {
      const admin = new pg.Client({ connectionString: options.databaseUrl });
      await admin.connect();
      await admin.query(`create schema if not exists ${schema}`);
      await admin.end();
    }
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: 10,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    const db = new Kysely<Tables>({ dialect: new ScopedPostgresDialect({ pool }) });
    return {
      db,
      dialect: 'postgres',
      schema,
      poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
      close: () => db.destroy(),
    };
  }
  const file = options.sqliteFile ?? ':memory:';
  if (file !== ':memory:') {
    mkdirSync(dirname(file), { recursive: true });
    ownerOnly(file);
  }
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  // SQLite gives -wal and -shm the main file's mode; files made by an older version are narrowed here too.
  if (file !== ':memory:') for (const f of [`${file}-wal`, `${file}-shm`]) narrow(f);
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

/** The store holds sealed secrets and hashes: only its owner may read it (created 0600, or narrowed to it). */
function ownerOnly(file: string): void {
  if (existsSync(file)) narrow(file);
  else closeSync(openSync(file, 'a', 0o600));
}

/** Best effort on an existing file: another owner's file (EPERM) is left as it is rather than refusing to start. */
function narrow(file: string): void {
  try {
    chmodSync(file, 0o600);
  } catch {
    /* missing, or not ours */
  }
}
