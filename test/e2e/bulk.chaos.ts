// Bulk crash harness: runs `node bin/conduit.js serve` as a child process and SIGKILLs it again and again while
// a bulk export (default 100k contacts) and then a bulk upload (default 5k new contacts) run, restarting it on
// the same data directory / database each time. Afterwards the export file must hold every simulator id exactly
// once and in id order, and the simulator must hold every uploaded record (a unique lastName `Chaos-<n>`)
// exactly once. Used by `npm run chaos` and, small, by bulkCrash.test.ts.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/index.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

export interface BulkChaosOptions {
  /** SIGKILLs per job (export and upload each get this many, fewer if the job ends first). */
  kills: number;
  databaseUrl?: string;
  /** Contacts in the simulator, all exported (default 100 000). */
  contacts?: number;
  /** New contacts uploaded (default 5 000); 0 skips the upload. */
  uploads?: number;
  /** ConnectWise latency per call, so kills land mid-page too (default 0). */
  latencyMs?: number;
  /** A kill lands at a random moment this long after the restarted server moved the job on (default 1500). */
  killWindowMs?: number;
  log?: (s: string) => void;
}

export interface BulkChaosJobReport {
  /** Kills that landed while the job was running on the killed server (not counting start-up kills). */
  killsMidJob: number;
  killedDuringStartup: number;
  status: string;
  infoMessage: string | null;
  recordsCount: number;
  recordsFailedCount: number;
  expected: number;
  /** Expected records absent from the result (first 20). */
  missing: string[];
  missingCount: number;
  /** Records present more than once (first 20). */
  duplicates: string[];
  duplicateCount: number;
  /** Export only: records after a higher id. */
  outOfOrder: number;
  /** Export only: the download broke off (the file could not be checked). */
  downloadError?: string;
  seconds: number;
}

export interface BulkChaosReport {
  export: BulkChaosJobReport;
  upload?: BulkChaosJobReport;
}

export function bulkChaosPassed(r: BulkChaosReport): boolean {
  const good = (j: BulkChaosJobReport) =>
    j.status === 'COMPLETED' &&
    j.missingCount === 0 &&
    j.duplicateCount === 0 &&
    j.outOfOrder === 0 &&
    j.recordsFailedCount === 0 &&
    j.recordsCount === j.expected &&
    j.downloadError === undefined;
  return good(r.export) && (r.upload === undefined || good(r.upload));
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
const ENDED = ['COMPLETED', 'FAILED', 'CANCELLED'];

type Status = { status: string; recordsCount: number; recordsFailedCount: number; infoMessage: string | null };

/** ConnectWise API of the simulator: every record of contacts matching `conditions`, by forward-only pages. */
async function cwContacts(
  sandbox: RunningSandbox,
  conditions: string | undefined,
): Promise<Array<{ id: number; lastName?: string }>> {
  const c = sandbox.credentials;
  const headers = {
    authorization: `Basic ${Buffer.from(`${c.company}+${c.publicKey}:${c.privateKey}`).toString('base64')}`,
    clientId: c.clientId,
    accept: 'application/json',
    'pagination-type': 'forward-only',
  };
  const out: Array<{ id: number; lastName?: string }> = [];
  let pageId = 0;
  for (;;) {
    const q = new URLSearchParams({ pageSize: '1000', pageId: String(pageId), fields: 'id,lastName' });
    if (conditions) q.set('conditions', conditions);
    const res = await fetch(`${sandbox.apiBase}/company/contacts?${q}`, { headers });
    if (res.status !== 200) throw new Error(`simulator list: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as Array<{ id: number; lastName?: string }>;
    out.push(...page);
    if (page.length < 1000) return out;
    pageId = page[page.length - 1]!.id;
  }
}

export async function runBulkChaos(options: BulkChaosOptions): Promise<BulkChaosReport> {
  const log = options.log ?? (() => undefined);
  const contacts = options.contacts ?? 100_000;
  const uploads = options.uploads ?? 5_000;
  const sandbox = await startSandbox({ port: 0, httpsPort: null, quiet: true, contacts, companies: 5 });
  const dataDir = mkdtempSync(join(tmpdir(), 'conduit-bulk-chaos-'));
  const port = await freePort();
  let databaseUrl: string | undefined;
  let database: string | undefined;
  if (options.databaseUrl) {
    // A database of its own, not a schema: Kysely's migrator looks for its lock table in every schema.
    database = `bulkchaos_${randomBytes(5).toString('hex')}`;
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
    // The upload is 5 000 creates: the default budget (600 a minute) would make the run take minutes.
    CONDUIT_RATE_LIMIT_PER_MIN: '1000000',
    LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? 'silent',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
  delete env.CONDUIT_TEST_DATABASE_URL;
  const base = `http://127.0.0.1:${port}/elements/api-v2`;
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
    c.once('exit', (code, signal) => {
      alive = false;
      if (signal !== 'SIGKILL') log(`server exited by itself: code ${code}, signal ${signal}`);
    });
    return new Promise((resolve) => {
      c.stdout?.on('data', (d: Buffer) => {
        if (!ready && d.toString().includes('Conduit API:')) {
          ready = true;
          resolve();
        } else if (process.env.CHAOS_LOG_LEVEL) log(`server: ${d.toString().trim()}`);
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

  let auth = '';
  async function status(id: number, tries = 3): Promise<Status> {
    let res: Response;
    try {
      res = await fetch(`${base}/hubs/crm/bulk/${id}/status`, { headers: { authorization: auth } });
    } catch (e) {
      // A kept-alive socket to the server just killed: ask again on a new one.
      if (tries > 1) return sleep(200).then(() => status(id, tries - 1));
      throw new Error(`status of job ${id}: ${(e as Error).message} (server ${alive ? 'running' : 'gone'})`);
    }
    if (res.status !== 200) throw new Error(`status of job ${id}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Status;
  }
  const done = (s: Status) => s.recordsCount + s.recordsFailedCount;

  /** Kills the server `kills` times while job `id` runs; returns with a server up and the job ended. */
  async function killRepeatedly(
    id: number,
  ): Promise<{ last: Status; killsMidJob: number; killedDuringStartup: number }> {
    let killsMidJob = 0;
    let killedDuringStartup = 0;
    let last = await status(id);
    for (let i = 0; i < options.kills && !ENDED.includes(last.status); i++) {
      if (!alive) {
        const up = spawnServer();
        if (i % 4 === 3) {
          // Kill somewhere in start-up: module loading, migrations, lease recovery, the job's first page.
          await Promise.race([up, sleep(300 + Math.random() * 1500)]);
          if (!ready) {
            killedDuringStartup++;
            await kill();
            log(`kill ${i + 1}/${options.kills} during start-up`);
            continue;
          }
        } else await up;
      }
      // Wait until this server has the job moving (on PostgreSQL a killed node's lease must run out first),
      // then let it run a random while and kill it.
      const before = done(last);
      const until = Date.now() + 60_000;
      while (Date.now() < until) {
        last = await status(id);
        if (done(last) > before || ENDED.includes(last.status)) break;
        await sleep(50);
      }
      if (ENDED.includes(last.status)) break;
      await sleep(Math.random() * (options.killWindowMs ?? 1500));
      await kill();
      killsMidJob++;
      log(`kill ${i + 1}/${options.kills}: ${last.recordsCount} records (+${last.recordsFailedCount} failed) before`);
    }
    if (!alive) await spawnServer();
    // PostgreSQL: the last killed node's lease (30 s) runs out before another takes the job.
    const until = Date.now() + 600_000;
    while (!ENDED.includes(last.status) && Date.now() < until) {
      await sleep(200);
      last = await status(id);
    }
    return { last, killsMidJob, killedDuringStartup };
  }

  try {
    const org = JSON.parse(
      (
        await run(process.execPath, [join(root, 'bin/conduit.js'), 'org', 'create', '--name', 'BulkChaos', '--json'], {
          env,
          cwd: root,
        })
      ).stdout,
    ) as { userSecret: string; organizationSecret: string };
    await spawnServer();
    const created = await fetch(`${base}/instances`, {
      method: 'POST',
      headers: {
        authorization: `User ${org.userSecret}, Organization ${org.organizationSecret}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        element: { key: 'connectwisecrmrest' },
        name: 'bulk-chaos',
        configuration: {
          baseUrl: sandbox.apiBase,
          company: sandbox.credentials.company,
          'public.key': sandbox.credentials.publicKey,
          'private.key': sandbox.credentials.privateKey,
          'connectwise.clientID': sandbox.credentials.clientId,
        },
      }),
    });
    if (created.status !== 200) throw new Error(`provisioning failed: ${created.status} ${await created.text()}`);
    auth = `User ${org.userSecret}, Element ${((await created.json()) as { token: string }).token}`;
    if (options.latencyMs) {
      await fetch(`${sandbox.httpUrl}/_sandbox/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ latencyMs: options.latencyMs }),
      });
    }

    // Export: every contact of the simulator, exactly once, in id order.
    let started = Date.now();
    const expectedIds = (await cwContacts(sandbox, undefined)).map((c) => c.id);
    const submitted = await fetch(`${base}/hubs/crm/bulk/query?q=${encodeURIComponent('select * from contacts')}`, {
      method: 'POST',
      headers: { authorization: auth },
    });
    if (submitted.status !== 200) throw new Error(`export refused: ${submitted.status} ${await submitted.text()}`);
    const exportId = ((await submitted.json()) as { id: number }).id;
    const ex = await killRepeatedly(exportId);
    let ids: number[] = [];
    let downloadError: string | undefined;
    try {
      const file = await fetch(`${base}/hubs/crm/bulk/${exportId}/contacts`, {
        headers: { authorization: auth, accept: 'application/json' },
      });
      const text = await file.text();
      if (file.status !== 200) downloadError = `${file.status} ${text.slice(0, 300)}`;
      else
        ids = text
          .split('\n')
          .filter(Boolean)
          .map((l) => Number((JSON.parse(l) as { id: unknown }).id));
    } catch (e) {
      downloadError = `${(e as Error).message}: ${String((e as Error).cause ?? '')} (server ${alive ? 'running' : 'gone'})`;
    }
    const exportReport = compare(
      expectedIds.map(String),
      ids.map(String),
      ex,
      (Date.now() - started) / 1000,
      ids.filter((id, i) => i > 0 && id <= ids[i - 1]!).length,
    );
    if (downloadError !== undefined) exportReport.downloadError = downloadError;
    log(`export: ${JSON.stringify(exportReport)}`);
    if (uploads === 0) return { export: exportReport };

    // Upload: each record carries a unique marker; each marker must exist exactly once afterwards.
    started = Date.now();
    const markers = Array.from({ length: uploads }, (_, i) => `Chaos-${i}`);
    const lines = markers.map((m, i) => JSON.stringify({ firstName: `C${i}`, lastName: m })).join('\n');
    const form = new FormData();
    form.append('file', new Blob([lines], { type: 'application/x-ndjson' }), 'chaos.jsonl');
    const up = await fetch(`${base}/hubs/crm/bulk/contacts`, {
      method: 'POST',
      headers: { authorization: auth },
      body: form,
    });
    if (up.status !== 200) throw new Error(`upload refused: ${up.status} ${await up.text()}`);
    const uploadId = ((await up.json()) as { id: number }).id;
    const im = await killRepeatedly(uploadId);
    const found = (await cwContacts(sandbox, 'lastName like "Chaos-%"')).map((c) => String(c.lastName));
    const uploadReport = compare(markers, found, im, (Date.now() - started) / 1000, 0);
    log(`upload: ${JSON.stringify(uploadReport)}`);
    return { export: exportReport, upload: uploadReport };
  } finally {
    await kill();
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

function compare(
  expected: string[],
  got: string[],
  run: { last: Status; killsMidJob: number; killedDuringStartup: number },
  seconds: number,
  outOfOrder: number,
): BulkChaosJobReport {
  const counts = new Map<string, number>();
  for (const g of got) counts.set(g, (counts.get(g) ?? 0) + 1);
  const missing = expected.filter((e) => !counts.has(e));
  const duplicates = [...counts.entries()].filter(([, n]) => n > 1).map(([k, n]) => `${k}×${n}`);
  return {
    killsMidJob: run.killsMidJob,
    killedDuringStartup: run.killedDuringStartup,
    status: run.last.status,
    infoMessage: run.last.infoMessage ?? null,
    recordsCount: run.last.recordsCount,
    recordsFailedCount: run.last.recordsFailedCount,
    expected: expected.length,
    missing: missing.slice(0, 20),
    missingCount: missing.length,
    duplicates: duplicates.slice(0, 20),
    duplicateCount: duplicates.length,
    outOfOrder,
    seconds,
  };
}
