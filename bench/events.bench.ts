// Events: change-to-webhook latency (callbacks, polling), deliveries per second to a fast local receiver
// (SQLite, PostgreSQL when reachable on loopback), and instances polled per minute with CPU use.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import '../src/cli/capabilities.ts';
import { type Server, startServer } from '../src/cli/serve.ts';
import { loadConfig } from '../src/config/index.ts';
import { outboxChanged } from '../src/events/index.ts';
import { pollInstance } from '../src/events/poller.ts';
import { type Change, storeChanges } from '../src/events/record.ts';
import { createOrganization, type PlatformDeps, provisionInstance } from '../src/platform/index.ts';
import { type RunningSandbox, startSandbox } from '../src/sandbox/index.ts';
import { eventsDb } from '../src/store/events.ts';
import { findInstance } from '../src/store/index.ts';
import { contactsOnly, cwClient, type Receiver, startReceiver } from '../test/e2e/events.support.ts';
import { percentile } from './stats.ts';

const PG_URL = process.env.CONDUIT_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function pgReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 1000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

async function withServer<T>(env: Record<string, string>, fn: (s: Server) => Promise<T>, usePg = false): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'conduit-bench-events-'));
  const schema = usePg ? `bench_${Date.now().toString(36)}` : undefined;
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    CONDUIT_DATA_DIR: dataDir,
    CONDUIT_BOOTSTRAP: 'false',
    LOG_LEVEL: 'silent',
    CONDUIT_UPSTREAM_ALLOW: '127.0.0.1',
    CONDUIT_RATE_LIMIT_PER_MIN: '100000',
    ...(usePg ? { DATABASE_URL: PG_URL } : {}),
    ...env,
  });
  const server = await startServer(config, { print: () => undefined, pgSchema: schema });
  try {
    return await fn(server);
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (schema) {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    }
  }
}

function configuration(sandbox: RunningSandbox, receiverUrl: string, vendorType: string) {
  return {
    baseUrl: sandbox.apiBase,
    company: sandbox.credentials.company,
    'public.key': sandbox.credentials.publicKey,
    'private.key': sandbox.credentials.privateKey,
    'connectwise.clientID': sandbox.credentials.clientId,
    'event.notification.enabled': true,
    'event.notification.callback.url': receiverUrl,
    'event.notification.signature.key': 'bench',
    'event.vendor.type': vendorType,
    'event.poller.refresh_interval': '0.001',
    'event.poller.configuration': contactsOnly,
  };
}

async function provisionMany(
  deps: PlatformDeps,
  sandbox: RunningSandbox,
  receiverUrl: string,
  vendorType: string,
  n: number,
) {
  const org = await createOrganization(deps.store, { name: 'Bench' });
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await provisionInstance(
      deps,
      { organizationId: org.organizationId, userId: org.userId },
      {
        element: { key: 'connectwisecrmrest' },
        name: `bench ${i}`,
        configuration: configuration(sandbox, receiverUrl, vendorType),
      },
    );
    if (!r.ok) throw new Error(r.error.message);
    ids.push(r.value.record.id);
  }
  return ids;
}

async function latency(
  sandbox: RunningSandbox,
  receiver: Receiver,
  vendorType: 'webhook' | 'polling',
  samples: number,
) {
  return withServer({ CONDUIT_POLL_MIN_INTERVAL_S: '1' }, async (server) => {
    await provisionMany(server.runtime.deps, sandbox, receiver.url, vendorType, 1);
    await new Promise((r) => setTimeout(r, 1500)); // baseline poll
    const cw = cwClient(sandbox);
    const out: number[] = [];
    for (let i = 0; i < samples; i++) {
      const before = receiver.received.length;
      const t = performance.now();
      const c = await cw.createContact(`Lat${i}`);
      await receiver.waitFor(
        (all) => all.slice(before).some((r) => r.body.message.events.some((e) => e.objectId === String(c.id))),
        10_000,
      );
      out.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, Math.random() * 200));
    }
    return out.sort((a, b) => a - b);
  });
}

/** A receiver in its own process (answers 204 at once), so the server's event loop is Conduit's alone. */
async function startExternalReceiver(): Promise<{ url: string; child: ChildProcess }> {
  const code = `const s=require('node:http').createServer((q,r)=>{q.resume();q.on('end',()=>{r.statusCode=204;r.end()})});s.keepAliveTimeout=30000;s.listen(0,'127.0.0.1',()=>process.stdout.write(String(s.address().port)+'\\n'))`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) =>
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())),
  );
  return { url: `http://127.0.0.1:${port}/hook`, child };
}

async function deliveriesPerSecond(sandbox: RunningSandbox, usePg: boolean, total: number) {
  const external = await startExternalReceiver();
  try {
    return await drainRate(sandbox, external.url, usePg, total);
  } finally {
    external.child.kill();
  }
}

async function drainRate(sandbox: RunningSandbox, receiverUrl: string, usePg: boolean, total: number) {
  return withServer(
    { CONDUIT_POLL_MIN_INTERVAL_S: '3600' },
    async (server) => {
      const deps = server.runtime.deps;
      const ids = await provisionMany(deps, sandbox, receiverUrl, 'webhook', 10);
      const db = eventsDb(deps.store.db);
      // Fill the outbox first (one notification per change), then measure the drain only.
      const perInstance = Math.ceil(total / ids.length);
      const now = new Date().toISOString();
      for (const id of ids) {
        const record = (await findInstance(deps.store.db, id))!;
        const changes: Change[] = Array.from({ length: perInstance }, (_, k) => ({
          // One object type per change: one notification (= one delivery) per change.
          objectType: `contacts${k}`,
          objectId: String(k),
          eventType: 'UPDATED' as const,
          date: now,
          dedupeKey: `bench:${k}`,
        }));
        await db.transaction().execute((trx) => storeChanges(trx, record, 'crm', 'polling', changes, { now }));
      }
      const want = perInstance * ids.length;
      const t = performance.now();
      outboxChanged();
      const deadline = Date.now() + 120_000;
      for (;;) {
        const row = await db
          .selectFrom('event_notifications')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('status', '=', 'delivered')
          .executeTakeFirstOrThrow();
        if (Number(row.n) >= want || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      return want / ((performance.now() - t) / 1000);
    },
    usePg,
  );
}

async function pollsPerMinute(sandbox: RunningSandbox, receiver: Receiver, instances: number, seconds: number) {
  return withServer({ CONDUIT_POLL_MIN_INTERVAL_S: '3600', CONDUIT_EVENTS_RECONCILE_S: '3600' }, async (server) => {
    const deps = server.runtime.deps;
    const ids = await provisionMany(deps, sandbox, receiver.url, 'polling', instances);
    const records = await Promise.all(ids.map(async (id) => (await findInstance(deps.store.db, id))!));
    const def = deps.catalog.find('connectwisecrmrest')!;
    const opts = { reconcileEveryS: 3600, overlapS: 60 };
    // Warm-up: the first poll of each instance learns its id set.
    for (const r of records) await pollInstance(deps, r, def, opts);
    let polls = 0;
    let next = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const deadline = t0 + seconds * 1000;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (performance.now() < deadline) {
          const r = records[next++ % records.length]!;
          await pollInstance(deps, r, def, opts);
          polls++;
        }
      }),
    );
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { perMinute: (polls / elapsed) * 60, cpuShare: (cpu.user + cpu.system) / 1e6 / elapsed };
  });
}

export async function run(): Promise<void> {
  const sandbox = await startSandbox({ port: 0, httpsPort: null, quiet: true, contacts: 50, companies: 5 });
  const receiver = await startReceiver();
  try {
    const cb = await latency(sandbox, receiver, 'webhook', 30);
    const poll = await latency(sandbox, receiver, 'polling', 10);
    const fmt = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(0)} ms, p95 ${percentile(xs, 95).toFixed(0)} ms`;
    console.log(
      `change → webhook, callbacks (webhook mode): ${fmt(cb)}  (goal p95 ≤ 2000 ms: ${(2000 / percentile(cb, 95)).toFixed(1)}x headroom)`,
    );
    console.log(
      `change → webhook, polling every 1 s:         ${fmt(poll)}  (callbacks are ${(percentile(poll, 50) / percentile(cb, 50)).toFixed(1)}x faster at p50)`,
    );

    const sqlite = await deliveriesPerSecond(sandbox, false, 10_000);
    console.log(
      `deliveries/s to a local receiver, SQLite:     ${sqlite.toFixed(0)}  (goal ≥ 2000: ${(sqlite / 2000).toFixed(2)}x)`,
    );
    if (await pgReachable()) {
      const pgRate = await deliveriesPerSecond(sandbox, true, 10_000);
      console.log(
        `deliveries/s to a local receiver, PostgreSQL: ${pgRate.toFixed(0)}  (${(pgRate / sqlite).toFixed(2)}x SQLite)`,
      );
    } else console.log(`deliveries/s, PostgreSQL: skipped (${PG_URL} not reachable)`);

    const polled = await pollsPerMinute(sandbox, receiver, 200, 10);
    console.log(
      `instances polled per minute (1 object each, one node, simulator in-process): ${polled.perMinute.toFixed(0)} at ${(polled.cpuShare * 100).toFixed(0)} % of one core (goal ≥ 10000: ${(polled.perMinute / 10_000).toFixed(2)}x)`,
    );
  } finally {
    await receiver.close();
    await sandbox.close();
  }
}
