// Start-up failures an operator can fix (an unreachable database, a port in use, a bad data dir) become one
// line that names the setting, instead of a stack trace. Anything else is a bug and keeps its stack.
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import pg from 'pg';
import type { Config } from '../config/index.ts';

/** Carries a start-up problem's one-line message to the CLI, which prints it and exits 1. */
export class StartupFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupFailure';
  }
}

const PG_CONNECT_TIMEOUT_MS = 10_000;

type SystemError = Error & { code?: string; errors?: SystemError[]; path?: string };

/** The error's code, also from the first of an AggregateError (Node tries every address of `localhost`). */
function codeOf(e: unknown): string | undefined {
  const err = e as SystemError | undefined;
  return err?.code ?? err?.errors?.find((x) => x.code)?.code;
}

/** A database URL fit to print: the password replaced by ***. */
export function maskedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** Exists (or can be created) as a writable directory; otherwise the problem, in one line. */
export function dataDirProblem(dir: string): string | undefined {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch (e) {
    if (codeOf(e) !== 'ENOENT' && codeOf(e) !== 'ENOTDIR') return `conduit: CONDUIT_DATA_DIR ${dir}: ${reason(e)}`;
    try {
      mkdirSync(dir, { recursive: true });
      return undefined;
    } catch (made) {
      const code = codeOf(made);
      if (code === 'ENOTDIR' || code === 'EEXIST')
        return `conduit: CONDUIT_DATA_DIR ${dir} cannot be created: a part of the path is a file, not a directory`;
      return `conduit: CONDUIT_DATA_DIR ${dir} cannot be created: ${reason(made)}`;
    }
  }
  if (!isDirectory) return `conduit: CONDUIT_DATA_DIR ${dir} is a file, not a directory`;
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    return `conduit: CONDUIT_DATA_DIR ${dir} is not writable: ${reason(e)}`;
  }
  return undefined;
}

function reason(e: unknown): string {
  switch (codeOf(e)) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    default:
      return (e as Error).message;
  }
}

/** Why PostgreSQL refused us, in words (pg's errors carry node's or PostgreSQL's own codes). */
function pgReason(e: unknown): string {
  const code = codeOf(e);
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ETIMEDOUT':
      return `no answer within ${PG_CONNECT_TIMEOUT_MS / 1000} s`;
    case '28P01':
      return 'password authentication failed';
    default: {
      const message = (e as Error).message ?? String(e);
      if (/timeout/i.test(message)) return `no answer within ${PG_CONNECT_TIMEOUT_MS / 1000} s`;
      return message || code || 'unknown error';
    }
  }
}

/** Connects once (with a timeout; pg's own default waits forever) so a bad DATABASE_URL is named at once. */
export async function databaseProblem(config: Config): Promise<string | undefined> {
  if (!config.DATABASE_URL) return undefined;
  const client = new pg.Client({
    connectionString: config.DATABASE_URL,
    connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
  });
  // A connection that breaks later is reported by the query that uses it, not as an unhandled 'error'.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (e) {
    return `conduit: cannot connect to PostgreSQL at ${maskedUrl(config.DATABASE_URL)} (DATABASE_URL): ${pgReason(e)}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Every check a command that opens the store needs, in order; the first problem, or none. */
export async function storeProblem(config: Config): Promise<string | undefined> {
  return dataDirProblem(config.CONDUIT_DATA_DIR) ?? (await databaseProblem(config));
}

/** A failed listen() in one line naming PORT/HOST, or undefined when it is not one an operator can fix. */
export function listenProblem(e: unknown, host: string, port: number): string | undefined {
  switch (codeOf(e)) {
    case 'EADDRINUSE':
      return `conduit: port ${port} on ${host} is in use (PORT/HOST)`;
    case 'EACCES':
    case 'EPERM':
      return `conduit: no permission to listen on port ${port} on ${host}; ports below 1024 need privileges (PORT/HOST)`;
    case 'EADDRNOTAVAIL':
      return `conduit: ${host} is not an address of this machine (HOST)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `conduit: the host name ${host} cannot be resolved (HOST)`;
    default:
      return undefined;
  }
}
