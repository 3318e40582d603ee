// Hub read throughput: GET /hubs/crm/contacts?where=…&pageSize=100 against three baselines on the same
// simulator, in the same run: the request sent directly, a bare undici pass-through proxy (pipes bytes) and a
// "floor" proxy that parses the upstream JSON and serialises it again. The simulator runs in its own process so
// it does not share the event loop with the servers under test.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { startServer } from '../src/cli/serve.ts';
import '../src/cli/capabilities.ts';
import { loadConfig } from '../src/config/index.ts';
import { createOrganization } from '../src/platform/index.ts';
import { SANDBOX_DEFAULTS } from '../src/sandbox/index.ts';
import { closedLoop, fmt, type LoadResult } from './stats.ts';

interface SandboxInfo {
  httpUrl: string;
  apiBase: string;
  credentials: { company: string; publicKey: string; privateKey: string; clientId: string };
}

/** The simulator in its own process (its own event loop and core), as the real vendor would be. */
async function startSandboxProcess(): Promise<{ info: SandboxInfo; stop(): void }> {
  const probe = createServer();
  const port = Number(new URL(await listen(probe)).port);
  probe.close();
  const child = spawn(
    process.execPath,
    ['bin/conduit.js', 'sandbox', '--port', String(port), '--no-https', '--contacts', '1000', '--quiet'],
    {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: 'ignore',
    },
  );
  const httpUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    const up = await fetch(`${httpUrl}/_sandbox/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const d = SANDBOX_DEFAULTS;
  return {
    info: {
      httpUrl,
      apiBase: `${httpUrl}/v4_6_release/apis/3.0`,
      credentials: { company: d.company, publicKey: d.publicKey, privateKey: d.privateKey, clientId: d.clientId },
    },
    stop: () => child.kill(),
  };
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

const ROUNDS = 5;
const DURATION_MS = 2000;
const CONCURRENCY = 16;

export async function run(): Promise<void> {
  const sandboxProcess = await startSandboxProcess();
  const sandbox = sandboxProcess.info;
  const upstream = new URL(sandbox.apiBase);
  const dataDir = mkdtempSync(join(tmpdir(), 'conduit-bench-hub-'));
  const server = await startServer(
    loadConfig({
      PORT: '0',
      CONDUIT_DATA_DIR: dataDir,
      CONDUIT_BOOTSTRAP: 'false',
      LOG_LEVEL: 'silent',
      CONDUIT_UPSTREAM_ALLOW: upstream.host,
      CONDUIT_RATE_LIMIT_PER_MIN: '100000000',
    }),
    { print: () => {} },
  );
  const org = await createOrganization(server.runtime.deps.store, { name: 'Bench' });
  const base = `${server.url}/elements/api-v2`;
  const created = await fetch(`${base}/instances`, {
    method: 'POST',
    headers: {
      authorization: `User ${org.userSecret}, Organization ${org.organizationSecret}`,
      'content-type': 'application/json',
    },
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
  const token = ((await created.json()) as { token: string }).token;
  const c = sandbox.credentials;
  const cwHeaders = {
    authorization: `Basic ${Buffer.from(`${c.company}+${c.publicKey}:${c.privateKey}`).toString('base64')}`,
    clientid: c.clientId,
    accept: 'application/json',
  };
  const where = 'id>=1';
  const conditions = 'id>=1';
  const vendorPath = `${upstream.pathname}/company/contacts?conditions=${encodeURIComponent(conditions)}&pageSize=100&page=1`;

  // Baselines: a bare proxy that pipes bytes, and the floor proxy that parses and re-serialises.
  const proxyPool = new Pool(upstream.origin, { connections: 32, pipelining: 1 });
  const bare = createServer(async (req, res) => {
    const r = await proxyPool.request({ path: vendorPath, method: 'GET', headers: cwHeaders });
    res.writeHead(r.statusCode, { 'content-type': 'application/json' });
    for await (const chunk of r.body) res.write(chunk);
    res.end();
    void req;
  });
  const floor = createServer(async (_req, res) => {
    const r = await proxyPool.request({ path: vendorPath, method: 'GET', headers: cwHeaders });
    const body = JSON.stringify(JSON.parse(await r.body.text()));
    res.writeHead(r.statusCode, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  const bareUrl = await listen(bare);
  const floorUrl = await listen(floor);

  const hubAuth = `User ${org.userSecret}, Element ${token}`;
  const targets: Array<{ name: string; origin: string; path: string; headers: Record<string, string> }> = [
    { name: 'direct', origin: upstream.origin, path: vendorPath, headers: cwHeaders },
    { name: 'bare proxy', origin: bareUrl, path: '/', headers: {} },
    { name: 'floor proxy', origin: floorUrl, path: '/', headers: {} },
    {
      name: 'hub contacts',
      origin: server.url,
      path: `/elements/api-v2/hubs/crm/contacts?where=${encodeURIComponent(where)}&pageSize=100`,
      headers: { authorization: hubAuth },
    },
    {
      name: 'hub pass-through',
      origin: server.url,
      path: `/elements/api-v2/hubs/crm/company/contacts?where=${encodeURIComponent(where)}&pageSize=100`,
      headers: { authorization: hubAuth },
    },
  ];

  // Five interleaved rounds, median per target, and each ratio taken within a round (paired) then its median:
  // one slow moment of the shared simulator (GC, a neighbour's load) moves a single round, not the comparison.
  const rounds = new Map<string, { loaded: LoadResult[]; seq: LoadResult[]; cpu: number[] }>();
  const pools = new Map(targets.map((t) => [t.name, new Pool(t.origin, { connections: CONCURRENCY })]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of targets) {
      const pool = pools.get(t.name)!;
      const op = async () => {
        const r = await pool.request({ path: t.path, method: 'GET', headers: t.headers });
        const bytes = await r.body.arrayBuffer();
        if (r.statusCode !== 200 || bytes.byteLength < 1000) {
          throw new Error(`${t.name}: ${r.statusCode} ${Buffer.from(bytes).toString('utf8', 0, 200)}`);
        }
      };
      await closedLoop(op, 400, CONCURRENCY); // warm-up
      const cpuBefore = process.cpuUsage();
      const loaded = await closedLoop(op, DURATION_MS, CONCURRENCY);
      const cpu = process.cpuUsage(cpuBefore);
      const entry = rounds.get(t.name) ?? { loaded: [], seq: [], cpu: [] };
      entry.loaded.push(loaded);
      // CPU of this process (load generator + proxy or hub) per request: the simulator runs elsewhere, so this
      // is the cost each layer adds, unaffected by the simulator's own speed.
      entry.cpu.push((cpu.user + cpu.system) / 1000 / loaded.requests);
      // One request at a time: the latency each layer adds, free of the simulator's queueing.
      entry.seq.push(await closedLoop(op, 800, 1));
      rounds.set(t.name, entry);
    }
  }
  for (const pool of pools.values()) await pool.close();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const mid = (rs: LoadResult[]): LoadResult => ({
    requests: median(rs.map((r) => r.requests)),
    seconds: median(rs.map((r) => r.seconds)),
    perSecond: median(rs.map((r) => r.perSecond)),
    p50: median(rs.map((r) => r.p50)),
    p99: median(rs.map((r) => r.p99)),
  });
  const results = new Map([...rounds].map(([k, v]) => [k, mid(v.loaded)]));
  const sequential = new Map([...rounds].map(([k, v]) => [k, mid(v.seq)]));
  const cpuPerRequest = new Map([...rounds].map(([k, v]) => [k, median(v.cpu)]));

  const floorR = results.get('floor proxy')!;
  const bareR = results.get('bare proxy')!;
  for (const [name, r] of results) {
    console.log(
      `${name.padEnd(17)} ${fmt(r.perSecond, 0).padStart(6)} req/s  p50 ${fmt(r.p50, 2).padStart(6)} ms  p99 ${fmt(r.p99, 2).padStart(6)} ms  ` +
        `× floor ${fmt(r.perSecond / floorR.perSecond, 2)}  × bare ${fmt(r.perSecond / bareR.perSecond, 2)}`,
    );
  }
  const directCpu = cpuPerRequest.get('direct')!;
  const costs = new Map([...cpuPerRequest].map(([name, ms]) => [name, Math.max(0.001, ms - directCpu)]));
  for (const [name, cost] of costs) {
    if (name === 'direct') continue;
    console.log(
      `cpu ${name.padEnd(17)} ${fmt(cost, 3)} ms/request over the client's own  ` +
        `(floor / this ${fmt(costs.get('floor proxy')! / cost, 2)}, bare / this ${fmt(costs.get('bare proxy')! / cost, 2)})`,
    );
  }
  const direct1 = sequential.get('direct')!;
  for (const [name, r] of sequential) {
    console.log(
      `sequential ${name.padEnd(17)} p50 ${fmt(r.p50, 2).padStart(6)} ms  p99 ${fmt(r.p99, 2).padStart(6)} ms  ` +
        `added to direct p50 ${fmt(r.p50 - direct1.p50, 2)} ms`,
    );
  }
  // Paired figures: each round's ratio (or difference), then the median and the range over rounds.
  const paired = (a: string, b: string, f: (x: LoadResult, y: LoadResult) => number) => {
    const xs = rounds.get(a)!.loaded.map((x, i) => f(x, rounds.get(b)!.loaded[i]!));
    return `${fmt(median(xs), 2)} [${fmt(Math.min(...xs), 2)}…${fmt(Math.max(...xs), 2)}]`;
  };
  const ratio = (x: LoadResult, y: LoadResult) => x.perSecond / y.perSecond;
  console.log(
    `per-round medians [range]: hub / floor throughput ${paired('hub contacts', 'floor proxy', ratio)} (goal ≥ 0.90), ` +
      `p99 hub − floor ${paired('hub contacts', 'floor proxy', (x, y) => x.p99 - y.p99)} ms (goal ≤ 2); ` +
      `pass-through / bare ${paired('hub pass-through', 'bare proxy', ratio)} (goal ≥ 0.85); ` +
      `bare / floor ${paired('bare proxy', 'floor proxy', ratio)}`,
  );

  await proxyPool.close();
  bare.close();
  floor.close();
  await server.close();
  sandboxProcess.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
