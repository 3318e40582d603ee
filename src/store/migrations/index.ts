// Migrations are the files NNNN_name.ts in this folder, each exporting migration(dialect). Append only:
// never edit a migration that has shipped; add a new file instead.
import { readdirSync } from 'node:fs';
import type { Migration, MigrationProvider } from 'kysely';
import type { Dialect } from '../database.ts';

export function migrationProvider(dialect: Dialect): MigrationProvider {
  return {
    async getMigrations() {
      const folder = new URL('./', import.meta.url);
      const files = readdirSync(folder)
        // .ts in the sources, .js in the build (dist/); the name without it is what the store records.
        .filter((f) => /^\d{4}_[a-z0-9_]+\.(ts|js)$/.test(f))
        .sort();
      const out: Record<string, Migration> = {};
      for (const file of files) {
        const mod = (await import(new URL(file, folder).href)) as { migration?: (d: Dialect) => Migration };
        if (typeof mod.migration !== 'function')
          throw new Error(`migration ${file} does not export migration(dialect)`);
        out[file.replace(/\.(ts|js)$/, '')] = mod.migration(dialect);
      }
      return out;
    },
  };
}
