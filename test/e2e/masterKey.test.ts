// The master key end to end: a server whose key is not the store's key refuses to start (and says which key,
// where it looked, never the key), /readyz is ready only with the right keys, and `conduit keys rotate`
// re-seals every secret while the server keeps answering hub calls — key file and environment procedures.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../src/sandbox/index.ts';
import { keyIdOf, parseKeyFile } from '../../src/security/masterKey.ts';
import { migrateToLatest, openStore } from '../../src/store/index.ts';
import { sandboxAllow, seedBody, startTestSandbox } from '../helpers/sandbox.ts';
import { call, elementAuth, orgAuth, startTestServer, type TestServer, testDatabaseUrl } from '../helpers/server.ts';

let sandbox: RunningSandbox;
let allow: Record<string, string>;
const dirs: string[] = [];
const servers: TestServer[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox();
  allow = { CONDUIT_UPSTREAM_ALLOW: sandboxAllow(sandbox) };
});
afterAll(async () => {
  for (const s of servers) await s.close();
  await sandbox?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const label = testDatabaseUrl ? 'PostgreSQL' : 'SQLite';

function newDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'conduit-key-'));
  dirs.push(dir);
  return dir;
}

/** Starts a server on a shared data dir / schema; the last one started in a test is closed in afterAll. */
async function start(dataDir: string, pgSchema: string | undefined, env: Record<string, string> = {}) {
  const server = await startTestServer({ dataDir, pgSchema, env: { ...allow, ...env } });
  servers.push(server);
  return server;
}

interface Tenant {
  org: { userSecret: string; organizationSecret: string };
  instances: Array<{ id: number; token: string }>;
}

async function provision(server: TestServer, count = 2): Promise<Tenant> {
  const org = await server.createOrg('Keys');
  const instances: Tenant['instances'] = [];
  for (let i = 0; i < count; i++) {
    const res = await call(server.base, 'POST', '/instances', { auth: orgAuth(org), body: seedBody(sandbox) });
    expect(res.status).toBe(200);
    instances.push({ id: res.body.id, token: res.body.token });
  }
  return { org, instances };
}

/** Every instance answers a hub read and its own GET (which opens the sealed token and configuration). */
async function allWork(server: TestServer, t: Tenant): Promise<number[]> {
  const statuses: number[] = [];
  for (const i of t.instances) {
    const hub = await call(server.base, 'GET', '/hubs/crm/contacts?pageSize=2', { auth: elementAuth(t.org, i.token) });
    statuses.push(hub.status);
    const own = await call(server.base, 'GET', `/instances/${i.id}`, { auth: orgAuth(t.org) });
    statuses.push(own.status);
    if (own.status === 200) expect(own.body.token).toBe(i.token);
  }
  return statuses;
}

const readyz = async (server: TestServer) => call(server.url, 'GET', '/readyz');

/** Runs the real CLI (`node bin/conduit.js …`) with the server's settings. */
function cli(args: string[], env: Record<string, string>, timeoutMs = 60_000) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(CONDUIT_|DATABASE_|HOST$|PORT$)/.test(k)),
  );
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['bin/conduit.js', ...args], {
      cwd: join(import.meta.dirname, '../..'),
      env: { ...clean, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `conduit serve` in its own process: resolves "listening" once it serves, or its stderr when it exits. */
function serveUntilListening(env: Record<string, string>) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(CONDUIT_|DATABASE_|HOST$|PORT$)/.test(k)),
  );
  const child = spawn(process.execPath, ['bin/conduit.js', 'serve'], {
    cwd: join(import.meta.dirname, '../..'),
    env: { ...clean, ...env },
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const outcome = new Promise<string>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('Conduit API:')) resolve('listening');
    });
    child.on('exit', () => resolve(stderr));
    setTimeout(() => resolve(`still starting: ${stderr}`), 40_000);
  });
  return { outcome, stop: () => child.exitCode === null && child.kill('SIGKILL') };
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
}

/** Hub calls and configuration PATCHes (which re-seal the secrets) in a loop until stopped. */
function keepCalling(server: TestServer, t: Tenant) {
  const statuses: number[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      statuses.push(...(await allWork(server, t)));
      const i = t.instances[statuses.length % t.instances.length]!;
      const patched = await call(server.base, 'PATCH', `/instances/${i.id}`, {
        auth: orgAuth(t.org),
        body: { configuration: { 'event.notification.enabled': false } },
      });
      statuses.push(patched.status);
    }
  })();
  return {
    statuses,
    async stop() {
      running = false;
      await done;
      return statuses;
    },
  };
}

/** A finished bulk export of a few contacts (its job row holds a sealed file key); answers the job id and file. */
async function bulkExport(server: TestServer, t: Tenant): Promise<{ id: number; file: string }> {
  const auth = elementAuth(t.org, t.instances[0]!.token);
  const q = encodeURIComponent('select * from contacts where id <= 20');
  const submitted = await call(server.base, 'POST', `/hubs/crm/bulk/query?q=${q}`, { auth });
  expect(submitted.status).toBe(200);
  const id = submitted.body.id as number;
  const until = Date.now() + 20_000;
  for (;;) {
    const status = await call(server.base, 'GET', `/hubs/crm/bulk/${id}/status`, { auth });
    if (status.body.status === 'COMPLETED') break;
    if (Date.now() > until || ['FAILED', 'CANCELLED'].includes(status.body.status)) throw new Error(status.text);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { id, file: await bulkFile(server, t, id) };
}

async function bulkFile(server: TestServer, t: Tenant, id: number): Promise<string> {
  const res = await call(server.base, 'GET', `/hubs/crm/bulk/${id}/contacts`, {
    auth: elementAuth(t.org, t.instances[0]!.token),
    headers: { accept: 'application/json' },
  });
  expect(res.status).toBe(200);
  return res.text;
}

async function sealedValues(server: TestServer): Promise<string[]> {
  const db = server.runtime.deps.store.db;
  const config = await db
    .selectFrom('instance_configuration')
    .select('value')
    .where('secret', '=', 1)
    .where('value', 'is not', null)
    .execute();
  const tokens = await db.selectFrom('instances').select('token_sealed').execute();
  const bulk = (await db
    .selectFrom('bulk_jobs' as never)
    .select('data_key' as never)
    .execute()) as Array<{
    data_key: string;
  }>;
  // An empty secret is stored as it is: nothing to seal.
  return [...config.map((r) => r.value!), ...tokens.map((r) => r.token_sealed), ...bulk.map((r) => r.data_key)].filter(
    (v) => v !== '',
  );
}

describe(`master key checks (${label})`, () => {
  it('refuses to start with a different key or without a key, saying which key is expected and where', async () => {
    const dataDir = newDataDir();
    const first = await start(dataDir, undefined);
    const pgSchema = first.pgSchema;
    const tenant = await provision(first, 1);
    expect((await readyz(first)).status).toBe(200);
    await first.stop();
    const keyFile = join(dataDir, 'master.key');
    const storeKey = keyIdOf(parseKeyFile(readFileSync(keyFile, 'utf8'), keyFile)[0]!.key);

    const wrong = randomBytes(32);
    const refused = await start(dataDir, pgSchema, { CONDUIT_MASTER_KEY: wrong.toString('hex') }).catch((e) => e);
    expect(refused).toBeInstanceOf(Error);
    expect(refused.message).toContain(
      `was sealed with master key ${storeKey}; this server has key ${keyIdOf(wrong)} from CONDUIT_MASTER_KEY. Start it with the right CONDUIT_MASTER_KEY or restore ${keyFile}`,
    );
    expect(refused.message).toContain(testDatabaseUrl ? `schema ${pgSchema}` : join(dataDir, 'conduit.sqlite'));
    expect(refused.message).not.toContain(wrong.toString('hex'));
    expect(refused.message).not.toContain(wrong.toString('base64'));

    // A copied store without its key file: refused, and no new key file is made.
    renameSync(keyFile, `${keyFile}.away`);
    const keyless = await start(dataDir, pgSchema).catch((e) => e);
    expect(keyless.message).toContain(`was sealed with master key ${storeKey}; this server has no master key`);
    expect(existsSync(keyFile)).toBe(false);
    renameSync(`${keyFile}.away`, keyFile);

    // The real command: exits non-zero with the message (and never listens).
    const env = { ...first.env, ...allow, CONDUIT_MASTER_KEY: wrong.toString('base64') };
    const served = await cli(['serve'], env, 30_000);
    expect(served.code).not.toBe(0);
    expect(served.code).not.toBeNull();
    expect(served.stderr).toContain(`conduit: the store at `);
    expect(served.stderr).toContain(`was sealed with master key ${storeKey}`);
    expect(served.stderr).not.toMatch(/^\s+at /m); // one line, no stack trace
    expect(served.stderr + served.stdout).not.toContain(wrong.toString('base64'));

    const again = await start(dataDir, pgSchema);
    expect(await allWork(again, tenant)).toEqual([200, 200]);
    expect((await readyz(again)).status).toBe(200);
    await again.stop();
  }, 60_000);

  it('two servers starting on an empty store with different keys: one starts, the other refuses', async () => {
    const dataDir = newDataDir();
    const pgSchema = testDatabaseUrl ? `t_${randomBytes(6).toString('hex')}` : undefined;
    // The schema first (concurrent first migrations are another matter), then both servers at once.
    const store = await openStore({
      databaseUrl: testDatabaseUrl,
      sqliteFile: join(dataDir, 'conduit.sqlite'),
      pgSchema,
    });
    await migrateToLatest(store);
    await store.close();
    const env = {
      HOST: '127.0.0.1',
      PORT: '0',
      CONDUIT_DATA_DIR: dataDir,
      CONDUIT_BOOTSTRAP: 'false',
      LOG_LEVEL: 'silent',
      ...(testDatabaseUrl ? { DATABASE_URL: testDatabaseUrl, DATABASE_SCHEMA: pgSchema! } : {}),
    };
    const runs = [randomBytes(32), randomBytes(32)].map((k) =>
      serveUntilListening({ ...env, CONDUIT_MASTER_KEY: k.toString('hex') }),
    );
    const results = await Promise.all(runs.map((r) => r.outcome));
    for (const r of runs) r.stop();
    expect(results.filter((r) => r === 'listening')).toHaveLength(1);
    const refused = results.find((r) => r !== 'listening');
    expect(refused).toMatch(/was sealed with master key [0-9a-f]{8}; this server has key [0-9a-f]{8}/);
    if (pgSchema) await dropSchema(pgSchema);
  }, 60_000);

  it('a store from before key checks adopts the key that opens its secrets, and refuses any other', async () => {
    const dataDir = newDataDir();
    const first = await start(dataDir, undefined);
    const pgSchema = first.pgSchema;
    const tenant = await provision(first, 1);
    // As stores from before key checks hold them: no key check row, values in the enc:v1 form (no key id).
    const db = first.runtime.deps.store.db;
    await db.deleteFrom('key_checks' as never).execute();
    await sql`update instance_configuration set value = 'enc:v1:' || substr(value, 17) where value like 'enc:v2:%'`.execute(
      db,
    );
    await sql`update instances set token_sealed = 'enc:v1:' || substr(token_sealed, 17)`.execute(db);
    await first.stop();

    const wrong = await start(dataDir, pgSchema, { CONDUIT_MASTER_KEY: randomBytes(32).toString('hex') }).catch(
      (e) => e,
    );
    expect(wrong.message).toMatch(
      /was sealed with a master key of unknown id \(sealed before key checks\); this server has key [0-9a-f]{8}/,
    );

    const right = await start(dataDir, pgSchema);
    expect(await allWork(right, tenant)).toEqual([200, 200]);
    const rows = await right.runtime.deps.store.db
      .selectFrom('key_checks' as never)
      .selectAll()
      .execute();
    expect(rows).toHaveLength(1);
    expect((await sealedValues(right)).every((v) => v.startsWith('enc:v1:'))).toBe(true);
    // A rotation brings the old values to the new form too.
    const rotated = await cli(['keys', 'rotate'], right.env);
    expect(rotated.code).toBe(0);
    const id = /under master key ([0-9a-f]{8})/.exec(rotated.stdout)?.[1];
    expect((await sealedValues(right)).filter((v) => !v.startsWith(`enc:v2:${id}:`))).toEqual([]);
    expect(await allWork(right, tenant)).toEqual([200, 200]);
    await right.stop();
  }, 60_000);

  it('/readyz is unready when the store moves to a key this server does not have', async () => {
    const dataDir = newDataDir();
    const server = await start(dataDir, undefined);
    const tenant = await provision(server, 1);
    expect((await readyz(server)).body).toMatchObject({ status: 'ready' });
    const keyFile = join(dataDir, 'master.key');
    const own = parseKeyFile(readFileSync(keyFile, 'utf8'), keyFile)[0]!.key;
    const other = randomBytes(32);
    // Another node of the same store rotates to a key this server was never given.
    const rotated = await cli(['keys', 'rotate'], {
      ...server.env,
      CONDUIT_MASTER_KEY: other.toString('base64'),
      CONDUIT_MASTER_KEY_PREVIOUS: own.toString('base64'),
    });
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    const res = await readyz(server);
    expect(res.status).toBe(503);
    expect(res.body.reason).toContain(`master key ${keyIdOf(other)}`);
    expect(res.body.reason).not.toContain(other.toString('base64'));
    // A value sealed under a key this server lacks is a 503 naming the key, never a bare 500.
    const own2 = await call(server.base, 'GET', `/instances/${tenant.instances[0]!.id}`, { auth: orgAuth(tenant.org) });
    expect(own2.status).toBe(503);
    expect(own2.body.code).toBe('MASTER_KEY_UNAVAILABLE');
    expect(own2.body.message).toContain(keyIdOf(other));
    await server.stop();
  }, 60_000);
});

describe(`online key rotation (${label})`, () => {
  it('key file: `conduit keys rotate` while serving; calls keep working, and after a restart with only the new key', async () => {
    const dataDir = newDataDir();
    const server = await start(dataDir, undefined);
    const tenant = await provision(server, 3);
    const exported = await bulkExport(server, tenant);
    expect(exported.file.split('\n').filter(Boolean)).toHaveLength(20);
    const keyFile = join(dataDir, 'master.key');
    const oldKey = parseKeyFile(readFileSync(keyFile, 'utf8'), keyFile)[0]!.key;

    const load = keepCalling(server, tenant);
    await new Promise((r) => setTimeout(r, 300));
    const rotated = await cli(['keys', 'rotate', '--batch-size', '2'], server.env);
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    const statuses = await load.stop();
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);

    const keys = parseKeyFile(readFileSync(keyFile, 'utf8'), keyFile);
    expect(keys).toHaveLength(1);
    const newId = keys[0]!.id;
    expect(newId).not.toBe(keyIdOf(oldKey));
    expect(rotated.stdout).toContain(`under master key ${newId} (was ${keyIdOf(oldKey)})`);
    expect(rotated.stdout).not.toContain(keys[0]!.key.toString('base64'));
    expect((await sealedValues(server)).filter((v) => !v.startsWith(`enc:v2:${newId}:`))).toEqual([]);
    expect((await readyz(server)).status).toBe(200);
    // Sealing after the rotation uses the new key too.
    expect(await allWork(server, tenant)).toEqual(Array(6).fill(200));
    await server.stop();

    const restarted = await start(dataDir, server.pgSchema);
    expect(await allWork(restarted, tenant)).toEqual(Array(6).fill(200));
    expect(await bulkFile(restarted, tenant, exported.id)).toBe(exported.file); // its file key was re-sealed
    await restarted.stop();
    const stale = await start(dataDir, server.pgSchema, { CONDUIT_MASTER_KEY: oldKey.toString('hex') }).catch((e) => e);
    expect(stale.message).toContain(
      `was sealed with master key ${newId}; this server has key ${keyIdOf(oldKey)} from CONDUIT_MASTER_KEY (retired by a key rotation on`,
    );
  }, 120_000);

  it('environment keys: new key printed, roll with CONDUIT_MASTER_KEY_PREVIOUS, rotate while serving, drop the old key', async () => {
    const dataDir = newDataDir();
    const k1 = randomBytes(32).toString('base64');
    const first = await start(dataDir, undefined, { CONDUIT_MASTER_KEY: k1 });
    const pgSchema = first.pgSchema;
    const tenant = await provision(first, 2);
    expect(existsSync(join(dataDir, 'master.key'))).toBe(false);

    const planned = await cli(['keys', 'rotate'], first.env);
    expect(planned.code).toBe(0);
    const printed = /New master key \(key id ([0-9a-f]{8})\): (\S+)/.exec(planned.stdout);
    expect(printed).not.toBeNull();
    const [, k2Id, k2] = printed!;
    expect(planned.stdout).toContain('CONDUIT_MASTER_KEY_PREVIOUS');
    expect(planned.stdout).not.toContain(k1);
    expect(await allWork(first, tenant)).toEqual(Array(4).fill(200)); // nothing changed yet
    await first.stop();

    const rolled = await start(dataDir, pgSchema, { CONDUIT_MASTER_KEY: k2!, CONDUIT_MASTER_KEY_PREVIOUS: k1 });
    expect((await readyz(rolled)).status).toBe(200);
    const load = keepCalling(rolled, tenant);
    const rotated = await cli(['keys', 'rotate'], rolled.env);
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain(`under master key ${k2Id}; retired ${keyIdOf(Buffer.from(k1, 'base64'))}`);
    const statuses = await load.stop();
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect((await sealedValues(rolled)).filter((v) => !v.startsWith(`enc:v2:${k2Id}:`))).toEqual([]);
    await rolled.stop();

    const onlyNew = await start(dataDir, pgSchema, { CONDUIT_MASTER_KEY: k2! });
    expect(await allWork(onlyNew, tenant)).toEqual(Array(4).fill(200));
    expect((await readyz(onlyNew)).status).toBe(200);
    await onlyNew.stop();
    const onlyOld = await start(dataDir, pgSchema, { CONDUIT_MASTER_KEY: k1 }).catch((e) => e);
    expect(onlyOld.message).toContain(`was sealed with master key ${k2Id}`);
  }, 120_000);
});
