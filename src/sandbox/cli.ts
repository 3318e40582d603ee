import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_SIZES } from './data/generate.ts';
import { type ApiKeyOption, DEFAULTS, type FaultSettings, ROLES, type Role, type SandboxOptions } from './options.ts';
import { startSandbox } from './server.ts';

function int(name: string, min = 0) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}.`);
    return n;
  };
}

function num(name: string, min?: number, max?: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || (min !== undefined && n < min) || (max !== undefined && n > max)) {
      throw new InvalidArgumentError(
        `${name} must be a number${min !== undefined ? ` between ${min} and ${max ?? '∞'}` : ''}.`,
      );
    }
    return n;
  };
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function apiKey(value: string, previous: ApiKeyOption[] | undefined): ApiKeyOption[] {
  const [publicKey, privateKey, role, member] = value.split(':');
  if (!publicKey || !privateKey) throw new InvalidArgumentError('--api-key takes public:private[:role[:member]].');
  if (role && !ROLES.includes(role as Role)) throw new InvalidArgumentError(`role must be one of ${ROLES.join(', ')}.`);
  return [
    ...(previous ?? []),
    { publicKey, privateKey, ...(role ? { role: role as Role } : {}), ...(member ? { member } : {}) },
  ];
}

interface CliFlags {
  host: string;
  port: number;
  httpsPort: number;
  https: boolean;
  tlsCert?: string;
  tlsKey?: string;
  company: string;
  publicKey: string;
  privateKey: string;
  clientId?: string[];
  clientIdRequired: boolean;
  clientIdStatus: number;
  companyCaseInsensitive?: boolean;
  apiKey?: ApiKeyOption[];
  seed: number;
  companies: number;
  contacts: number;
  tickets: number;
  configurations: number;
  opportunities: number;
  activities: number;
  timeEntries: number;
  persistFile?: string;
  tokenTtl: number;
  rateLimit: number;
  rateWindow: number;
  latency: number;
  errorRate: number;
  timeoutRate: number;
  truncateRate: number;
  timeoutDelay: number;
  clockOffset: number;
  callbackRetryDelays: string;
  callbackTimeout: number;
  callbackDisableAfter: number;
  callbackUrlMode: 'cw' | 'none';
  quiet?: boolean;
}

/** Maps parsed flags to startSandbox options (exported for tests). */
export function optionsFromFlags(f: CliFlags): SandboxOptions {
  const clientIds = f.clientId && f.clientId.length > 0 ? f.clientId : [DEFAULTS.clientId];
  const faults: FaultSettings = {
    rateLimit: f.rateLimit,
    rateWindowSeconds: f.rateWindow,
    latencyMs: f.latency,
    errorRate: f.errorRate,
    timeoutRate: f.timeoutRate,
    truncateRate: f.truncateRate,
    timeoutDelayMs: f.timeoutDelay,
    clockOffsetSeconds: f.clockOffset,
  };
  const delays = f.callbackRetryDelays
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (delays.some((d) => !Number.isFinite(d) || d < 0))
    throw new InvalidArgumentError('--callback-retry-delays takes ms,ms,…');
  if ((f.tlsCert === undefined) !== (f.tlsKey === undefined))
    throw new InvalidArgumentError('--tls-cert and --tls-key go together.');
  return {
    host: f.host,
    port: f.port,
    httpsPort: f.https ? f.httpsPort : null,
    ...(f.tlsCert && f.tlsKey
      ? { tlsCert: readFileSync(f.tlsCert, 'utf8'), tlsKey: readFileSync(f.tlsKey, 'utf8') }
      : {}),
    company: f.company,
    publicKey: f.publicKey,
    privateKey: f.privateKey,
    clientIds: clientIds.some((c) => c.toLowerCase() === 'any') ? 'any' : clientIds,
    clientIdRequired: f.clientIdRequired,
    clientIdErrorStatus: f.clientIdStatus,
    companyCaseInsensitive: f.companyCaseInsensitive === true,
    apiKeys: f.apiKey ?? [],
    seed: f.seed,
    companies: f.companies,
    contacts: f.contacts,
    tickets: f.tickets,
    configurations: f.configurations,
    opportunities: f.opportunities,
    activities: f.activities,
    timeEntries: f.timeEntries,
    ...(f.persistFile ? { persistFile: f.persistFile } : {}),
    tokenTtlSeconds: f.tokenTtl,
    faults,
    callbackRetryDelaysMs: delays,
    callbackTimeoutMs: f.callbackTimeout,
    callbackDisableAfterMs: f.callbackDisableAfter,
    callbackUrlMode: f.callbackUrlMode,
    quiet: f.quiet === true,
  };
}

/** Adds `conduit sandbox`: the ConnectWise Manage simulator. */
export function registerSandboxCommand(program: Command): void {
  const s = DEFAULT_SIZES;
  program
    .command('sandbox')
    .description(
      'Run a self-contained ConnectWise Manage (PSA) REST API simulator: try Conduit without a ConnectWise account, ' +
        'or point any ConnectWise client at it. Control API under /_sandbox/.',
    )
    .option('--host <host>', 'address to bind (any Host header is accepted)', DEFAULTS.host)
    .option('--port <port>', 'HTTP port (0 = any free port)', int('--port'), DEFAULTS.cliPort)
    .option('--https-port <port>', 'HTTPS port (0 = any free port)', int('--https-port'), DEFAULTS.cliHttpsPort)
    .option('--no-https', 'serve HTTP only')
    .option('--tls-cert <file>', 'PEM certificate for HTTPS (default: self-signed, generated at start)')
    .option('--tls-key <file>', 'PEM private key for --tls-cert')
    .option('--company <id>', 'login company id (the part before + in the Basic user name)', DEFAULTS.company)
    .option('--public-key <key>', 'API member public key', DEFAULTS.publicKey)
    .option('--private-key <key>', 'API member private key', DEFAULTS.privateKey)
    .option(
      '--client-id <guid>',
      `accepted clientId header value; repeat for several, or "any" (default ${DEFAULTS.clientId})`,
      collect,
    )
    .option('--no-client-id-required', 'older-instance mode: do not require the clientId header')
    .option(
      '--client-id-status <status>',
      'HTTP status answered when clientId is missing or unknown',
      int('--client-id-status', 400),
      400,
    )
    .option('--company-case-insensitive', 'accept the login company in any case (default: exact match)')
    .option(
      '--api-key <public:private[:role[:member]]>',
      `extra API member keys; role ${ROLES.join('|')} (readonly: GET only, crm: no system/* but system/info → 403 Security); repeatable`,
      apiKey,
    )
    .option('--seed <n>', 'seed of the generated data set', int('--seed'), DEFAULTS.seed)
    .option('--companies <n>', 'companies to generate', int('--companies'), s.companies)
    .option('--contacts <n>', 'contacts to generate (1000000 works)', int('--contacts'), s.contacts)
    .option('--tickets <n>', 'service tickets to generate (with notes)', int('--tickets'), s.tickets)
    .option('--configurations <n>', 'configurations to generate', int('--configurations'), s.configurations)
    .option('--opportunities <n>', 'opportunities to generate', int('--opportunities'), s.opportunities)
    .option('--activities <n>', 'activities to generate', int('--activities'), s.activities)
    .option('--time-entries <n>', 'time entries to generate', int('--time-entries'), s.timeEntries)
    .option('--persist-file <file>', 'load the data set from this JSON file if present, save changes to it')
    .option(
      '--token-ttl <seconds>',
      'lifetime of impersonation tokens (system/members/{id}/tokens)',
      int('--token-ttl', 1),
      DEFAULTS.tokenTtlSeconds,
    )
    .option(
      '--rate-limit <n>',
      'fault: allow n apis/3.0 requests per window, then 429 + Retry-After (0 = off)',
      int('--rate-limit'),
      0,
    )
    .option('--rate-window <seconds>', 'fault: rate-limit window', num('--rate-window', 0.001), 60)
    .option('--latency <ms>', 'fault: added latency per apis/3.0 request', int('--latency'), 0)
    .option('--error-rate <share>', 'fault: share (0..1) of requests answered 500', num('--error-rate', 0, 1), 0)
    .option(
      '--timeout-rate <share>',
      'fault: share (0..1) answered 500 "A timeout has occured"',
      num('--timeout-rate', 0, 1),
      0,
    )
    .option(
      '--truncate-rate <share>',
      'fault: share (0..1) whose JSON body is cut in half',
      num('--truncate-rate', 0, 1),
      0,
    )
    .option(
      '--timeout-delay <ms>',
      'fault: how long a simulated timeout waits before answering',
      int('--timeout-delay'),
      0,
    )
    .option('--clock-offset <seconds>', "fault: shift the simulator's clock", num('--clock-offset'), 0)
    .option('--callback-retry-delays <ms,ms>', 'callback retry delays after 404/409/419/429', '2000,4000')
    .option('--callback-timeout <ms>', 'callback delivery timeout', int('--callback-timeout', 1), 5000)
    .option(
      '--callback-disable-after <ms>',
      'disable a callback (inactiveFlag) after failing this long',
      int('--callback-disable-after'),
      3 * 86_400_000,
    )
    .addOption(
      new Option('--callback-url-mode <mode>', 'cw: append id/action to the callback URL; none: post to it unchanged')
        .choices(['cw', 'none'])
        .default('cw'),
    )
    .option('--quiet', 'print nothing')
    .action(async (flags: CliFlags) => {
      const sandbox = await startSandbox(optionsFromFlags(flags));
      const stop = () => {
        sandbox.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
