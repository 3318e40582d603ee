// The operator CLI as an operator runs it: `conduit doctor`, `instances …`, `events tail`, `backup`, each in its
// own process against the store of a running server (SQLite file or PostgreSQL schema).
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../helpers/server.ts';
import { type HubFixture, startHubFixture } from './hubFixture.ts';

const run = promisify(execFile);
let f: HubFixture;
let dir: string;
beforeAll(async () => {
  f = await startHubFixture();
  dir = mkdtempSync(join(tmpdir(), 'conduit-ops-cli-'));
});
afterAll(async () => {
  await f?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `conduit <args>` with the server's settings (plus `env`); never throws, answers the exit code and output. */
async function conduit(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/conduit.js', ...args], {
      env: { ...process.env, ...f.server.env, LOG_LEVEL: 'silent', ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

type Check = { name: string; status: 'ok' | 'warn' | 'fail'; detail: string };

describe(`conduit doctor (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('a healthy setup passes every check, the instance reaching ConnectWise included', async () => {
    const r = await conduit(['doctor', '--instances', '--json']);
    const checks = JSON.parse(r.stdout) as Check[];
    expect(checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(r.code).toBe(0);
    const byName = new Map(checks.map((c) => [c.name, c]));
    expect(byName.get('store')?.status).toBe('ok');
    expect(byName.get('schema')?.detail).toMatch(/^current/);
    expect(byName.get('master key')?.status).toBe('ok');
    expect(byName.get(`instance ${f.instanceId}`)?.detail).toContain('ConnectWise answers');
    expect(byName.get('outbound policy')?.detail).toContain('CONDUIT_UPSTREAM_ALLOW');
    expect(byName.has('console')).toBe(true);
  }, 60_000);

  it('a wrong master key fails, naming both key ids, and exits 1', async () => {
    const r = await conduit(['doctor'], { CONDUIT_MASTER_KEY: randomBytes(32).toString('base64') });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL master key: the store is sealed with key [0-9a-f]+, but this configuration has/m);
    expect(r.stdout).toContain('check(s) failed');
  }, 60_000);

  it('an unreachable database fails in one line and exits 1', async () => {
    const r = await conduit(['doctor'], {
      DATABASE_URL: 'postgres://conduit:hunter2pass@127.0.0.1:1/nowhere',
      DATABASE_SCHEMA: 'x',
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^FAIL store: cannot connect to PostgreSQL at postgres:\/\/conduit:\*\*\*@127\.0\.0\.1:1\/nowhere/m,
    );
    expect(r.stdout).not.toContain('hunter2pass');
  }, 60_000);
});

describe(`conduit instances (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('list and show are scoped to the organization, with secrets masked', async () => {
    const list = await conduit(['instances', 'list', '--org', String(f.org.organizationId), '--json']);
    expect(list.code).toBe(0);
    const rows = JSON.parse(list.stdout) as Array<{ id: number; elementKey: string; disabled: boolean }>;
    expect(rows.map((r) => r.id)).toEqual([f.instanceId]);
    expect(rows[0]?.elementKey).toBe('connectwisecrmrest');

    const show = await conduit(['instances', 'show', String(f.instanceId), '--org', String(f.org.organizationId)]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('token: ********');
    expect(show.stdout).toContain('private.key: ********');
    expect(show.stdout).not.toContain(f.token);

    const other = await f.server.createOrg('Other');
    const hidden = await conduit(['instances', 'show', String(f.instanceId), '--org', String(other.organizationId)]);
    expect(hidden.code).toBe(1);
    expect(hidden.stderr).toContain(`Instance ${f.instanceId} does not exist in organization ${other.organizationId}`);
    const bad = await conduit(['instances', 'list', '--org', 'abc']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--org must be a positive integer id; got "abc"');
  }, 90_000);

  it('disable refuses the token on the running server, enable restores it', async () => {
    const org = String(f.org.organizationId);
    const off = await conduit(['instances', 'disable', String(f.instanceId), '--org', org, '--json']);
    expect(off.code).toBe(0);
    expect(JSON.parse(off.stdout).disabled).toBe(true);
    await new Promise((r) => setTimeout(r, 2_100)); // the server's instance cache
    const refused = await f.hub('GET', '/hubs/crm/contacts?pageSize=1');
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    const on = await conduit(['instances', 'enable', String(f.instanceId), '--org', org]);
    expect(on.stdout).toContain(`Instance ${f.instanceId} enabled.`);
    await new Promise((r) => setTimeout(r, 2_100));
    expect((await f.hub('GET', '/hubs/crm/contacts?pageSize=1')).status).toBe(200);
  }, 90_000);
});

describe(`conduit events tail (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('prints an event written to the store while it runs, and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['bin/conduit.js', 'events', 'tail', '--instance', String(f.instanceId), '--interval', '100'],
      { env: { ...process.env, ...f.server.env, LOG_LEVEL: 'silent' } },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += String(d);
    });
    child.stderr.on('data', (d) => {
      err += String(d);
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const until = async (ok: () => boolean, what: string) => {
      const deadline = Date.now() + 45_000;
      while (!ok()) {
        if (Date.now() > deadline) throw new Error(`no ${what}; stdout: ${out}; stderr: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await until(() => err.includes('Following the event log'), 'start');
      const eventId = `tail-${randomBytes(4).toString('hex')}`;
      const body = JSON.stringify({
        message: { eventId, events: [{ eventType: 'UPDATED', objectType: 'contacts', objectId: '42' }] },
      });
      const now = new Date().toISOString();
      await sql`insert into event_notifications (event_id, instance_id, object_type, source, body, status, attempts,
        next_attempt_at, created_at) values (${eventId}, ${f.instanceId}, 'contacts', 'polling', ${body}, 'dead', 0,
        ${now}, ${now})`.execute(f.server.runtime.deps.store.db);
      await until(() => out.includes(eventId), 'event line');
      const line = out.split('\n').find((l) => l.includes(eventId));
      expect(line).toMatch(new RegExp(`^\\S+  ${eventId}  contacts  polling  dead  UPDATED contacts/42$`));
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 90_000);
});

describe(`conduit backup (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('copies the running SQLite store (0600, consistent, readable); on PostgreSQL it points to pg_dump', async () => {
    const out = join(dir, 'backup.sqlite');
    const r = await conduit(['backup', '--out', out]);
    if (testDatabaseUrl) {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('Use pg_dump');
      expect(r.stderr).toContain(`--schema=${f.server.pgSchema}`);
      return;
    }
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`to ${out}`);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const copy = new Database(out, { readonly: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      const row = copy.prepare('select count(*) as n from instances').get() as { n: number };
      expect(row.n).toBe(1);
    } finally {
      copy.close();
    }
    const again = await conduit(['backup', '--out', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('exists: choose another file or add --force');
  }, 60_000);

  it('the store files with secrets are owner-only (0600)', () => {
    const files = testDatabaseUrl ? ['master.key'] : ['master.key', 'conduit.sqlite', 'conduit.sqlite-wal'];
    for (const name of files) expect(statSync(join(f.server.dataDir, name)).mode & 0o777).toBe(0o600);
  });
});
