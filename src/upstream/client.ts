// Outbound HTTP to vendors: keep-alive pools, timeouts, jittered retries honouring Retry-After, the shared
// rate budget and the SSRF guard on every connection. Failures are values, marked retryable or not.
import { Agent, errors as undiciErrors } from 'undici';
import { guardedConnector, type OutboundPolicy } from '../security/index.ts';
import { createRateBudget, type RateBudget } from './rateBudget.ts';
import { receive, type UpstreamResponse } from './response.ts';

export type { UpstreamResponse };

export interface UpstreamRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Instance key for the rate budget; omit for calls outside any instance (provisioning checks). */
  budgetKey?: string;
  /** Safe to resend after a failure (GET/PUT/DELETE, or a POST carrying an idempotency guarantee). */
  idempotent?: boolean;
  timeoutMs?: number;
}

export type UpstreamFailureCode = 'UPSTREAM_POLICY' | 'UPSTREAM_UNREACHABLE' | 'UPSTREAM_TIMEOUT' | 'UPSTREAM_TLS';

export interface UpstreamFailure {
  code: UpstreamFailureCode;
  message: string;
  retryable: boolean;
}

export type UpstreamResult = { ok: true; response: UpstreamResponse } | { ok: false; error: UpstreamFailure };

export interface TraceEntry {
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody?: string;
  status?: number;
  responseHeaders?: Record<string, string>;
  responseBody?: string;
  error?: string;
  durationMs: number;
}

export interface UpstreamClient {
  send(req: UpstreamRequest, trace?: (entry: TraceEntry) => void): Promise<UpstreamResult>;
  readonly budget: RateBudget;
  close(): Promise<void>;
}

export interface UpstreamOptions {
  policy: OutboundPolicy;
  timeoutMs: number;
  ratePerMinute: number;
  maxRetries?: number;
  /** Longest Retry-After we are willing to wait inside one call before answering 429 ourselves. */
  maxRetryAfterMs?: number;
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);

export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function classify(err: unknown): UpstreamFailure {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = e?.code ?? e?.cause?.code ?? '';
  if (code === 'EUPSTREAMPOLICY' || e?.cause?.code === 'EUPSTREAMPOLICY') {
    return {
      code: 'UPSTREAM_POLICY',
      message: 'the upstream address is refused by the outbound URL policy',
      retryable: false,
    };
  }
  if (
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  ) {
    return { code: 'UPSTREAM_TIMEOUT', message: 'the upstream did not answer in time', retryable: true };
  }
  if (/CERT|SSL|TLS/i.test(code)) return { code: 'UPSTREAM_TLS', message: `TLS failure: ${code}`, retryable: false };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return {
      code: 'UPSTREAM_UNREACHABLE',
      message: 'the upstream host name does not resolve',
      retryable: code === 'EAI_AGAIN',
    };
  }
  return {
    code: 'UPSTREAM_UNREACHABLE',
    message: `could not reach the upstream (${code || 'connection failed'})`,
    retryable: true,
  };
}

const origins = new Map<string, string>();

/**
 * Origin and path of an absolute URL. Hub URLs are an instance's base URL plus a path the engine built, so the
 * origin part repeats: it is parsed (and normalised) once, not on every call.
 */
export function splitUrl(url: string): { origin: string; path: string } {
  const scheme = url.indexOf('://');
  const slash = scheme < 0 ? -1 : url.indexOf('/', scheme + 3);
  const cut = slash < 0 ? url.length : slash;
  const head = url.slice(0, cut);
  let origin = origins.get(head);
  if (origin === undefined) {
    const parsed = new URL(head);
    if (parsed.username || parsed.password || parsed.search || parsed.hash) {
      const whole = new URL(url); // unusual forms: let the URL parser decide
      return { origin: whole.origin, path: `${whole.pathname}${whole.search}` };
    }
    origin = parsed.origin;
    if (origins.size >= 1_000) origins.clear();
    origins.set(head, origin);
  }
  const rest = cut < url.length ? url.slice(cut) : '/';
  // As the URL parser sends it: `'` is percent-encoded in a query (encodeURIComponent leaves it as is).
  const q = rest.indexOf('?');
  const path = q < 0 || !rest.includes("'", q) ? rest : `${rest.slice(0, q)}${rest.slice(q).replaceAll("'", '%27')}`;
  return { origin, path };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createUpstreamClient(options: UpstreamOptions): UpstreamClient {
  const agent = new Agent({
    keepAliveTimeout: 10_000,
    connections: 32,
    connect: guardedConnector(options.policy, { timeout: Math.min(options.timeoutMs, 10_000) }),
  });
  const budget = createRateBudget(options.ratePerMinute);
  const maxRetries = options.maxRetries ?? 3;
  const maxRetryAfter = options.maxRetryAfterMs ?? 10_000;

  async function attempt(req: UpstreamRequest): Promise<UpstreamResult> {
    const timeout = req.timeoutMs ?? options.timeoutMs;
    try {
      const { origin, path } = splitUrl(req.url);
      const response = await receive(agent, {
        origin,
        path,
        method: req.method,
        headers: req.headers,
        body: req.body ?? null,
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
      return { ok: true, response };
    } catch (err) {
      return { ok: false, error: classify(err) };
    }
  }

  return {
    budget,
    async send(req, trace) {
      const idempotent = req.idempotent ?? req.method !== 'POST';
      let last: UpstreamResult | undefined;
      for (let i = 0; i <= maxRetries; i++) {
        if (req.budgetKey) await budget.acquire(req.budgetKey);
        const started = performance.now();
        const result = await attempt(req);
        trace?.({
          method: req.method,
          url: req.url,
          requestHeaders: req.headers,
          requestBody: req.body,
          ...(result.ok
            ? {
                status: result.response.status,
                responseHeaders: result.response.headers,
                responseBody: result.response.body,
              }
            : { error: result.error.message }),
          durationMs: performance.now() - started,
        });
        if (result.ok) result.response.attempts = i + 1;
        last = result;
        const status = result.ok ? result.response.status : 0;
        const retryable = result.ok ? RETRY_STATUS.has(status) : result.error.retryable;
        // A POST is resent only when nothing reached the vendor (429) — never after a 5xx or a dropped socket.
        if (!retryable || (!idempotent && status !== 429) || i === maxRetries) break;
        let delay = Math.min(8_000, 200 * 2 ** i) * (0.5 + Math.random());
        if (result.ok && status === 429) {
          const after = parseRetryAfter(result.response.headers['retry-after']);
          if (after !== undefined) {
            if (after > maxRetryAfter) break;
            delay = after + Math.random() * 100;
          }
          if (req.budgetKey) budget.penalize(req.budgetKey, delay);
        }
        await sleep(delay);
      }
      return last!;
    },
    close: () => agent.close(),
  };
}
