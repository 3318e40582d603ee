// Bulk throughput: an export of N contacts (BULK_BENCH_CONTACTS, default 1,000,000) from the simulator to JSON
// Lines through Conduit's bulk API, side by side in the same run with a raw paging loop (undici, forward-only
// pages of 1,000 written to a file) against the same simulator; then the CSV download, and an upload of
// BULK_BENCH_UPLOAD contacts (default 10,000) against a raw sequential POST loop. The simulator and Conduit each
// run in their own process; Conduit's peak RSS is sampled from /proc while it works.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { SANDBOX_DEFAULTS } from '../src/sandbox/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// Bench settings come from the command line's environment, like the simulator's sizes.
const CONTACTS = Number(process.env.BULK_BENCH_CONTACTS ?? 1_000_000);
const UPLOAD = Number(process.env.BULK_BENCH_UPLOAD ?? 10_000);
// The id-range partitions pay off where ConnectWise's latency, not CPU, paces an export: a second export of
// BULK_BENCH_LATENCY_CONTACTS (default 100,000) with BULK_BENCH_LATENCY_MS (default 100) added by the simulator
// to every request, against the raw loop under the same latency. 0 skips it.
const LATENCY_MS = Number(process.env.BULK_BENCH_LATENCY_MS ?? 100);
const LATENCY_CONTACTS = Math.min(CONTACTS, Number(process.env.BULK_BENCH_LATENCY_CONTACTS ?? 100_000));
// BULK_BENCH_PROFILE=<dir>: the simulator and Conduit write CPU profiles there (`node --cpu-prof`) as they stop.
const PROFILE = process.env.BULK_BENCH_PROFILE;
const nodeArgs = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : [];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitUp(url: string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function sampleRss(pid: number): { stop(): number } {
  let peak = rssMb(pid);
  const t = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 50);
  return {
    stop() {
      clearInterval(t);
      return peak;
    },
  };
}

const d = SANDBOX_DEFAULTS;
const vendorHeaders = {
  authorization: `Basic ${Buffer.from(`${d.company}+${d.publicKey}:${d.privateKey}`).toString('base64')}`,
  clientid: d.clientId,
};

/** The hand-written baseline: forward-only pages of 1,000, each record written as a JSON line. */
async function rawExport(pool: Pool, path: string, file: string, conditions?: string): Promise<number> {
  const out = createWriteStream(file);
  let lastId = 0;
  let count = 0;
  const where = conditions ? `&conditions=${encodeURIComponent(conditions)}` : '';
  for (;;) {
    const res = await pool.request({
      method: 'GET',
      path: `${path}/company/contacts?pageSize=1000&pageId=${lastId}${where}`,
      headers: { ...vendorHeaders, 'pagination-type': 'forward-only' },
    });
    const page = (await res.body.json()) as Array<{ id: number }>;
    if (page.length === 0) break;
    let text = '';
    for (const r of page) text += `${JSON.stringify(r)}\n`;
    if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
    count += page.length;
    lastId = page[page.length - 1]!.id;
    if (page.length < 1000) break;
  }
  await new Promise<void>((r) => out.end(() => r()));
  return count;
}

async function rawUpload(pool: Pool, path: string, records: unknown[]): Promise<number> {
  let ok = 0;
  for (const r of records) {
    const res = await pool.request({
      method: 'POST',
      path: `${path}/company/contacts`,
      headers: { ...vendorHeaders, 'content-type': 'application/json' },
      body: JSON.stringify(r),
    });
    await res.body.dump();
    if (res.statusCode < 300) ok++;
  }
  return ok;
}

const perSecond = (n: number, ms: number) => Math.round((n / ms) * 1000);

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'conduit-bench-bulk-'));
  const sandboxPort = await freePort();
  const sandbox = spawn(
    process.execPath,
    [
      ...nodeArgs,
      'bin/conduit.js',
      'sandbox',
      '--port',
      String(sandboxPort),
      '--no-https',
      '--contacts',
      String(CONTACTS),
      '--quiet',
    ],
    { cwd: ROOT, stdio: 'ignore' },
  );
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const apiPath = '/v4_6_release/apis/3.0';
  let server: ReturnType<typeof spawn> | undefined;
  try {
    await waitUp(`${sandboxUrl}/_sandbox/health`);
    const env = {
      ...process.env,
      CONDUIT_DATA_DIR: dir,
      CONDUIT_BOOTSTRAP: 'false',
      LOG_LEVEL: 'warn',
      CONDUIT_UPSTREAM_ALLOW: `127.0.0.1:${sandboxPort}`,
      CONDUIT_RATE_LIMIT_PER_MIN: '10000000',
      CONDUIT_BULK_QUOTA_MB: '100000',
      CONDUIT_BULK_MAX_UPLOAD_MB: '1000',
    };
    const created = spawnSync(process.execPath, ['bin/conduit.js', 'org', 'create', '--name', 'Bench', '--json'], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
    });
    const org = JSON.parse(created.stdout) as { organizationSecret: string; userSecret: string };
    const port = await freePort();
    server = spawn(process.execPath, [...nodeArgs, 'bin/conduit.js', 'serve'], {
      cwd: ROOT,
      env: { ...env, PORT: String(port) },
      stdio: 'ignore',
    });
    const base = `http://127.0.0.1:${port}/elements/api-v2`;
    await waitUp(`http://127.0.0.1:${port}/healthz`);
    const instance = (await (
      await fetch(`${base}/instances`, {
        method: 'POST',
        headers: {
          authorization: `User ${org.userSecret}, Organization ${org.organizationSecret}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          element: { key: 'connectwisecrmrest' },
          configuration: {
            baseUrl: `${sandboxUrl}${apiPath}`,
            company: d.company,
            'public.key': d.publicKey,
            'private.key': d.privateKey,
            'connectwise.clientID': d.clientId,
          },
          name: 'bench',
        }),
      })
    ).json()) as { token: string };
    const auth = { authorization: `User ${org.userSecret}, Element ${instance.token}` };
    const pool = new Pool(sandboxUrl, { connections: 4 });

    // Export: the raw loop, then Conduit's job, on the same simulator.
    let t = performance.now();
    const rawCount = await rawExport(pool, apiPath, join(dir, 'raw.jsonl'));
    const rawMs = performance.now() - t;
    const rss = sampleRss(server.pid!);
    const idleRss = rssMb(server.pid!);
    /** Submits an export and waits for its end. */
    const exportJob = async (q: string) => {
      const job = (await (
        await fetch(`${base}/hubs/crm/bulk/query?q=${encodeURIComponent(q)}`, { method: 'POST', headers: auth })
      ).json()) as { id: number };
      let status: { status: string; recordsCount: number; fileSize: number };
      for (;;) {
        status = (await (
          await fetch(`${base}/hubs/crm/bulk/${job.id}/status`, { headers: auth })
        ).json()) as typeof status;
        if (status.status !== 'CREATED' && status.status !== 'RUNNING') return { job, status };
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    t = performance.now();
    const { job, status } = await exportJob('select * from contacts');
    const exportMs = performance.now() - t;
    const exportPeak = rss.stop();
    const downloadRss = sampleRss(server.pid!);
    const download = async (accept: string, file: string) => {
      const started = performance.now();
      const res = await fetch(`${base}/hubs/crm/bulk/${job.id}/contacts`, { headers: { ...auth, accept } });
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(file));
      return performance.now() - started;
    };
    const jsonlMs = await download('application/json', join(dir, 'bulk.jsonl'));
    const csvMs = await download('text/csv', join(dir, 'bulk.csv'));
    const downloadPeak = downloadRss.stop();

    // Upload: a raw sequential POST loop, then Conduit's import of the same records.
    const company = (
      (await (await fetch(`${base}/hubs/crm/organizations?pageSize=1`, { headers: auth })).json()) as Array<{
        id: number;
      }>
    )[0]!.id;
    const records = Array.from({ length: UPLOAD }, (_, i) => ({
      firstName: `Bench${i}`,
      lastName: 'BulkBench',
      company: { id: company },
    }));
    t = performance.now();
    const rawCreated = await rawUpload(pool, apiPath, records);
    const rawUploadMs = performance.now() - t;
    const file = join(dir, 'upload.jsonl');
    writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n'));
    const uploadRss = sampleRss(server.pid!);
    t = performance.now();
    const form = new FormData();
    form.append('file', new Blob([readFileSync(file)], { type: 'application/x-ndjson' }), 'upload.jsonl');
    const up = (await (
      await fetch(`${base}/hubs/crm/bulk/contacts`, { method: 'POST', headers: auth, body: form })
    ).json()) as { id: number };
    let upStatus: { status: string; recordsCount: number; recordsFailedCount: number };
    for (;;) {
      upStatus = (await (
        await fetch(`${base}/hubs/crm/bulk/${up.id}/status`, { headers: auth })
      ).json()) as typeof upStatus;
      if (upStatus.status !== 'CREATED' && upStatus.status !== 'RUNNING') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const uploadMs = performance.now() - t;
    const uploadPeak = uploadRss.stop();

    // Under ConnectWise-like latency: the raw loop and a partitioned export of the same id range.
    let latency: { raw: number; bulk: number; count: number } | undefined;
    if (LATENCY_MS > 0) {
      const faults = (latencyMs: number) =>
        fetch(`${sandboxUrl}/_sandbox/faults`, {
          method: 'PATCH',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ latencyMs }),
        });
      await faults(LATENCY_MS);
      try {
        t = performance.now();
        const count = await rawExport(pool, apiPath, join(dir, 'raw-latency.jsonl'), `id<=${LATENCY_CONTACTS}`);
        const raw = perSecond(count, performance.now() - t);
        t = performance.now();
        const slow = await exportJob(`select * from contacts where id <= ${LATENCY_CONTACTS}`);
        latency = { raw, bulk: perSecond(slow.status.recordsCount, performance.now() - t), count };
      } finally {
        await faults(0);
      }
    }
    await pool.close();

    const rawRate = perSecond(rawCount, rawMs);
    const bulkRate = perSecond(status.recordsCount, exportMs);
    const jsonlEnd = perSecond(status.recordsCount, exportMs + jsonlMs);
    const csvEnd = perSecond(status.recordsCount, exportMs + csvMs);
    console.log(
      `settings: CONDUIT_RATE_LIMIT_PER_MIN=${env.CONDUIT_RATE_LIMIT_PER_MIN} (the budget never binds: the raw loop has none, so this compares throughput), SQLite store`,
    );
    console.log(
      `contacts: ${CONTACTS} (export ${status.status}, ${status.recordsCount} records, ${status.fileSize} bytes)`,
    );
    console.log(`raw forward-only loop → file   ${rawRate} records/s (${(rawMs / 1000).toFixed(1)} s)`);
    console.log(
      `bulk export job → sealed file   ${bulkRate} records/s (${(exportMs / 1000).toFixed(1)} s)  ratio ${(bulkRate / rawRate).toFixed(2)}×`,
    );
    console.log(
      `  + JSON Lines download          ${jsonlEnd} records/s end to end (download ${(jsonlMs / 1000).toFixed(1)} s)`,
    );
    console.log(
      `  + CSV download (first render)  ${csvEnd} records/s end to end (download ${(csvMs / 1000).toFixed(1)} s)  CSV/JSONL ${(csvEnd / jsonlEnd).toFixed(2)}×`,
    );
    console.log(
      `server RSS: idle ${idleRss.toFixed(0)} MB; peak during the export ${exportPeak.toFixed(0)} MB (+${(exportPeak - idleRss).toFixed(0)} MB over idle), during the downloads ${downloadPeak.toFixed(0)} MB (+${(downloadPeak - idleRss).toFixed(0)} MB)`,
    );
    const rawUpRate = perSecond(rawCreated, rawUploadMs);
    const upRate = perSecond(upStatus.recordsCount, uploadMs);
    console.log(
      `upload ${UPLOAD}: raw sequential POST ${rawUpRate} records/s; bulk import ${upRate} records/s (${upStatus.status}, ${upStatus.recordsFailedCount} failed)  ratio ${(upRate / rawUpRate).toFixed(2)}×; peak RSS ${uploadPeak.toFixed(0)} MB`,
    );
    if (latency) {
      console.log(
        `export of ${latency.count} with ${LATENCY_MS} ms per ConnectWise request: raw loop ${latency.raw} records/s; bulk (CONDUIT_BULK_PARTITIONS=${process.env.CONDUIT_BULK_PARTITIONS ?? 4}) ${latency.bulk} records/s  ratio ${(latency.bulk / latency.raw).toFixed(2)}×`,
      );
    }
  } finally {
    server?.kill('SIGTERM');
    sandbox.kill();
    await new Promise((r) => setTimeout(r, PROFILE ? 3000 : 300));
    rmSync(dir, { recursive: true, force: true });
  }
}
