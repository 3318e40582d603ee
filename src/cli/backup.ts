// `conduit backup --out <file>`: a consistent copy of the SQLite store, also while servers write to it, through
// SQLite's online backup API (better-sqlite3 `.backup()`) over a read-only connection. PostgreSQL has pg_dump.
import { closeSync, existsSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/index.ts';
import { maskedUrl } from './startup.ts';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** Copies `source` to `out` (0600, written under a temporary name and renamed, so `out` is never half a file). */
export async function backupSqlite(source: string, out: string): Promise<{ pages: number; bytes: number }> {
  const tmp = join(dirname(out), `.${Date.now()}-${process.pid}.conduit-backup.tmp`);
  closeSync(openSync(tmp, 'wx', 0o600)); // the copy holds sealed secrets and hashes: owner-only from the start
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    const { totalPages } = await db.backup(tmp);
    const copy = new Database(tmp, { readonly: true });
    try {
      const check = copy.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`the copy fails SQLite's quick_check: ${String(check)}`);
      const size = copy.pragma('page_count', { simple: true }) as number;
      const pageSize = copy.pragma('page_size', { simple: true }) as number;
      renameSync(tmp, out);
      return { pages: totalPages, bytes: size * pageSize };
    } finally {
      copy.close();
    }
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  } finally {
    db.close();
  }
}

export function registerBackupCommand(program: Command): void {
  program
    .command('backup')
    .requiredOption('--out <file>', 'where to write the copy (refused if it exists, unless --force)')
    .option('--force', 'replace an existing file')
    .description('Copy the SQLite store consistently while servers run (SQLite online backup). PostgreSQL: use pg_dump')
    .action(async (opts: { out: string; force?: boolean }) => {
      let config: ReturnType<typeof loadConfig>;
      try {
        config = loadConfig();
      } catch (err) {
        if (err instanceof ConfigError) fail(err.message);
        throw err;
      }
      if (config.DATABASE_URL) {
        const schema = config.DATABASE_SCHEMA ? ` --schema=${config.DATABASE_SCHEMA}` : '';
        fail(
          `conduit backup copies the SQLite store only; this store is PostgreSQL (DATABASE_URL). Use pg_dump, e.g.:\n` +
            `  pg_dump --format=custom${schema} --file=${opts.out} "${maskedUrl(config.DATABASE_URL)}"`,
        );
      }
      const source = join(config.CONDUIT_DATA_DIR, 'conduit.sqlite');
      if (!existsSync(source)) fail(`There is no store at ${source} (CONDUIT_DATA_DIR) to back up`);
      const out = resolve(opts.out);
      if (out === resolve(source)) fail('--out is the store itself: choose another file');
      if (existsSync(out) && !opts.force) fail(`${out} exists: choose another file or add --force`);
      try {
        const { bytes } = await backupSqlite(source, out);
        process.stdout.write(
          `Backed up ${source} to ${out} (${Math.round(bytes / 1024)} KB, mode 0600).\n` +
            `Secrets in it are sealed with the master key: keep ${join(config.CONDUIT_DATA_DIR, 'master.key')} (or CONDUIT_MASTER_KEY) with it, stored apart.\n`,
        );
      } catch (e) {
        fail(`conduit: backup of ${source} failed: ${(e as Error).message}`);
      }
    });
}
