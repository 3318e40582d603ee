// Starts a real Conduit server (real HTTP, real SQLite file or PostgreSQL schema) for end-to-end tests.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type Server, startServer } from '../../src/cli/serve.ts';
import { loadConfig } from '../../src/config/index.ts';
import { type CreatedOrganization, createOrganization } from '../../src/platform/index.ts';
import '../../src/cli/capabilities.ts';

/** Set CONDUIT_TEST_DATABASE_URL=postgres://… to run the suite on PostgreSQL (each server gets its own schema). */
export const testDatabaseUrl = process.env.CONDUIT_TEST_DATABASE_URL || undefined;

export interface TestServer extends Server {
  dataDir: string;
  base: string; // http://host:port/elements/api-v2
  pgSchema?: string;
  env: Record<string, string>;
  createOrg(name?: string): Promise<CreatedOrganization>;
  stop(): Promise<void>; // closes without removing data (restart tests)
}

export async function startTestServer(
  options: { env?: Record<string, string>; dataDir?: string; pgSchema?: string; logs?: string[] } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'conduit-test-'));
  const pgSchema = testDatabaseUrl ? (options.pgSchema ?? `t_${randomBytes(6).toString('hex')}`) : undefined;
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: '0',
    CONDUIT_DATA_DIR: dataDir,
    CONDUIT_BOOTSTRAP: 'false',
    LOG_LEVEL: options.logs ? 'info' : 'silent',
    ...(testDatabaseUrl ? { DATABASE_URL: testDatabaseUrl, DATABASE_SCHEMA: pgSchema! } : {}),
    ...options.env,
  };
  const config = loadConfig(env);
  const logStream = options.logs ? { write: (line: string) => void options.logs?.push(line) } : undefined;
  const server = await startServer(config, { print: (s) => options.logs?.push(s), pgSchema, logStream });
  let closed = false;
  const stop = async () => {
    if (closed) return;
    closed = true;
    await server.close();
  };
  return {
    ...server,
    dataDir,
    pgSchema,
    env,
    base: `${server.url}/elements/api-v2`,
    createOrg: (name = 'Acme') => createOrganization(server.runtime.deps.store, { name }, server.runtime.deps.box),
    stop,
    async close() {
      await stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
      if (pgSchema && testDatabaseUrl) {
        const client = new pg.Client({ connectionString: testDatabaseUrl });
        await client.connect();
        await client.query(`drop schema if exists ${pgSchema} cascade`);
        await client.end();
      }
    },
  };
}

export const orgAuth = (o: { userSecret: string; organizationSecret: string }) =>
  `User ${o.userSecret}, Organization ${o.organizationSecret}`;
export const elementAuth = (o: { userSecret: string }, token: string) => `User ${o.userSecret}, Element ${token}`;

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A small typed HTTP client over real sockets. */
// biome-ignore lint/suspicious/noExplicitAny: tests assert response bodies field by field
export async function call<T = any>(
  base: string,
  method: string,
  path: string,
  options: { auth?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.auth) headers.authorization = options.auth;
  let body: string | undefined;
  if (options.rawBody !== undefined) {
    body = options.rawBody;
    headers['content-type'] ??= 'application/json';
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* keep text */
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}
