// Transformation throughput: GET /hubs/crm/myContacts?pageSize=100 through a 10-field mapping, and through the
// same mapping plus a 5-line script per record, side by side in the same run with the untransformed hub list and
// the "floor" proxy that parses the vendor JSON and serialises it again (see hub.bench.ts). The simulator runs in
// its own process. Goals (issue 11): mapped ≥ 0.8× the floor, scripted ≥ 0.4× the floor.
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

const ROUNDS = Number(process.env.TRANSFORM_BENCH_ROUNDS ?? 3);
const DURATION_MS = Number(process.env.TRANSFORM_BENCH_MS ?? 1500);
const CONCURRENCY = 16;

const FIELDS: Array<[string, string, string]> = [
  ['id', 'number', 'id'],
  ['givenName', 'string', 'firstName'],
  ['familyName', 'string', 'lastName'],
  ['jobTitle', 'string', 'title'],
  ['inactive', 'boolean', 'inactiveFlag'],
  ['company.id', 'number', 'company.id'],
  ['company.name', 'string', 'company.name'],
  ['site', 'string', 'site.name'],
  ['email', 'string', "communicationItems[?(@.communicationType=='Email')].value"],
  ['updated', 'date', '_info.lastUpdated'],
];

const SCRIPT = [
  'const o = transformedObject;',
  "o.fullName = (o.givenName || '') + ' ' + (o.familyName || '');",
  "o.domain = o.email ? o.email.split('@')[1] : null;",
  'o.vip = originalObject.id % 7 === 0;',
  'done(o);',
].join('\n');

export async function run(): Promise<void> {
  const sandboxProcess = await startSandboxProcess();
  const sandbox = sandboxProcess.info;
  const upstream = new URL(sandbox.apiBase);
  const dataDir = mkdtempSync(join(tmpdir(), 'conduit-bench-transform-'));
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
  const orgAuth = `User ${org.userSecret}, Organization ${org.organizationSecret}`;
  const platform = async (method: string, path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: orgAuth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  const created = await platform('POST', '/instances', {
    element: { key: 'connectwisecrmrest' },
    name: 'bench',
    configuration: {
      baseUrl: sandbox.apiBase,
      company: sandbox.credentials.company,
      'public.key': sandbox.credentials.publicKey,
      'private.key': sandbox.credentials.privateKey,
      'connectwise.clientID': sandbox.credentials.clientId,
    },
  });
  const token = created.token as string;
  const definition = { fields: FIELDS.map(([path, type]) => ({ path, type })) };
  const fields = FIELDS.map(([path, type, vendorPath]) => ({ path, type, vendorPath }));
  await platform('POST', '/organizations/objects/definitions', {
    myContacts: definition,
    myScripted: {
      fields: [
        ...definition.fields,
        { path: 'fullName', type: 'string' },
        { path: 'domain', type: 'string' },
        { path: 'vip', type: 'boolean' },
      ],
    },
  });
  await platform('POST', '/organizations/elements/connectwisecrmrest/transformations/myContacts', {
    vendorName: 'contacts',
    fields,
  });
  await platform('POST', '/organizations/elements/connectwisecrmrest/transformations/myScripted', {
    vendorName: 'contacts',
    fields,
    script: { body: SCRIPT },
  });

  const c = sandbox.credentials;
  const cwHeaders = {
    authorization: `Basic ${Buffer.from(`${c.company}+${c.publicKey}:${c.privateKey}`).toString('base64')}`,
    clientid: c.clientId,
    accept: 'application/json',
  };
  const vendorPath = `${upstream.pathname}/company/contacts?pageSize=100&page=1`;
  const proxyPool = new Pool(upstream.origin, { connections: 32, pipelining: 1 });
  const floor = createServer(async (_req, res) => {
    const r = await proxyPool.request({ path: vendorPath, method: 'GET', headers: cwHeaders });
    const body = JSON.stringify(JSON.parse(await r.body.text()));
    res.writeHead(r.statusCode, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  const floorUrl = await listen(floor);

  const hubAuth = `User ${org.userSecret}, Element ${token}`;
  const hub = (name: string) => ({
    name: `hub ${name}`,
    origin: server.url,
    path: `/elements/api-v2/hubs/crm/${name}?pageSize=100`,
    headers: { authorization: hubAuth },
  });
  const targets = [
    { name: 'floor proxy', origin: floorUrl, path: '/', headers: {} as Record<string, string> },
    hub('contacts'),
    hub('myContacts'),
    hub('myScripted'),
  ];
  const rounds = new Map<string, LoadResult[]>();
  const pools = new Map(targets.map((t) => [t.name, new Pool(t.origin, { connections: CONCURRENCY })]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of targets) {
      const pool = pools.get(t.name)!;
      const op = async () => {
        const r = await pool.request({ path: t.path, method: 'GET', headers: t.headers });
        const bytes = await r.body.arrayBuffer();
        if (r.statusCode !== 200 || bytes.byteLength < 1000) {
          throw new Error(`${t.name}: ${r.statusCode} ${Buffer.from(bytes).toString('utf8', 0, 300)}`);
        }
      };
      await closedLoop(op, 300, CONCURRENCY); // warm-up
      const list = rounds.get(t.name) ?? [];
      list.push(await closedLoop(op, DURATION_MS, CONCURRENCY));
      rounds.set(t.name, list);
    }
  }
  for (const pool of pools.values()) await pool.close();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const floorRuns = rounds.get('floor proxy')!;
  const paired = (name: string) => {
    const xs = rounds.get(name)!.map((r, i) => r.perSecond / floorRuns[i]!.perSecond);
    return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
  };
  console.log(`${ROUNDS} rounds × ${DURATION_MS} ms, ${CONCURRENCY} concurrent, pageSize=100, 10 mapped fields`);
  for (const [name, runs] of rounds) {
    const r = paired(name);
    console.log(
      `${name.padEnd(16)} ${fmt(median(runs.map((x) => x.perSecond)), 0).padStart(6)} req/s  ` +
        `p50 ${fmt(median(runs.map((x) => x.p50)), 2).padStart(6)} ms  p99 ${fmt(median(runs.map((x) => x.p99)), 2).padStart(6)} ms  ` +
        `× floor ${fmt(r.median, 2)} [${fmt(r.min, 2)}…${fmt(r.max, 2)}]`,
    );
  }
  const mapped = paired('hub myContacts').median;
  const scripted = paired('hub myScripted').median;
  console.log(
    `ratios: mapped / floor ${fmt(mapped, 2)} (goal ≥ 0.80, ${mapped >= 0.8 ? 'met' : 'NOT met'}); ` +
      `scripted / floor ${fmt(scripted, 2)} (goal ≥ 0.40, ${scripted >= 0.4 ? 'met' : 'NOT met'}); ` +
      `mapped / untransformed hub ${fmt(median(rounds.get('hub myContacts')!.map((r, i) => r.perSecond / rounds.get('hub contacts')![i]!.perSecond)), 2)}`,
  );

  await proxyPool.close();
  floor.close();
  await server.close();
  sandboxProcess.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
