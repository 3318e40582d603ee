// Shared set-up of the hub suites: a simulator, a real Conduit server and one provisioned instance.
import type { RunningSandbox, SandboxOptions } from '../../src/sandbox/index.ts';
import { sandboxAllow, seedBody, startTestSandbox } from '../helpers/sandbox.ts';
import { type ApiResponse, call, elementAuth, orgAuth, startTestServer, type TestServer } from '../helpers/server.ts';

export interface HubFixture {
  sandbox: RunningSandbox;
  server: TestServer;
  org: Awaited<ReturnType<TestServer['createOrg']>>;
  instanceId: number;
  token: string;
  /** A hub call with the instance's Element token, path relative to /elements/api-v2. */
  // biome-ignore lint/suspicious/noExplicitAny: test responses are vendor data
  hub<T = any>(
    method: string,
    path: string,
    options?: { body?: unknown; headers?: Record<string, string> },
  ): Promise<ApiResponse<T>>;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are vendor data
  platform<T = any>(method: string, path: string, options?: { body?: unknown }): Promise<ApiResponse<T>>;
  /** GET on the simulator itself (vendor API or control API), with the instance's credentials. */
  // biome-ignore lint/suspicious/noExplicitAny: vendor data
  vendor<T = any>(path: string, init?: RequestInit): Promise<{ status: number; body: T; headers: Headers }>;
  close(): Promise<void>;
}

export async function startHubFixture(
  options: { env?: Record<string, string>; sandbox?: SandboxOptions; configuration?: Record<string, unknown> } = {},
): Promise<HubFixture> {
  const sandbox = await startTestSandbox(options.sandbox);
  const server = await startTestServer({ env: { CONDUIT_UPSTREAM_ALLOW: sandboxAllow(sandbox), ...options.env } });
  const org = await server.createOrg('HubOrg');
  const created = await call(server.base, 'POST', '/instances', {
    auth: orgAuth(org),
    body: seedBody(sandbox, options.configuration ?? {}),
  });
  if (created.status !== 200) throw new Error(`provisioning failed: ${created.status} ${created.text}`);
  const token = created.body.token as string;
  const c = sandbox.credentials;
  const vendorAuth = `Basic ${Buffer.from(`${c.company}+${c.publicKey}:${c.privateKey}`).toString('base64')}`;
  return {
    sandbox,
    server,
    org,
    instanceId: created.body.id as number,
    token,
    hub: (method, path, o = {}) => call(server.base, method, path, { auth: elementAuth(org, token), ...o }),
    platform: (method, path, o = {}) => call(server.base, method, path, { auth: orgAuth(org), ...o }),
    async vendor(path, init = {}) {
      const url = path.startsWith('/_sandbox') ? `${sandbox.httpUrl}${path}` : `${sandbox.apiBase}${path}`;
      const res = await fetch(url, {
        ...init,
        headers: {
          authorization: vendorAuth,
          clientId: c.clientId,
          'content-type': 'application/json',
          ...(init.headers ?? {}),
        },
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
    },
    async close() {
      await server.close();
      await sandbox.close();
    },
  };
}
