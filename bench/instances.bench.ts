// GET /instances/{id} (which carries the 47 KB element object) against GET /healthz on the same server: requests per
// second from 20 concurrent loops over an undici Pool, 3 s each (alternating half-second slices). Goal: ratio >= 0.5.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { startServer } from '../src/cli/serve.ts';
import { loadConfig } from '../src/config/index.ts';
import { startSandbox } from '../src/sandbox/index.ts';
import '../src/cli/capabilities.ts';
import { fmt, percentile } from './stats.ts';

const CONCURRENCY = 20;
const SECONDS = Number(process.env.INSTANCES_BENCH_SECONDS ?? 3);

interface Tally {
  latencies: number[];
  bytes: number;
  ms: number;
}

/** One slice of load on `path`, appended to `tally`. */
async function slice(pool: Pool, path: string, headers: Record<string, string>, ms: number, tally: Tally) {
  const deadline = performance.now() + ms;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        const res = await pool.request({ method: 'GET', path, headers });
        const body = await res.body.arrayBuffer();
        if (res.statusCode !== 200) throw new Error(`${path} answered ${res.statusCode}`);
        tally.bytes += body.byteLength;
        tally.latencies.push(performance.now() - t);
      }
    }),
  );
  tally.ms += performance.now() - started;
}

function summary(t: Tally) {
  t.latencies.sort((a, b) => a - b);
  return {
    perSecond: t.latencies.length / (t.ms / 1000),
    p50: percentile(t.latencies, 50),
    p99: percentile(t.latencies, 99),
    size: t.bytes / t.latencies.length,
  };
}

/**
 * Both paths for `SECONDS` each, alternating in half-second slices, so that a busy machine (other processes
 * taking the CPU for a while) weighs on both figures alike.
 */
async function compare(pool: Pool, a: [string, Record<string, string>], b: [string, Record<string, string>]) {
  const ta: Tally = { latencies: [], bytes: 0, ms: 0 };
  const tb: Tally = { latencies: [], bytes: 0, ms: 0 };
  for (let i = 0; i < SECONDS * 2; i++) {
    await slice(pool, a[0], a[1], 500, ta);
    await slice(pool, b[0], b[1], 500, tb);
  }
  return [summary(ta), summary(tb)] as const;
}

export async function run(): Promise<void> {
  const sandbox = await startSandbox({ port: 0, httpsPort: null, quiet: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'conduit-bench-'));
  const server = await startServer(
    loadConfig({
      PORT: '0',
      CONDUIT_DATA_DIR: dataDir,
      CONDUIT_BOOTSTRAP: 'false',
      LOG_LEVEL: 'silent',
      CONDUIT_UPSTREAM_ALLOW: new URL(sandbox.httpUrl).host,
    }),
    { print: () => {} },
  );
  const pool = new Pool(server.url, { connections: CONCURRENCY });
  try {
    const { createOrganization } = await import('../src/platform/index.ts');
    const org = await createOrganization(server.runtime.deps.store, { name: 'Bench' }, server.runtime.deps.box);
    const auth = `User ${org.userSecret}, Organization ${org.organizationSecret}`;
    const created = await fetch(`${server.url}/elements/api-v2/instances`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        element: { key: 'connectwisecrmrest' },
        name: 'bench',
        configuration: {
          baseUrl: sandbox.apiBase,
          company: sandbox.credentials.company,
          'public.key': sandbox.credentials.publicKey,
          'private.key': sandbox.credentials.privateKey,
          'connectwise.clientID': sandbox.credentials.clientId,
        },
      }),
    });
    const { id } = (await created.json()) as { id: number };
    const instancePath: [string, Record<string, string>] = [
      `/elements/api-v2/instances/${id}`,
      { authorization: auth },
    ];
    await compare(pool, ['/healthz', {}], instancePath); // warm-up: JIT, caches, connections
    const [health, instance] = await compare(pool, ['/healthz', {}], instancePath);
    console.log(
      `GET /instances/{id}: ${fmt(instance.perSecond, 0)} req/s (p50 ${fmt(instance.p50)} ms, p99 ${fmt(instance.p99)} ms, ${fmt(instance.size / 1024, 1)} KB); ` +
        `GET /healthz: ${fmt(health.perSecond, 0)} req/s (p50 ${fmt(health.p50)} ms); ` +
        `ratio ${fmt(instance.perSecond / health.perSecond, 2)} (goal >= 0.5; ${CONCURRENCY} concurrent, ${SECONDS} s each)`,
    );
  } finally {
    await pool.close();
    await server.close();
    await sandbox.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
