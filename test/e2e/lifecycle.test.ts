// The process lifecycle, with real child processes: SIGTERM drains and exits 0 within the grace (in-flight
// requests answered, idle keep-alive sockets closed, poll leases released), the grace is enforced, `npm start`
// leaves no orphan, and start-up failures are one line naming the setting to fix.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime } from '../../src/cli/runtime.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createOrganization } from '../../src/platform/index.ts';
import type { RunningSandbox } from '../../src/sandbox/index.ts';
import { eventsDb } from '../../src/store/events.ts';
import { openStore } from '../../src/store/index.ts';
import { sandboxAllow, seedBody, startTestSandbox } from '../helpers/sandbox.ts';
import { testDatabaseUrl } from '../helpers/server.ts';
import { contactsOnly } from './events.support.ts';

const root = new URL('../../', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** True when nothing listens on the port any more (we can bind it ourselves). */
async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every process below `pid` (node, its esbuild service, a shell in between). */
function descendants(pid: number): number[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid='])
    .toString()
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of rows)
      if (parent === p) {
        out.push(child);
        walk(child);
      }
  };
  walk(pid);
  return out;
}

interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  waitForStdout(text: string, timeoutMs?: number): Promise<void>;
}

function spawnProcess(command: string, args: string[], env: Record<string, string>): Spawned {
  const child = spawn(command, args, { env, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitForStdout(text, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      while (!out.includes(text)) {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`exited before "${text}": ${out}\n${err}`);
        if (Date.now() > until) throw new Error(`no "${text}" in ${timeoutMs} ms: ${out}\n${err}`);
        await sleep(25);
      }
    },
  };
}

const conduit = (args: string[], env: Record<string, string>) =>
  spawnProcess(process.execPath, [join(root, 'bin/conduit.js'), ...args], env);

/** Waits for the exit, at most `ms`; a process still running then is killed and reported as such. */
async function exitWithin(p: Spawned, ms: number) {
  const result = await Promise.race([p.exited, sleep(ms).then(() => undefined)]);
  if (result) return result;
  p.child.kill('SIGKILL');
  await p.exited;
  return { code: null, signal: null, at: Number.NaN, stillRunningAfterMs: ms };
}

/** A data dir and (on PostgreSQL) a schema of its own; `drop()` removes both. */
function isolatedEnv(extra: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'conduit-lifecycle-'));
  const schema = testDatabaseUrl ? `lc_${randomBytes(5).toString('hex')}` : undefined;
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    HOST: '127.0.0.1',
    CONDUIT_DATA_DIR: dataDir,
    CONDUIT_BOOTSTRAP: 'false',
    LOG_LEVEL: 'silent',
    ...(testDatabaseUrl && schema ? { DATABASE_URL: testDatabaseUrl, DATABASE_SCHEMA: schema } : {}),
    ...extra,
  };
  delete env.CONDUIT_TEST_DATABASE_URL;
  return {
    env,
    dataDir,
    async drop() {
      rmSync(dataDir, { recursive: true, force: true });
      if (schema && testDatabaseUrl) {
        const admin = new pg.Client({ connectionString: testDatabaseUrl });
        await admin.connect();
        await admin.query(`drop schema if exists ${schema} cascade`);
        await admin.end();
      }
    },
  };
}

describe('shutdown', () => {
  let sandbox: RunningSandbox;
  const vendorAuth = () => {
    const c = sandbox.credentials;
    return `Basic ${Buffer.from(`${c.company}+${c.publicKey}:${c.privateKey}`).toString('base64')}`;
  };
  const setLatency = async (latencyMs: number) => {
    const res = await fetch(`${sandbox.httpUrl}/_sandbox/faults`, {
      method: 'PUT',
      headers: {
        authorization: vendorAuth(),
        clientId: sandbox.credentials.clientId,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ latencyMs }),
    });
    expect(res.status).toBe(200);
  };

  beforeAll(async () => {
    sandbox = await startTestSandbox({ contacts: 20, companies: 3 });
  });
  afterAll(async () => sandbox?.close());

  /** A running `conduit serve` child with an organization and one provisioned instance. */
  async function startServe(extra: Record<string, string>, configuration: Record<string, unknown> = {}) {
    const port = await freePort();
    const iso = isolatedEnv({ PORT: String(port), CONDUIT_UPSTREAM_ALLOW: sandboxAllow(sandbox), ...extra });
    // The organization is written straight into the store the child will open (same data dir and key).
    const runtime = await openRuntime(loadConfig(iso.env));
    const org = await createOrganization(runtime.deps.store, { name: 'Lifecycle' });
    await runtime.close();
    const server = conduit(['serve'], iso.env);
    const base = `http://127.0.0.1:${port}/elements/api-v2`;
    let created: { id: number; token: string };
    try {
      await server.waitForStdout('Conduit API:');
      const res = await fetch(`${base}/instances`, {
        method: 'POST',
        headers: {
          authorization: `User ${org.userSecret}, Organization ${org.organizationSecret}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(seedBody(sandbox, configuration)),
      });
      created = (await res.json()) as { id: number; token: string };
      expect(res.status, JSON.stringify(created)).toBe(200);
    } catch (e) {
      server.child.kill('SIGKILL');
      await iso.drop();
      throw e;
    }
    return {
      ...iso,
      port,
      server,
      base,
      instanceId: created.id,
      elementAuth: `User ${org.userSecret}, Element ${created.token}`,
    };
  }

  async function pollLease(env: Record<string, string>, instanceId: number): Promise<string | null | undefined> {
    const store = await openStore({
      databaseUrl: env.DATABASE_URL,
      sqliteFile: join(env.CONDUIT_DATA_DIR as string, 'conduit.sqlite'),
      pgSchema: env.DATABASE_SCHEMA,
    });
    try {
      const row = await eventsDb(store.db)
        .selectFrom('event_instances')
        .select('poll_lease_until')
        .where('instance_id', '=', instanceId)
        .executeTakeFirst();
      return row ? row.poll_lease_until : undefined;
    } finally {
      await store.close();
    }
  }

  it('on SIGTERM answers the in-flight request, closes idle keep-alive sockets, releases poll leases and exits 0 within the grace', async () => {
    const s = await startServe(
      { CONDUIT_SHUTDOWN_GRACE_MS: '8000', CONDUIT_POLL_MIN_INTERVAL_S: '0.2' },
      {
        'event.notification.enabled': true,
        // Allow-listed (the simulator's host); nothing needs to be delivered here.
        'event.notification.callback.url': `${sandbox.httpUrl}/hook`,
        'event.vendor.type': 'polling',
        'event.poller.refresh_interval': '0.001',
        'event.poller.configuration': contactsOnly,
      },
    );
    try {
      await setLatency(1500);
      // Wait until a poll holds its lease (it is slowed down by the simulator's latency).
      const until = Date.now() + 10_000;
      let lease: string | null | undefined;
      while (Date.now() < until) {
        lease = await pollLease(s.env, s.instanceId);
        if (lease && Date.parse(lease) > Date.now()) break;
        await sleep(100);
      }
      expect(lease, 'a poll should be running').toBeTruthy();

      const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
      const get = (path: string, headers: Record<string, string> = {}) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          http
            .get({ host: '127.0.0.1', port: s.port, path, agent, headers }, (res) => {
              let body = '';
              res.on('data', (d: Buffer) => {
                body += d.toString();
              });
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
            })
            .on('error', reject);
        });
      // Several keep-alive connections, left idle.
      const idle = await Promise.all([1, 2, 3, 4, 5].map(() => get('/healthz')));
      expect(idle.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      // One slow hub call in flight, on a keep-alive connection too.
      const slow = get('/elements/api-v2/hubs/crm/contacts?pageSize=1', { authorization: s.elementAuth });
      await sleep(400);
      const signalledAt = Date.now();
      s.server.child.kill('SIGTERM');

      const answer = await slow;
      expect(answer.status, answer.body).toBe(200);
      const exit = await exitWithin(s.server, 12_000);
      agent.destroy();
      expect(exit, s.server.stderr()).toMatchObject({ code: 0, signal: null });
      expect(exit.at - signalledAt).toBeLessThan(8_000);
      expect(await portIsFree(s.port)).toBe(true);
      // The next server may poll this instance at once: no lease is left behind.
      const after = await pollLease(s.env, s.instanceId);
      expect(after === null || Date.parse(after as string) <= Date.now(), `lease left: ${after}`).toBe(true);
      expect(s.server.stderr()).not.toMatch(/\n\s+at /);
    } finally {
      s.server.child.kill('SIGKILL');
      await setLatency(0);
      await s.drop();
    }
  }, 45_000);

  it('closes what is still open when the grace runs out, and exits non-zero', async () => {
    const s = await startServe({ CONDUIT_SHUTDOWN_GRACE_MS: '1000', CONDUIT_UPSTREAM_TIMEOUT_MS: '20000' });
    try {
      await setLatency(6000);
      const slow = fetch(`${s.base}/hubs/crm/contacts?pageSize=1`, { headers: { authorization: s.elementAuth } }).then(
        (r) => r.status,
        (e: Error) => e.name,
      );
      await sleep(400);
      const signalledAt = Date.now();
      s.server.child.kill('SIGTERM');
      const exit = await exitWithin(s.server, 5_000);
      expect(exit.code, s.server.stderr()).toBe(1);
      expect(exit.at - signalledAt).toBeGreaterThanOrEqual(900);
      expect(exit.at - signalledAt).toBeLessThan(3_000);
      expect(s.server.stderr()).toMatch(/CONDUIT_SHUTDOWN_GRACE_MS/);
      expect(await slow).not.toBe(200);
      expect(await portIsFree(s.port)).toBe(true);
    } finally {
      s.server.child.kill('SIGKILL');
      await setLatency(0);
      await s.drop();
    }
  }, 30_000);

  it('a second signal while stopping cuts the wait short (exit 1)', async () => {
    const s = await startServe({ CONDUIT_SHUTDOWN_GRACE_MS: '20000', CONDUIT_UPSTREAM_TIMEOUT_MS: '20000' });
    try {
      await setLatency(6000);
      const slow = fetch(`${s.base}/hubs/crm/contacts?pageSize=1`, { headers: { authorization: s.elementAuth } }).then(
        (r) => r.status,
        (e: Error) => e.name,
      );
      await sleep(400);
      s.server.child.kill('SIGTERM');
      await s.server.waitForStdout('stopping');
      const secondAt = Date.now();
      s.server.child.kill('SIGINT');
      const exit = await exitWithin(s.server, 5_000);
      expect(exit.code, s.server.stderr()).toBe(1);
      expect(exit.at - secondAt).toBeLessThan(2_000);
      expect(s.server.stderr()).toMatch(/SIGINT again while stopping/);
      expect(await slow).not.toBe(200);
    } finally {
      s.server.child.kill('SIGKILL');
      await setLatency(0);
      await s.drop();
    }
  }, 30_000);

  it.each([
    ['npm start', 'npm', ['start', '--silent']],
    ['npx conduit serve', 'npx', ['--no', 'conduit', 'serve']],
  ])(
    'SIGTERM to `%s` stops the server too: the port is free and no process is left',
    async (name, command, args) => {
      const port = await freePort();
      const iso = isolatedEnv({ PORT: String(port) });
      const npm = spawnProcess(command, args, iso.env);
      let tree: number[] = [];
      try {
        await npm.waitForStdout('Conduit API:');
        tree = descendants(npm.child.pid as number);
        expect(tree.length).toBeGreaterThan(0);
        npm.child.kill('SIGTERM');
        await exitWithin(npm, 5_000);
        const until = Date.now() + 8_000;
        while (Date.now() < until && tree.some(alive)) await sleep(100);
        expect(tree.filter(alive), `processes left behind by ${name}`).toEqual([]);
        expect(await portIsFree(port)).toBe(true);
      } finally {
        npm.child.kill('SIGKILL');
        for (const pid of tree) if (alive(pid)) process.kill(pid, 'SIGKILL');
        await iso.drop();
      }
    },
    30_000,
  );
});

describe('start-up errors', () => {
  /** One line on stderr naming the setting, exit code non-zero, no stack trace. */
  function expectOneClearLine(result: { code: number | null; stderr: string }, setting: RegExp) {
    const seen = JSON.stringify(result);
    expect(result.code, seen).not.toBe(0);
    expect(result.code, seen).not.toBe(null);
    const lines = result.stderr.trim().split('\n');
    expect(lines, seen).toHaveLength(1);
    expect(lines[0]).toMatch(/^conduit: /);
    expect(lines[0]).toMatch(setting);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  }

  async function run(args: string[], env: Record<string, string>) {
    const p = conduit(args, env);
    const exit = await exitWithin(p, 45_000);
    return { args, code: exit.code, signal: exit.signal, stderr: p.stderr(), stdout: p.stdout() };
  }

  it('an unreachable PostgreSQL is one line naming DATABASE_URL, with the password masked, for every command that opens the store', async () => {
    const iso = isolatedEnv({ DATABASE_URL: 'postgres://conduit:s3cret-pw@127.0.0.1:1/conduit', PORT: '0' });
    delete iso.env.DATABASE_SCHEMA;
    try {
      const results = await Promise.all([
        run(['serve'], iso.env),
        run(['migrate'], iso.env),
        run(['org', 'list'], iso.env),
        run(['user', 'create', '--org', '1'], iso.env),
      ]);
      for (const r of results) {
        expectOneClearLine(r, /DATABASE_URL/);
        expect(r.stderr).toMatch(/PostgreSQL/);
        expect(r.stderr).toMatch(/127\.0\.0\.1:1/);
        expect(r.stderr).toMatch(/refused/);
        expect(r.stderr).not.toContain('s3cret-pw');
      }
    } finally {
      await iso.drop();
    }
  }, 60_000);

  it('a port in use is one line naming PORT/HOST', async () => {
    const blocker: NetServer = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    const iso = isolatedEnv({ PORT: String(port) });
    try {
      const r = await run(['serve'], iso.env);
      expectOneClearLine(r, /PORT/);
      expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is in use`);
    } finally {
      blocker.close();
      await iso.drop();
    }
  }, 30_000);

  it('a data dir that is a file is one line naming CONDUIT_DATA_DIR', async () => {
    const iso = isolatedEnv({ PORT: '0' });
    const file = join(iso.dataDir, 'not-a-dir');
    writeFileSync(file, 'x');
    const env = { ...iso.env, CONDUIT_DATA_DIR: file };
    try {
      // serve checks before it opens the store; the other commands share one helper (org list stands for them).
      const results = await Promise.all([run(['serve'], env), run(['org', 'list'], env)]);
      for (const r of results) {
        expectOneClearLine(r, /CONDUIT_DATA_DIR/);
        expect(r.stderr).toContain(`${file} is a file, not a directory`);
      }
    } finally {
      await iso.drop();
    }
  }, 60_000);
});
