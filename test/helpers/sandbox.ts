import { type RunningSandbox, type SandboxOptions, startSandbox } from '../../src/sandbox/index.ts';

export async function startTestSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  return startSandbox({ port: 0, httpsPort: null, quiet: true, ...options });
}

/** The seed's POST /instances body, pointed at a sandbox. */
export function seedBody(
  sandbox: RunningSandbox,
  overrides: Record<string, unknown> = {},
  form: 'baseUrl' | 'baseURL' = 'baseURL',
) {
  return {
    element: { key: 'connectwisecrmrest' },
    configuration: {
      [form]: sandbox.apiBase,
      company: sandbox.credentials.company,
      'public.key': sandbox.credentials.publicKey,
      'private.key': sandbox.credentials.privateKey,
      'connectwise.clientID': sandbox.credentials.clientId,
      ...overrides,
    },
    tags: ['Docs'],
    name: 'ConnectWise_Instance',
  };
}

export function sandboxAllow(sandbox: RunningSandbox): string {
  return new URL(sandbox.httpUrl).host;
}
