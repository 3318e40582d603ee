// Crash harness: runs `node bin/conduit.js serve` as a child process, SIGKILLs it again and again while
// records change in the simulator, then checks that every change reached a real receiver, and that any
// duplicate carried the same eventId. Used by events.crash.test.ts (≥ 20 kills) and `npm run chaos`.
// With `faults`, ConnectWise misbehaves between the changes — cut-off bodies, stalls past the deadlines, 5xx,
// 429 — while polls and deliveries run and the server is killed; nothing may be lost, and nothing delivered may
// differ from a version of a record that really existed.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { startSandbox } from '../../src/sandbox/index.ts';
import { contactsOnly, cwClient, type Received, startReceiver } from './events.support.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

export interface ChaosOptions {
  kills: number;
  databaseUrl?: string;
  vendorType?: 'polling' | 'hybrid';
  /** Turn simulator faults on between the changes (one kind per kill, in turn). */
  faults?: boolean;
  log?: (s: string) => void;
}

/** The upstream faults of a chaos run, taken in turn: what the simulator does while polls run. */
export const CHAOS_FAULTS: Record<string, Record<string, number>> = {
  truncate: { truncateRate: 0.5 },
  stall: { latencyMs: 2_500 },
  '5xx': { errorRate: 0.5 },
  '429': { rateLimit: 3, rateWindowSeconds: 1 },
};

export interface ChaosReport {
  kills: number;
  killedDuringStartup: number;
  changes: number;
  notifications: number;
  events: number;
  missing: string[];
  /** Same change delivered under different eventIds. */
  conflictingDuplicates: string[];
  redeliveredSameEventId: number;
  /** Delivered events or records that match no version of the record that existed (should be empty). */
  wrong: string[];
  /** Fault windows run, per kind. */
  faultWindows: Record<string, number>;
  seconds: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isoSeconds = (v: string) => new Date(Math.floor(Date.parse(v) / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const sandbox = await startSandbox({ port: 0, httpsPort: null, quiet: true, contacts: 30, companies: 5 });
  const receiver = await startReceiver();
  const dataDir = mkdtempSync(join(tmpdir(), 'conduit-chaos-'));
  const port = await freePort();
  let databaseUrl: string | undefined;
  let database: string | undefined;
  if (options.databaseUrl) {
    // A database of its own, not a schema: Kysely's migrator looks for its lock table in every schema.
    database = `chaos_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: options.databaseUrl });
    await admin.connect();
    await admin.query(`create database ${database}`);
    await admin.end();
    const u = new URL(options.databaseUrl);
    u.pathname = `/${database}`;
    databaseUrl = u.toString();
  }
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    HOST: '127.0.0.1',
    PORT: String(port),
    CONDUIT_DATA_DIR: dataDir,
    CONDUIT_BOOTSTRAP: 'false',
    CONDUIT_MASTER_KEY: randomBytes(32).toString('base64'),
    CONDUIT_UPSTREAM_ALLOW: '127.0.0.1',
    CONDUIT_POLL_MIN_INTERVAL_S: '0.2',
    CONDUIT_EVENTS_RECONCILE_S: '0.5',
    CONDUIT_WEBHOOK_TIMEOUT_MS: '2000',
    CONDUIT_WEBHOOK_RETRY_BASE_MS: '100',
    LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? 'silent',
    // Short deadlines, so a stalled ConnectWise fails a poll within the fault window rather than after it.
    ...(options.faults ? { CONDUIT_POLL_DEADLINE_MS: '1500', CONDUIT_HUB_DEADLINE_MS: '1500' } : {}),
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
  delete env.CONDUIT_TEST_DATABASE_URL;
  const cw = cwClient(sandbox);
  let child: ChildProcess | undefined;
  let ready = false;
  let alive = false;

  function spawnServer(): Promise<void> {
    ready = false;
    child = spawn(process.execPath, [join(root, 'bin/conduit.js'), 'serve'], {
      env,
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    alive = true;
    const c = child;
    c.once('exit', () => {
      alive = false;
    });
    return new Promise((resolve) => {
      c.stdout?.on('data', (d: Buffer) => {
        if (!ready && d.toString().includes('Conduit API:')) {
          ready = true;
          resolve();
        }
      });
      c.stderr?.on('data', (d: Buffer) => log(`server: ${d.toString().trim()}`));
      c.on('exit', () => resolve());
    });
  }

  async function kill(): Promise<void> {
    const c = child;
    if (!c || !alive) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }

  // What the receiver must eventually see, per contact id.
  const created = new Map<number, { dateEntered: string; lastChange: number }>();
  const finalVersion = new Map<number, string>(); // id → lastUpdated of the last change
  const versions = new Map<number, Map<string, string>>(); // id → lastUpdated (to the second) → firstName
  const remember = (c: { id: number; firstName?: unknown; _info: { lastUpdated: string } }) => {
    const byDate = versions.get(c.id) ?? new Map<string, string>();
    byDate.set(isoSeconds(c._info.lastUpdated), String(c.firstName));
    versions.set(c.id, byDate);
  };
  const faultWindows: Record<string, number> = {};
  async function setFaults(faults: Record<string, number>): Promise<void> {
    const res = await fetch(`${sandbox.httpUrl}/_sandbox/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(faults),
    });
    if (res.status !== 200) throw new Error(`setting faults failed: ${res.status} ${await res.text()}`);
  }
  const deleted = new Set<number>();
  let changes = 0;
  let killedDuringStartup = 0;

  const seen = (id: number) =>
    receiver.received.some((r) => r.body.message.events.some((e) => e.objectId === String(id)));

  async function changeSomething(): Promise<void> {
    const c = await cw.createContact(`Chaos${changes}`);
    created.set(c.id, { dateEntered: c._info.dateEntered, lastChange: Date.now() });
    finalVersion.set(c.id, c._info.lastUpdated);
    remember(c);
    changes++;
    const now = Date.now();
    const candidates = [...created.entries()].filter(([id, v]) => !deleted.has(id) && now - v.lastChange > 1100);
    const toUpdate = candidates[0];
    if (toUpdate) {
      const [id, v] = toUpdate;
      const u = await cw.renameContact(id, `Chaos${changes}u`);
      v.lastChange = Date.now();
      finalVersion.set(id, u._info.lastUpdated);
      remember(u);
      changes++;
    }
    // Delete only what the receiver already knows exists: a record born and gone between two polls
    // leaves no trace a poller could see.
    const toDelete = candidates.find(([id]) => id !== toUpdate?.[0] && seen(id));
    if (toDelete && Math.random() < 0.5) {
      await cw.deleteContact(toDelete[0]);
      deleted.add(toDelete[0]);
      changes++;
    }
  }

  try {
    const org = JSON.parse(
      (
        await run(process.execPath, [join(root, 'bin/conduit.js'), 'org', 'create', '--name', 'Chaos', '--json'], {
          env,
          cwd: root,
        })
      ).stdout,
    ) as {
      userSecret: string;
      organizationSecret: string;
    };
    await spawnServer();
    const auth = `User ${org.userSecret}, Organization ${org.organizationSecret}`;
    const res = await fetch(`http://127.0.0.1:${port}/elements/api-v2/instances`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        element: { key: 'connectwisecrmrest' },
        name: 'chaos',
        configuration: {
          baseUrl: sandbox.apiBase,
          company: sandbox.credentials.company,
          'public.key': sandbox.credentials.publicKey,
          'private.key': sandbox.credentials.privateKey,
          'connectwise.clientID': sandbox.credentials.clientId,
          'event.notification.enabled': true,
          'event.notification.callback.url': receiver.url,
          'event.notification.signature.key': 'chaos-key',
          'event.vendor.type': options.vendorType ?? 'polling',
          'event.poller.refresh_interval': '0.001',
          'event.poller.configuration': contactsOnly,
        },
      }),
    });
    if (res.status !== 200) throw new Error(`provisioning failed: ${res.status} ${await res.text()}`);
    await sleep(800);

    for (let i = 0; i < options.kills; i++) {
      if (!alive) {
        const up = spawnServer();
        if (i % 3 !== 2) {
          // Kill somewhere in start-up: module loading, migrations, lease recovery, the first poll.
          await Promise.race([up, sleep(500 + Math.random() * 1700)]);
          if (!ready) killedDuringStartup++;
        } else {
          await up;
          await changeSomething();
          await sleep(Math.random() * 600);
        }
      }
      await changeSomething();
      if (options.faults) {
        // Polls and deliveries now run against a misbehaving ConnectWise; the kill lands in the middle.
        const kinds = Object.keys(CHAOS_FAULTS);
        const kind = kinds[i % kinds.length] as string;
        faultWindows[kind] = (faultWindows[kind] ?? 0) + 1;
        await setFaults(CHAOS_FAULTS[kind] as Record<string, number>);
        await sleep(400 + Math.random() * 1200);
        await kill();
        await setFaults({});
      }
      await kill();
      log(`kill ${i + 1}/${options.kills}: ${changes} changes, ${receiver.received.length} notifications`);
    }
    await spawnServer();
    // Settle: the last changes, and one more update per still-living, recently touched record.
    // PostgreSQL has no single owner to take leases back at start: a killed node's poll lease runs out (15 s).
    const deadline = Date.now() + (options.databaseUrl ? 40_000 : 25_000);
    let missing: string[] = [];
    while (Date.now() < deadline) {
      missing = [];
      const events = receiver.received.flatMap((r) => r.body.message.events);
      for (const [id] of created) {
        const mine = events.filter((e) => e.objectId === String(id));
        if (deleted.has(id)) {
          if (!mine.some((e) => e.eventType === 'DELETED')) missing.push(`${id}:DELETED`);
        } else {
          const want = isoSeconds(finalVersion.get(id)!);
          if (!mine.some((e) => e.date === want && e.eventType !== 'DELETED')) missing.push(`${id}@${want}`);
        }
      }
      if (missing.length === 0) break;
      await sleep(200);
    }
    // Nothing wrong delivered: every event date and every record sent along is a version that existed.
    const wrong: string[] = [];
    for (const r of receiver.received as Received[]) {
      const m = r.body.message;
      for (const e of m.events) {
        const known = versions.get(Number(e.objectId));
        if (known && e.eventType !== 'DELETED' && !known.has(e.date)) wrong.push(`${e.objectId}@${e.date}:event`);
      }
      const records = (m.raw as Record<string, unknown>)[m.raw.objectType];
      for (const rec of Array.isArray(records) ? records : []) {
        const c = rec as { id?: unknown; firstName?: unknown; _info?: { lastUpdated?: string } };
        const known = versions.get(Number(c.id));
        if (!known) continue;
        const at = c._info?.lastUpdated ? isoSeconds(c._info.lastUpdated) : '';
        if (known.get(at) !== c.firstName) wrong.push(`${String(c.id)}@${at}:record ${String(c.firstName)}`);
      }
    }
    const byChange = new Map<string, Set<string>>();
    let redeliveredSameEventId = 0;
    const eventIdsSeen = new Set<string>();
    for (const r of receiver.received as Received[]) {
      if (eventIdsSeen.has(r.body.message.eventId)) redeliveredSameEventId++;
      eventIdsSeen.add(r.body.message.eventId);
      for (const e of r.body.message.events) {
        const key = `${e.objectId}:${e.eventType}:${e.eventType === 'DELETED' ? '' : e.date}`;
        const set = byChange.get(key) ?? new Set<string>();
        set.add(r.body.message.eventId);
        byChange.set(key, set);
      }
    }
    return {
      kills: options.kills,
      killedDuringStartup,
      changes,
      notifications: receiver.received.length,
      events: receiver.received.reduce((n, r) => n + r.body.message.events.length, 0),
      missing,
      conflictingDuplicates: [...byChange.entries()].filter(([, s]) => s.size > 1).map(([k]) => k),
      redeliveredSameEventId,
      wrong,
      faultWindows,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await kill();
    await receiver.close();
    await sandbox.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (options.databaseUrl && database) {
      const admin = new pg.Client({ connectionString: options.databaseUrl });
      await admin.connect();
      await admin.query(`drop database if exists ${database} with (force)`);
      await admin.end();
    }
  }
}
