// The only reader of process.env: one schema for every setting, one error listing every bad one.
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { allowedValues, expectation, shownRaw, typeWord } from './messages.ts';

const ConfigSchema = Type.Object({
  HOST: Type.String({ default: '127.0.0.1', description: 'Interface the API listens on' }),
  PORT: Type.Integer({ default: 8080, minimum: 0, maximum: 65535, description: 'Port the API listens on' }),
  CONDUIT_DATA_DIR: Type.String({ default: './.conduit', description: 'SQLite file, master key file, bulk files' }),
  CONDUIT_ENV_FILE: Type.Optional(
    Type.String({
      description: 'Settings file read at start instead of ./.env (KEY=value lines); the environment wins over it',
    }),
  ),
  CONDUIT_PUBLIC_URL: Type.Optional(
    Type.String({
      pattern: '^https?://',
      expected: 'an http:// or https:// URL',
      description: 'How the outside world reaches this server (for callbacks)',
    }),
  ),
  DATABASE_URL: Type.Optional(
    Type.String({
      pattern: '^(postgres|postgresql)://',
      expected: 'a postgres:// or postgresql:// URL',
      description: 'PostgreSQL URL; default is SQLite in the data dir',
    }),
  ),
  DATABASE_SCHEMA: Type.Optional(
    Type.String({
      pattern: '^[a-z_][a-z0-9_]*$',
      expected: 'a lower-case name of letters, digits and _ (not starting with a digit)',
      description: 'PostgreSQL schema for Conduit tables (created if missing)',
    }),
  ),
  CONDUIT_MASTER_KEY: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9+/=_-]{43,88}$',
      expected: 'a 32-byte key, as 64 hex characters or base64',
      description: '32-byte key, base64 or hex (64 chars)',
    }),
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
  CONDUIT_BULK_PARTITIONS: Type.Integer({
    default: 4,
    minimum: 1,
    maximum: 16,
    description: 'Id ranges a large export fetches side by side while the rate budget has room (1: one at a time)',
  }),
  CONDUIT_SHUTDOWN_GRACE_MS: Type.Integer({
    default: 10_000,
    minimum: 0,
    description:
      'After SIGTERM/SIGINT: how long in-flight requests and polls may finish before open connections are cut (exit 1)',
  }),
  CONDUIT_SESSION_TTL_MIN: Type.Number({
    default: 720,
    minimum: 0.01,
    description: 'Lifetime in minutes of a session token from POST /authentication (sign-in by password)',
  }),
  CONDUIT_SIGN_IN_FAILURES_PER_USER: Type.Integer({
    default: 5,
    minimum: 1,
    description: 'Failed sign-ins of one user (e-mail) within CONDUIT_SIGN_IN_WINDOW_MIN before 429',
  }),
  CONDUIT_SIGN_IN_FAILURES_PER_ADDRESS: Type.Integer({
    default: 20,
    minimum: 1,
    description: 'Failed sign-ins from one remote address within CONDUIT_SIGN_IN_WINDOW_MIN before 429',
  }),
  CONDUIT_SIGN_IN_WINDOW_MIN: Type.Number({
    default: 15,
    minimum: 0.01,
    description: 'The window in minutes over which failed sign-ins are counted',
  }),
  CONDUIT_BOOTSTRAP: Type.Boolean({ default: true, description: 'Create a default organization on an empty store' }),
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
  LOG_LEVEL: Type.Union(
    [
      Type.Literal('trace'),
      Type.Literal('debug'),
      Type.Literal('info'),
      Type.Literal('warn'),
      Type.Literal('error'),
      Type.Literal('fatal'),
      Type.Literal('silent'),
    ],
    { default: 'info', description: 'Least severe log level written (pino); silent: none' },
  ),
});

export type Config = Static<typeof ConfigSchema>;

/** Bad settings, one plain sentence each ("PORT must be a whole number from 0 to 65535; got eighty"). */
export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(problems.map((p) => `conduit: ${p}`).join('\n'));
    this.name = 'ConfigError';
  }
}

/** How a bad setting's value is shown: never a secret (keys, tokens; a database URL's user and password). */
function shownValue(name: string, value: unknown): string {
  if (/MASTER_KEY|TOKEN|SECRET|PASSWORD/.test(name)) return '; the value is not shown (a secret)';
  if (name === 'DATABASE_URL' && typeof value === 'string') {
    return `; got ${shownRaw(value.replace(/^([a-z][a-z0-9+.-]*:\/\/)?.*@/i, (_m, scheme) => `${scheme ?? ''}***@`))}`;
  }
  return `; got ${shownRaw(value)}`;
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
  // One sentence per bad setting (a union reports each branch it tried), naming what it must be and what it was.
  const bad = new Set([...Value.Errors(ConfigSchema, converted)].map((e) => e.path.replace(/^\//, '')));
  const problems = [...bad].map((name) => {
    const schema = ConfigSchema.properties[name as keyof typeof ConfigSchema.properties];
    if (!schema) return `the configuration is invalid at ${name || 'its root'}`;
    return `${name} must be ${expectation(schema)}${shownValue(name, env[name])}`;
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return converted as Config;
}

/** Documentation of every setting, used by the docs check and `conduit serve --help`. */
export function describeConfig(): Array<{
  name: string;
  default: unknown;
  description: string;
  type: string;
  allowed?: string[];
  expected: string;
}> {
  return Object.entries(ConfigSchema.properties).map(([name, schema]) => ({
    name,
    default: (schema as { default?: unknown }).default,
    description: (schema as { description?: string }).description ?? '',
    type: typeWord(schema),
    allowed: allowedValues(schema),
    expected: expectation(schema),
  }));
}

/**
 * Whether npm (`npm start`, `npx conduit`) launched this process. npm runs it under a shell that does not pass
 * SIGTERM on, so the server stops itself when that shell goes away instead of living on as an orphan.
 */
export function launchedByNpm(env: Record<string, string | undefined> = process.env): boolean {
  return Boolean(env.npm_lifecycle_event);
}
