// The only reader of process.env: one schema for every setting, one error listing every bad one.
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

const ConfigSchema = Type.Object({
  HOST: Type.String({ default: '127.0.0.1', description: 'Interface the API listens on' }),
  PORT: Type.Integer({ default: 8080, minimum: 0, maximum: 65535, description: 'Port the API listens on' }),
  CONDUIT_DATA_DIR: Type.String({ default: './.conduit', description: 'SQLite file, master key file, bulk files' }),
  CONDUIT_PUBLIC_URL: Type.Optional(
    Type.String({ pattern: '^https?://', description: 'How the outside world reaches this server (for callbacks)' }),
  ),
  DATABASE_URL: Type.Optional(
    Type.String({
      pattern: '^(postgres|postgresql)://',
      description: 'PostgreSQL URL; default is SQLite in the data dir',
    }),
  ),
  DATABASE_SCHEMA: Type.Optional(
    Type.String({
      pattern: '^[a-z_][a-z0-9_]*$',
      description: 'PostgreSQL schema for Conduit tables (created if missing)',
    }),
  ),
  CONDUIT_MASTER_KEY: Type.Optional(
    Type.String({ pattern: '^[A-Za-z0-9+/=_-]{43,88}$', description: '32-byte key, base64 or hex (64 chars)' }),
  ),
  CONDUIT_MASTER_KEY_PREVIOUS: Type.Optional(
    Type.String({
      description:
        'Comma list of older master keys still accepted for reading during a key rotation (docs/security.md)',
    }),
  ),
  CONDUIT_UPSTREAM_ALLOW: Type.String({
    default: '',
    description: 'Comma list of host[:port] or CIDR that bypass the outbound private-address policy',
  }),
  CONDUIT_POLL_MIN_INTERVAL_S: Type.Number({ default: 30, minimum: 0.1, description: 'Minimum poll interval' }),
  CONDUIT_EVENTS_RECONCILE_S: Type.Number({
    default: 900,
    minimum: 0.1,
    description: 'Seconds between id-set reconciliations that find deleted records (polling/hybrid events)',
  }),
  CONDUIT_WEBHOOK_TIMEOUT_MS: Type.Integer({
    default: 10_000,
    minimum: 50,
    description: 'Timeout of one event notification POST',
  }),
  CONDUIT_WEBHOOK_RETRY_BASE_MS: Type.Integer({
    default: 4_000,
    minimum: 10,
    description: 'First retry delay of a failed notification; later ones grow 4x (jittered, capped at 6 h)',
  }),
  CONDUIT_WEBHOOK_RETRY_HOURS: Type.Number({
    default: 72,
    minimum: 0.0001,
    description: 'How long a failing notification is retried before it is dead-lettered',
  }),
  CONDUIT_UPSTREAM_TIMEOUT_MS: Type.Integer({ default: 30_000, minimum: 100, description: 'Upstream request timeout' }),
  CONDUIT_RATE_LIMIT_PER_MIN: Type.Integer({
    default: 600,
    minimum: 1,
    description: 'Default per-instance upstream request budget (requests per minute)',
  }),
  CONDUIT_RATE_WINDOW_S: Type.Number({
    default: 5,
    minimum: 0.1,
    description:
      "The vendor's rate-limit window: any stretch of it (plus a guard) holds at most rate × window / 60 upstream calls",
  }),
  CONDUIT_HUB_DEADLINE_MS: Type.Integer({
    default: 30_000,
    minimum: 100,
    description:
      'Overall deadline of one hub call, retries included, then 504 (instance override: conduit.hub.deadline.ms)',
  }),
  CONDUIT_POLL_DEADLINE_MS: Type.Integer({
    default: 120_000,
    minimum: 100,
    description: 'Overall deadline of each upstream call an event poller makes (one page), retries included',
  }),
  CONDUIT_BULK_DEADLINE_MS: Type.Integer({
    default: 120_000,
    minimum: 100,
    description: 'Overall deadline of each upstream page a bulk job reads or writes, retries included',
  }),
  CONDUIT_BODY_LIMIT_MB: Type.Number({
    default: 10,
    exclusiveMinimum: 0,
    maximum: 1024,
    description: 'Largest request body in MB; a larger one answers 413 PAYLOAD_TOO_LARGE',
  }),
  CONDUIT_BULK_RETENTION_HOURS: Type.Number({
    default: 72,
    minimum: 0.0001,
    description: 'How long the files of an ended bulk job are kept before they are deleted',
  }),
  CONDUIT_BULK_MAX_UPLOAD_MB: Type.Number({
    default: 100,
    minimum: 0.001,
    description: 'Largest bulk upload file (413 above it)',
  }),
  CONDUIT_BULK_QUOTA_MB: Type.Number({
    default: 2048,
    minimum: 0.001,
    description: 'Bulk file space per organization (result files and uploads kept); new jobs are refused above it',
  }),
  CONDUIT_BULK_CONCURRENCY: Type.Integer({
    default: 2,
    minimum: 1,
    description: 'Bulk jobs one node runs at once',
  }),
  CONDUIT_SHUTDOWN_GRACE_MS: Type.Integer({
    default: 10_000,
    minimum: 0,
    description:
      'After SIGTERM/SIGINT: how long in-flight requests and polls may finish before open connections are cut (exit 1)',
  }),
  CONDUIT_BOOTSTRAP: Type.Boolean({ default: true, description: 'Create a default organization on an empty store' }),
  LOG_LEVEL: Type.Union(
    [
      Type.Literal('fatal'),
      Type.Literal('error'),
      Type.Literal('warn'),
      Type.Literal('info'),
      Type.Literal('debug'),
      Type.Literal('trace'),
      Type.Literal('silent'),
    ],
    { default: 'info' },
  ),
});

export type Config = Static<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** How a bad setting's value is shown: never a secret (master keys; a database URL's user and password). */
function shownValue(name: string, value: unknown): string {
  if (name.startsWith('CONDUIT_MASTER_KEY')) return ' (value not shown: it is a secret)';
  if (name === 'DATABASE_URL' && typeof value === 'string') {
    return ` (got ${JSON.stringify(value.replace(/^([a-z][a-z0-9+.-]*:\/\/)?.*@/i, (_m, scheme) => `${scheme ?? ''}***@`))})`;
  }
  return ` (got ${JSON.stringify(value)})`;
}

/** Parses settings from an env-like record; throws ConfigError listing every bad setting. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const known = Object.keys(ConfigSchema.properties);
  const picked: Record<string, unknown> = {};
  for (const key of known) {
    const raw = env[key];
    if (raw !== undefined && raw !== '') picked[key] = raw;
  }
  const withDefaults = Value.Default(ConfigSchema, picked);
  const converted = Value.Convert(ConfigSchema, withDefaults);
  CONDUIT_RETENTION_DAYS: Type.Number({
    default: 30,
    minimum: 0.0001,
    description: 'Days kept: older trace logs, delivered notifications, event items and ended bulk jobs are pruned',
  }),
  CONDUIT_METRICS_TOKEN: Type.Optional(
    Type.String({ minLength: 16, description: 'When set, GET /metrics requires Authorization: Bearer <token>' }),
  ),
  LOG_FORMAT: Type.Union([Type.Literal('auto'), Type.Literal('json'), Type.Literal('pretty')], {
    default: 'auto',
    description: 'Log lines as JSON or pretty text; auto: pretty when stdout is a terminal',
  }),
  const problems = [...Value.Errors(ConfigSchema, converted)].map((e) => {
    const name = e.path.replace(/^\//, '');
    return `${name || 'config'}: ${e.message}${e.value === undefined ? '' : shownValue(name, e.value)}`;
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return converted as Config;
}

/** Documentation of every setting, used by the README check and `conduit serve --help`. */
export function describeConfig(): Array<{ name: string; default: unknown; description: string }> {
  return Object.entries(ConfigSchema.properties).map(([name, schema]) => ({
    name,
    default: (schema as { default?: unknown }).default,
    description: (schema as { description?: string }).description ?? '',
  }));
}

/**
 * Whether npm (`npm start`, `npx conduit`) launched this process. npm runs it under a shell that does not pass
 * SIGTERM on, so the server stops itself when that shell goes away instead of living on as an orphan.
 */
export function launchedByNpm(env: Record<string, string | undefined> = process.env): boolean {
  return Boolean(env.npm_lifecycle_event);
}
