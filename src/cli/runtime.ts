// Wires configuration, store, secrets and clients into the dependencies every role shares.
import { join } from 'node:path';
import pino from 'pino';
import { prettyFactory } from 'pino-pretty';
import type { Config } from '../config/index.ts';
import { loadElementCatalog } from '../elements/index.ts';
import { REDACT_PATHS, serializeRequest } from '../http/index.ts';
import type { PlatformDeps } from '../platform/index.ts';
import { keyContext, MasterKeyError, openSecretBox, parseAllowList } from '../security/index.ts';
import { migrateToLatest, openStore } from '../store/index.ts';
import { createUpstreamClient } from '../upstream/index.ts';
import { StartupFailure } from './startup.ts';

export interface Runtime {
  deps: PlatformDeps;
  close(): Promise<void>;
}

/** LOG_FORMAT=auto is pretty for a person at a terminal and JSON for a log collector (pipe, file, journald). */
export function chooseLogFormat(setting: Config['LOG_FORMAT'], stdoutIsTTY: boolean): 'json' | 'pretty' {
  if (setting === 'auto') return stdoutIsTTY ? 'pretty' : 'json';
  return setting;
}

export function createLogger(config: Config, destination?: pino.DestinationStream) {
  const options = {
    level: config.LOG_LEVEL,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    serializers: { req: serializeRequest },
  };
  const out = destination ?? pino.destination(1);
  if (chooseLogFormat(config.LOG_FORMAT, Boolean(process.stdout.isTTY)) === 'json') return pino(options, out);
  // Formatted in-process, line by line (no transport worker thread); redaction has happened before.
  const format = prettyFactory({
    colorize: !destination && Boolean(process.stdout.isTTY),
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
  return pino(options, { write: (line: string) => out.write(format(line)) });
}

export async function openRuntime(config: Config, overrides: { pgSchema?: string } = {}): Promise<Runtime> {
  const catalog = loadElementCatalog();
  const store = await openStore({
    databaseUrl: config.DATABASE_URL,
    sqliteFile: join(config.CONDUIT_DATA_DIR, 'conduit.sqlite'),
    pgSchema: overrides.pgSchema ?? config.DATABASE_SCHEMA,
  });
  await migrateToLatest(store);
  const policy = parseAllowList(config.CONDUIT_UPSTREAM_ALLOW);
  // A missing or different master key refuses to start here (MasterKeyError), before anything listens.
  const box = await openSecretBox(store, keyContext(config, overrides.pgSchema)).catch(async (err: unknown) => {
    await store.close();
    throw err instanceof MasterKeyError ? new StartupFailure(`conduit: ${err.message}`) : err;
  });
  const upstream = createUpstreamClient({
    policy,
    timeoutMs: config.CONDUIT_UPSTREAM_TIMEOUT_MS,
    ratePerMinute: config.CONDUIT_RATE_LIMIT_PER_MIN,
    rateWindowMs: config.CONDUIT_RATE_WINDOW_S * 1000,
    deadlineMs: config.CONDUIT_HUB_DEADLINE_MS,
  });
  const deps: PlatformDeps = { store, box, catalog, upstream, policy, config };
  return {
    deps,
    async close() {
      await upstream.close();
      await store.close();
    },
  };
}
