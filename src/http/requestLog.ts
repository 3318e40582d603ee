// Per-request identity and logger, made cheap for the common case: most requests log nothing at the configured
// level, so the child logger (whose bindings pino runs through every redaction path) is created only on first use.
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

const ID_BYTES = 12;
const POOL_IDS = 512;
let pool = Buffer.alloc(0);
let offset = 0;

/** What a caller's X-Request-Id may be to be used as ours: at most 128 of [A-Za-z0-9._:-] (safe in logs and headers). */
const CALLER_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request's id: the caller's X-Request-Id when it is valid (so a proxy's id follows the request into our logs
 * and comes back as Elements-Request-Id), else 24 hex characters of fresh randomness.
 */
export function newRequestId(req?: { headers?: Record<string, string | string[] | undefined> }): string {
  const given = req?.headers?.['x-request-id'];
  if (typeof given === 'string' && CALLER_ID.test(given)) return given;
  return freshRequestId();
}

/** 24 hex characters of randomness; entropy is drawn in blocks instead of one system call per request. */
function freshRequestId(): string {
  if (offset + ID_BYTES > pool.length) {
    pool = randomBytes(ID_BYTES * POOL_IDS);
    offset = 0;
  }
  const id = pool.toString('hex', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type LogFn = (...args: unknown[]) => void;

/** A request logger that becomes `parent.child(bindings)` the first time it logs at an enabled level. */
class LazyChildLogger {
  #child: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
    /** A probe's request (health, readiness, metrics): its info lines (Fastify's access log) go out at debug. */
    private readonly probe = false,
  ) {}

  get level(): string {
    return (this.#child ?? this.parent).level;
  }

  set level(value: string) {
    this.real().level = value;
  }

  private real(): FastifyBaseLogger {
    this.#child ??= this.parent.child(this.bindings, this.options);
    return this.#child;
  }

  private log(asked: Level, args: unknown[]): void {
    const level = this.probe && asked === 'info' ? 'debug' : asked;
    const enabled = (this.parent as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled;
    if (!this.#child && enabled && !enabled.call(this.parent, level)) return;
    (this.real()[level] as LogFn)(...args);
  }

  fatal(...args: unknown[]) {
    this.log('fatal', args);
  }
  error(...args: unknown[]) {
    this.log('error', args);
  }
  warn(...args: unknown[]) {
    this.log('warn', args);
  }
  info(...args: unknown[]) {
    this.log('info', args);
  }
  debug(...args: unknown[]) {
    this.log('debug', args);
  }
  trace(...args: unknown[]) {
    this.log('trace', args);
  }
  silent() {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real().child(bindings, options);
  }
}

/** Paths polled by load balancers and Prometheus: logged at debug so they do not drown the access log. */
const PROBE_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

export function isProbePath(url: string | undefined): boolean {
  if (!url) return false;
  const q = url.indexOf('?');
  return PROBE_PATHS.has(q < 0 ? url : url.slice(0, q));
}

export function lazyChildLogger(
  parent: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
  rawRequest?: { url?: string },
): FastifyBaseLogger {
  return new LazyChildLogger(parent, bindings, options, isProbePath(rawRequest?.url)) as unknown as FastifyBaseLogger;
}

/** Query parameters whose values are secrets; their values never reach a log line (matched case-insensitively). */
export const SECRET_QUERY_KEYS: ReadonlySet<string> = new Set([
  'token',
  'key',
  'secret',
  'password',
  'signature',
  'sig',
  'apikey',
  'api_key',
  'access_token',
  'refresh_token',
  'id_token',
  'client_secret',
  'code',
]);

/** The URL with the values of secret query parameters replaced by [REDACTED]. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const pairs = url.slice(q + 1).split('&');
  let changed = false;
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i]!;
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    let key: string;
    try {
      key = decodeURIComponent(rawKey.replaceAll('+', ' '));
    } catch {
      key = rawKey;
    }
    if (SECRET_QUERY_KEYS.has(key.trim().toLowerCase())) {
      pairs[i] = `${rawKey}=[REDACTED]`;
      changed = true;
    }
  }
  return changed ? `${url.slice(0, q)}?${pairs.join('&')}` : url;
}

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** pino serializer of `req` in the access log: Fastify's fields, with secret query values redacted from the URL. */
export function serializeRequest(req: LoggedRequest) {
  return {
    method: req.method,
    url: req.url === undefined ? undefined : redactUrl(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}
