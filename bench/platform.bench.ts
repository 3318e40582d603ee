// Provisioning latency and GET /instances/{id} throughput, against the sandbox's own /system/info as a baseline.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../src/cli/serve.ts';
import { loadConfig } from '../src/config/index.ts';
import { createOrganization } from '../src/platform/index.ts';
import { startSandbox } from '../src/sandbox/index.ts';
import { closedLoop, fmt, percentile } from './stats.ts';

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
  const org = await createOrganization(server.runtime.deps.store, { name: 'Bench' });
  const auth = `User ${org.userSecret}, Organization ${org.organizationSecret}`;
  const base = `${server.url}/elements/api-v2`;
  const body = JSON.stringify({
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
  const headers = { authorization: auth, 'content-type': 'application/json' };
  const cwHeaders = {
    authorization: `Basic ${Buffer.from(`${sandbox.credentials.company}+${sandbox.credentials.publicKey}:${sandbox.credentials.privateKey}`).toString('base64')}`,
    clientId: sandbox.credentials.clientId,
  };

  const provision: number[] = [];
  const verify: number[] = [];
  let id = 0;
  for (let i = 0; i < 40; i++) {
    let t = performance.now();
    const res = await fetch(`${base}/instances`, { method: 'POST', headers, body });
    id = ((await res.json()) as { id: number }).id;
    provision.push(performance.now() - t);
    t = performance.now();
    await (await fetch(`${sandbox.apiBase}/system/info`, { headers: cwHeaders })).text();
    verify.push(performance.now() - t);
  }
  provision.sort((a, b) => a - b);
  verify.sort((a, b) => a - b);
  console.log(
    `provisioning latency: p50 ${fmt(percentile(provision, 50))} ms, p99 ${fmt(percentile(provision, 99))} ms; ` +
      `baseline (the credential check alone, /system/info direct) p50 ${fmt(percentile(verify, 50))} ms; ` +
      `ratio ${fmt(percentile(provision, 50) / percentile(verify, 50))}x`,
  );

  const get = await closedLoop(async () => {
    await (await fetch(`${base}/instances/${id}`, { headers: { authorization: auth } })).arrayBuffer();
  }, 4000);
  const health = await closedLoop(async () => {
    await (await fetch(`${server.url}/healthz`)).arrayBuffer();
  }, 4000);
  console.log(
    `GET /instances/{id}: ${fmt(get.perSecond, 0)} req/s (p50 ${fmt(get.p50)} ms, p99 ${fmt(get.p99)} ms); ` +
      `baseline GET /healthz on the same server ${fmt(health.perSecond, 0)} req/s; ratio ${fmt(get.perSecond / health.perSecond, 2)}`,
  );
  await server.close();
  await sandbox.close();
  rmSync(dataDir, { recursive: true, force: true });
}
