// Outbound HTTP to vendors: keep-alive pools, timeouts, jittered retries honouring Retry-After, the shared
// rate budget and the SSRF guard on every connection. Failures are values, marked retryable or not.
import { Agent, errors as undiciErrors } from 'undici';
import { recordBudgetWait, recordUpstreamTry } from '../metrics/index.ts';
import { guardedConnector, type OutboundPolicy } from '../security/index.ts';
import { scanJson } from './completeness.ts';
import { createRateBudget, type RateBudget } from './rateBudget.ts';
import { BodyCutOff, DeadlinePassed, receive, type UpstreamResponse } from './response.ts';

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
  /** Longest wait for one try (the client's `timeoutMs` by default). */
  timeoutMs?: number;
  /**
   * When the whole call — rate-budget wait, every try and every pause between tries — must be over, as a
   * `performance.now()` time. Without it the client's `deadlineMs` counts from the call.
   */
  deadlineAt?: number;
}

export type UpstreamFailureCode =
  | 'UPSTREAM_POLICY'
  | 'UPSTREAM_UNREACHABLE'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_TLS'
  | 'UPSTREAM_INCOMPLETE'
  /** The instance's own rate budget had no slot before the deadline: nothing was sent. */
  | 'UPSTREAM_BUDGET';

export interface UpstreamFailure {
  code: UpstreamFailureCode;
  message: string;
  retryable: boolean;
  /** The upstream's host[:port], for messages that must name it. */
  host?: string;
  /** Tries made (rate-budget waits that ran out of time are not tries). */
  tries?: number;
  /** The call's overall deadline ended it (UPSTREAM_TIMEOUT only). */
  deadline?: boolean;
  /** What the try before the deadline met, when there was one (e.g. `HTTP 503`, or a cut-off answer). */
  previous?: string;
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
  /** Overall deadline of a call that names no `deadlineAt`, in milliseconds (absent: none). */
  readonly deadlineMs?: number;
  close(): Promise<void>;
}

export interface UpstreamOptions {
  policy: OutboundPolicy;
  timeoutMs: number;
  /** Overall deadline of a call that names no `deadlineAt` (default: none beyond the tries' own timeouts). */
  deadlineMs?: number;
  ratePerMinute: number;
  /** The vendor's rate-limit window the budget must respect (default 5 s). */
  rateWindowMs?: number;
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

function classify(err: unknown, host = 'the upstream'): UpstreamFailure {
  if (err instanceof BodyCutOff) {
    const of = err.announcedBytes === undefined ? '' : ` of ${err.announcedBytes} announced`;
    return {
      code: 'UPSTREAM_INCOMPLETE',
      message: `answer from ${host} was cut off (${err.receivedBytes} bytes received${of}; the connection closed mid-body)`,
      retryable: true,
    };
  }
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

function hostOf(origin: string): string {
  const scheme = origin.indexOf('://');
  return scheme < 0 ? origin : origin.slice(scheme + 3);
}

function traceEntry(req: UpstreamRequest, outcome: Partial<TraceEntry>, started: number): TraceEntry {
  return {
    method: req.method,
    url: req.url,
    requestHeaders: req.headers,
    ...(req.body !== undefined ? { requestBody: req.body } : {}),
    ...outcome,
    durationMs: performance.now() - started,
  };
}

const JSON_START = new Set([0x7b, 0x5b]); // { [

function firstByte(chunks: readonly Buffer[]): number | undefined {
  for (const chunk of chunks) if (chunk.length > 0) return chunk[0];
  return undefined;
}

/**
 * A success answer is handed on only when it is whole: every byte Content-Length announced arrived, and a JSON body
 * closes its top-level value (a connection dropped mid-body can end a chunked answer cleanly). Vendor data,
 * untrusted. A cut-off answer to an idempotent request is retried like a 5xx.
 */
function verifyBody(response: UpstreamResponse, idempotent: boolean, host: string): UpstreamResult {
  if (response.status < 200 || response.status >= 300 || response.receivedBytes === 0) return { ok: true, response };
  const announced = response.headers['content-length'];
  const expected = announced === undefined ? undefined : Number(announced);
  let complete = expected === undefined || expected === response.receivedBytes;
  if (complete) {
    const type = response.headers['content-type'];
    const json = type === undefined ? JSON_START.has(firstByte(response.chunks) ?? 0) : type.includes('json');
    if (!json) return { ok: true, response };
    response.scan = scanJson(response.chunks);
    complete = response.scan.complete;
  }
  if (complete) return { ok: true, response };
  const of = expected === undefined ? '' : ` of ${expected} announced`;
  return {
    ok: false,
    error: {
      code: 'UPSTREAM_INCOMPLETE',
      message: `answer from ${host} was cut off (${response.receivedBytes} bytes received${of}${expected === undefined || expected === response.receivedBytes ? ', the JSON does not close' : ''})`,
      retryable: idempotent,
      host,
    },
  };
}

export function createUpstreamClient(options: UpstreamOptions): UpstreamClient {
  const agent = new Agent({
    keepAliveTimeout: 10_000,
    connections: 32,
    connect: guardedConnector(options.policy, { timeout: Math.min(options.timeoutMs, 10_000) }),
  });
  const budget = createRateBudget({
    perMinute: options.ratePerMinute,
    ...(options.rateWindowMs !== undefined ? { windowMs: options.rateWindowMs } : {}),
  });
  const maxRetries = options.maxRetries ?? 3;
  const maxRetryAfter = options.maxRetryAfterMs ?? 10_000;

  async function attempt(req: UpstreamRequest, origin: string, path: string, deadlineAt: number, host: string) {
    const timeout = req.timeoutMs ?? options.timeoutMs;
    try {
      const response = await receive(
        agent,
        {
          origin,
          path,
          method: req.method,
          headers: req.headers,
          body: req.body ?? null,
          headersTimeout: timeout,
          bodyTimeout: timeout,
        },
        deadlineAt - performance.now(),
      );
      return { ok: true, response } as const;
    } catch (err) {
      if (err instanceof DeadlinePassed) return { ok: false, deadline: true } as const;
      return { ok: false, error: classify(err, host) } as const;
    }
  }

  return {
    budget,
    ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}),
    async send(req, trace) {
      const idempotent = req.idempotent ?? req.method !== 'POST';
      const callStarted = performance.now();
      const deadlineAt = req.deadlineAt ?? callStarted + (options.deadlineMs ?? Number.POSITIVE_INFINITY);
      let target: { origin: string; path: string };
      try {
        target = splitUrl(req.url);
      } catch (err) {
        return { ok: false, error: classify(err) };
      }
      const host = hostOf(target.origin);
      let last: UpstreamResult | undefined;
      let tries = 0;
      const deadlinePassed = (): UpstreamResult => {
        const previous = last && (last.ok ? `HTTP ${last.response.status}` : last.error.message);
        return {
          ok: false,
          error: {
            code: 'UPSTREAM_TIMEOUT',
            message: `${host} did not answer within ${Math.round(deadlineAt - callStarted)} ms (${tries} ${tries === 1 ? 'try' : 'tries'})${previous ? `; the try before: ${previous}` : ''}`,
            retryable: true,
            host,
            tries,
            deadline: true,
            ...(previous ? { previous } : {}),
          },
        };
      };
      for (let i = 0; i <= maxRetries; i++) {
        const waitFrom = performance.now();
        const granted = !req.budgetKey || (await budget.acquire(req.budgetKey, deadlineAt));
        recordBudgetWait(req.budgetKey, performance.now() - waitFrom);
        if (!granted) {
          if (last) return last;
          return {
            ok: false,
            error: {
              code: 'UPSTREAM_BUDGET',
              message: `the request budget (${budget.slots} per ${Math.round(budget.spanMs)} ms) has no free slot before the deadline`,
              retryable: true,
              host,
              tries: 0,
            },
          };
        }
        if (performance.now() >= deadlineAt) return deadlinePassed();
        const started = performance.now();
        tries++;
        const received = await attempt(req, target.origin, target.path, deadlineAt, host);
        if (!received.ok && received.deadline) {
          trace?.(traceEntry(req, { error: 'the call deadline passed' }, started));
          return deadlinePassed();
        }
        const result: UpstreamResult = received.ok ? verifyBody(received.response, idempotent, host) : received;
        recordUpstreamTry(req.budgetKey, received.ok ? received.response.status : received.error.code, tries > 1);
        trace?.(
          traceEntry(
            req,
            received.ok
              ? {
                  status: received.response.status,
                  responseHeaders: received.response.headers,
                  responseBody: received.response.body,
                  ...(result.ok ? {} : { error: result.error.message }),
                }
              : { error: received.error.message },
            started,
          ),
        );
        if (result.ok) result.response.attempts = tries;
        else {
          result.error.tries = tries;
          result.error.host ??= host;
        }
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
        // Retries happen only inside the deadline: no time for another try means the last answer stands.
        if (performance.now() + delay >= deadlineAt) break;
        await sleep(delay);
      }
      return last!;
    },
    close: () => agent.close(),
  };
}
