// `conduit doctor`: checks a deployment without changing it (no migration, no key written) and says what to fix.
// Exit code 1 when any check fails; warnings do not fail.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { Migrator } from 'kysely';
import { type Config, ConfigError, loadConfig } from '../config/index.ts';
import { loadElementCatalog } from '../elements/index.ts';
import { loadInstanceConfig, type PlatformDeps, verifyCredentials } from '../platform/index.ts';
import {
  constantTimeEqual,
  createSecretBox,
  findKeyring,
  type Keyring,
  keyCheckValue,
  keyContext,
  parseAllowList,
  type SecretBox,
} from '../security/index.ts';
import { listAllInstances, listKeyChecks, openStore, type Store } from '../store/index.ts';
import { migrationProvider } from '../store/migrations/index.ts';
import { createUpstreamClient } from '../upstream/index.ts';
import { consoleDir } from './capabilities/web.ts';
import { maskedUrl, storeProblem } from './startup.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail';
export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
}

const sqliteFile = (config: Config) => join(config.CONDUIT_DATA_DIR, 'conduit.sqlite');

/** Files holding secrets (the SQLite store and its journals, the master key file) must be the owner's alone. */
function permissionsCheck(config: Config): Check {
  const dir = config.CONDUIT_DATA_DIR;
  if (!existsSync(dir))
    return { name: 'data dir', status: 'warn', detail: `${dir} does not exist yet (made at start)` };
  const open: string[] = [];
  const secretFiles = readdirSync(dir).filter((f) => /^conduit\.sqlite(-wal|-shm)?$|^master\.key$/.test(f));
  for (const f of secretFiles) {
    const mode = statSync(join(dir, f)).mode & 0o777;
    if (mode & 0o077) open.push(`${f} is ${mode.toString(8).padStart(4, '0')}`);
  }
  if (open.length > 0)
    return {
      name: 'data dir',
      status: 'fail',
      detail: `${open.join(', ')}: other users may read secrets; run chmod 600 on them (in ${dir})`,
    };
  const dirMode = statSync(dir).mode & 0o777;
  const note = dirMode & 0o007 ? `; the directory is ${dirMode.toString(8)} (0700 keeps others out)` : '';
  return {
    name: 'data dir',
    status: dirMode & 0o007 ? 'warn' : 'ok',
    detail: `${dir}: ${secretFiles.length} secret files, owner-only${note}`,
  };
}

async function schemaCheck(store: Store): Promise<Check> {
  const migrator = new Migrator({
    db: store.db,
    provider: migrationProvider(store.dialect),
    ...(store.schema ? { migrationTableSchema: store.schema } : {}),
  });
  const migrations = await migrator.getMigrations();
  const pending = migrations.filter((m) => !m.executedAt).map((m) => m.name);
  const latest = migrations.at(-1)?.name ?? 'none';
  if (pending.length === migrations.length)
    return { name: 'schema', status: 'fail', detail: 'the store is empty: run conduit migrate (or start the server)' };
  if (pending.length > 0)
    return {
      name: 'schema',
      status: 'fail',
      detail: `${pending.length} migrations not applied (${pending.join(', ')}): run conduit migrate`,
    };
  return { name: 'schema', status: 'ok', detail: `current (${latest})` };
}

/** Read-only version of the start-up key check: every active key of the store must be in this server's ring. */
async function keyCheck(store: Store, config: Config): Promise<{ check: Check; ring?: Keyring }> {
  const ctx = keyContext(config);
  const ring = findKeyring(ctx);
  const checks = await listKeyChecks(store.db, { activeOnly: true });
  if (checks.length === 0)
    return {
      check: { name: 'master key', status: 'ok', detail: 'the store has no key yet: the first start records one' },
      ...(ring ? { ring } : {}),
    };
  const storeKeys = checks.map((c) => c.keyId).join(', ');
  if (!ring)
    return {
      check: {
        name: 'master key',
        status: 'fail',
        detail: `the store is sealed with key ${storeKeys}, and there is no CONDUIT_MASTER_KEY nor ${ctx.dataDir}/master.key`,
      },
    };
  const missing = checks.filter(
    (c) => !ring.keys().some((k) => c.keyId === k.id && constantTimeEqual(c.checkValue, keyCheckValue(k.key))),
  );
  if (missing.length > 0)
    return {
      check: {
        name: 'master key',
        status: 'fail',
        detail: `the store is sealed with key ${missing.map((c) => c.keyId).join(', ')}, but this configuration has ${ring.current().id} from ${ring.source}: set the store's key (docs/security.md)`,
      },
      ring,
    };
  return {
    check: { name: 'master key', status: 'ok', detail: `${ring.current().id} from ${ring.source} opens the store` },
    ring,
  };
}

function policyCheck(config: Config): Check {
  const allowed = config.CONDUIT_UPSTREAM_ALLOW.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  try {
    parseAllowList(config.CONDUIT_UPSTREAM_ALLOW);
  } catch (e) {
    return { name: 'outbound policy', status: 'fail', detail: `CONDUIT_UPSTREAM_ALLOW: ${(e as Error).message}` };
  }
  return {
    name: 'outbound policy',
    status: 'ok',
    detail: `private, loopback and link-local addresses refused${allowed.length ? `, except ${allowed.join(', ')} (CONDUIT_UPSTREAM_ALLOW)` : ''}`,
  };
}

function consoleCheck(): Check {
  const index = join(consoleDir, 'index.html');
  return existsSync(index)
    ? { name: 'console', status: 'ok', detail: `built (${consoleDir})` }
    : { name: 'console', status: 'warn', detail: `not built (${index} is missing): run npm run build:web` };
}

async function instanceChecks(store: Store, config: Config, box: SecretBox): Promise<Check[]> {
  const policy = parseAllowList(config.CONDUIT_UPSTREAM_ALLOW);
  const upstream = createUpstreamClient({
    policy,
    timeoutMs: Math.min(config.CONDUIT_UPSTREAM_TIMEOUT_MS, 15_000),
    ratePerMinute: config.CONDUIT_RATE_LIMIT_PER_MIN,
    deadlineMs: 20_000,
    maxRetries: 0,
  });
  const catalog = loadElementCatalog();
  const deps: PlatformDeps = { store, box, catalog, upstream, policy, config };
  const out: Check[] = [];
  try {
    for (const record of await listAllInstances(store.db)) {
      const name = `instance ${record.id}`;
      const def = catalog.find(record.elementKey);
      if (!def) {
        out.push({ name, status: 'fail', detail: `element ${record.elementKey} is not in this version's catalogue` });
        continue;
      }
      if (record.disabled) {
        out.push({ name, status: 'ok', detail: `${record.name}: disabled, not checked` });
        continue;
      }
      const verified = await verifyCredentials(def, await loadInstanceConfig(deps, record.id), upstream, policy);
      out.push(
        verified.ok
          ? {
              name,
              status: 'ok',
              detail: `${record.name} (organization ${record.organizationId}): ConnectWise answers`,
            }
          : {
              name,
              status: 'fail',
              detail: `${record.name} (organization ${record.organizationId}): ${verified.error.message}${verified.error.providerMessage ? ` — ${verified.error.providerMessage}` : ''}`,
            },
      );
    }
  } finally {
    await upstream.close();
  }
  return out;
}

/** Every check, in order; the store-dependent ones are skipped when the store cannot be reached. */
export async function runDoctor(config: Config, opts: { instances?: boolean } = {}): Promise<Check[]> {
  const checks: Check[] = [permissionsCheck(config)];
  const label = config.DATABASE_URL ? maskedUrl(config.DATABASE_URL) : sqliteFile(config);
  const problem = await storeProblem(config);
  if (problem) {
    checks.push({ name: 'store', status: 'fail', detail: problem.replace(/^conduit: /, '') });
  } else if (!config.DATABASE_URL && !existsSync(sqliteFile(config))) {
    checks.push({ name: 'store', status: 'fail', detail: `${label} does not exist: start the server once` });
  } else {
    const store = await openStore({
      databaseUrl: config.DATABASE_URL,
      sqliteFile: sqliteFile(config),
      pgSchema: config.DATABASE_SCHEMA,
    });
    try {
      checks.push({ name: 'store', status: 'ok', detail: `${store.dialect} at ${label} answers` });
      const schema = await schemaCheck(store);
      checks.push(schema);
      if (schema.status === 'ok') {
        const { check, ring } = await keyCheck(store, config);
        checks.push(check);
        if (opts.instances) {
          if (check.status === 'ok' && ring)
            checks.push(...(await instanceChecks(store, config, createSecretBox(ring))));
          else
            checks.push({
              name: 'instances',
              status: 'fail',
              detail: 'not checked: the master key does not open the store',
            });
        }
      }
    } finally {
      await store.close();
    }
  }
  checks.push(policyCheck(config), consoleCheck());
  return checks;
}

const MARK: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description(
      'Check the store (reachable, schema current), the master key, data dir permissions, the outbound policy and the console build; exit code 1 on any failure',
    )
    .option('--instances', "also check each instance's ConnectWise credentials and reachability")
    .option('--json', 'print JSON')
    .action(async (opts: { instances?: boolean; json?: boolean }) => {
      let config: Config;
      try {
        config = loadConfig();
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        if (opts.json)
          process.stdout.write(`${JSON.stringify([{ name: 'settings', status: 'fail', detail: err.message }])}\n`);
        else process.stdout.write(`FAIL settings: ${err.message}\n`);
        process.exit(1);
      }
      const checks = await runDoctor(config, opts);
      if (opts.json) process.stdout.write(`${JSON.stringify(checks)}\n`);
      else for (const c of checks) process.stdout.write(`${MARK[c.status]} ${c.name}: ${c.detail}\n`);
      const failed = checks.filter((c) => c.status === 'fail').length;
      if (!opts.json) process.stdout.write(failed ? `${failed} check(s) failed\n` : 'All checks passed\n');
      process.exit(failed ? 1 : 0);
    });
}
