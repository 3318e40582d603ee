// One vendor call: budgeted, traced when the instance asks for it, and every failure mapped through the
// element's `errors` table to the status Cloud Elements answered (connectwise-manage-api.md §5).
import type { ElementDefinition, ErrorPolicy } from '../elements/index.ts';
import { type AppError, appError, type ErrorCode, fail, ok, type Result } from '../errors/index.ts';
import type { TraceEntry, UpstreamRequest, UpstreamResponse } from '../upstream/index.ts';
import type { InstanceContext } from './context.ts';
import { recordTrace } from './trace.ts';
import type { EngineDeps, EngineInstance } from './types.ts';

const credentialFailures = new WeakSet<AppError>();

/** True when ConnectWise refused the instance's credentials (the caller marks the instance `valid:false`). */
export function isCredentialsRejected(error: AppError): boolean {
  return credentialFailures.has(error);
}

const codeByStatus: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  502: 'UPSTREAM_ERROR',
  504: 'UPSTREAM_TIMEOUT',
};

interface VendorErrorBody {
  code?: unknown;
  error?: unknown;
  message?: unknown;
  errors?: Array<{ code?: unknown; message?: unknown; field?: unknown; resource?: unknown }>;
}

/** Vendor data, untrusted: read only string fields, cap lengths. */
function readVendorError(body: string): { message?: string; fields: Array<{ field: string; message: string }> } {
  let parsed: VendorErrorBody | undefined;
  try {
    parsed = JSON.parse(body) as VendorErrorBody;
  } catch {
    return { message: body.slice(0, 300) || undefined, fields: [] };
  }
  const message = typeof parsed?.message === 'string' ? parsed.message.slice(0, 1000) : undefined;
  const fields = Array.isArray(parsed?.errors)
    ? parsed.errors
        .filter((e) => e && typeof e === 'object')
        .slice(0, 20)
        .map((e) => ({
          field: typeof e.field === 'string' ? e.field : '',
          message: typeof e.message === 'string' ? e.message.slice(0, 500) : '',
        }))
    : [];
  return { message, fields };
}

function policyFor(def: ElementDefinition, status: number): ErrorPolicy {
  const declared = def.errors.find((e) => e.status === status);
  if (declared) return declared;
  if (status >= 500) return { status, action: 'retry', hubStatus: 502, message: 'ConnectWise failed to answer' };
  // Redirects are never followed (outbound policy): a 3xx means the base URL does not point at the API root.
  if (status >= 300 && status < 400) {
    return {
      status,
      action: 'passThrough',
      hubStatus: 502,
      message: `ConnectWise answered with a redirect (${status}), which Conduit does not follow: check baseUrl`,
    };
  }
  return { status, action: 'passThrough', hubStatus: status, message: `ConnectWise answered ${status}` };
}

export function mapVendorError(
  def: ElementDefinition,
  config: Record<string, string | null>,
  res: UpstreamResponse,
): AppError {
  const policy = policyFor(def, res.status);
  const vendor = readVendorError(res.body);
  const named = vendor.fields.filter((f) => f.field || f.message);
  let message = policy.message;
  if (policy.status === 401) message = `${policy.message} (company "${config.company ?? ''}")`;
  if (named.length > 0)
    message += `: ${named.map((f) => (f.field ? `${f.field}: ${f.message}` : f.message)).join('; ')}`;
  else if (vendor.message && policy.action === 'passThrough') message += `: ${vendor.message}`;
  const providerMessage = [vendor.message, ...named.map((f) => f.message)].filter(Boolean).join(' ') || undefined;
  const code: ErrorCode =
    policy.hubStatus === 400 && named.some((f) => f.field)
      ? 'VALIDATION_FAILED'
      : (codeByStatus[policy.hubStatus] ?? 'BAD_REQUEST');
  const headers: Record<string, string> = {};
  const retryAfter = res.headers['retry-after'];
  if (policy.hubStatus === 429 && retryAfter) headers['retry-after'] = retryAfter;
  const error = appError(code, message, {
    status: policy.hubStatus,
    ...(providerMessage ? { providerMessage } : {}),
    ...(named[0]?.field ? { field: named[0].field } : {}),
    retryable: policy.action === 'retry' || policy.action === 'rateLimit',
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
  });
  if (res.status === 401) credentialFailures.add(error);
  return error;
}

export interface VendorCall {
  method: UpstreamRequest['method'];
  /** Path and query below the API root, e.g. `/company/contacts?page=1`. */
  pathAndQuery: string;
  body?: unknown;
}

export function vendorUrl(ctx: InstanceContext, pathAndQuery: string): string {
  return `${ctx.baseUrl}${pathAndQuery}`;
}

/** The instance's own hub deadline (`conduit.hub.deadline.ms`), when it sets a usable one. */
function instanceDeadlineMs(config: Record<string, string | null>): number | undefined {
  const raw = config['conduit.hub.deadline.ms'];
  if (raw === undefined || raw === null || raw === '') return undefined;
  const ms = Number(raw);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/** When this vendor call must be over (`performance.now()` time), and the deadline's length for messages. */
function deadlineOf(deps: EngineDeps, instance: EngineInstance): { at: number; ms: number } | undefined {
  const ms = deps.deadlineMs ?? instanceDeadlineMs(instance.config) ?? deps.upstream.deadlineMs;
  if (ms === undefined) return undefined;
  return { at: (deps.callStartedAt ?? performance.now()) + ms, ms };
}

function tried(tries: number | undefined): string {
  return tries === undefined ? '' : ` (${tries} ${tries === 1 ? 'try' : 'tries'})`;
}

/** Sends one call; a non-2xx answer becomes an AppError through the element's error table. */
export async function sendVendor(
  deps: EngineDeps,
  instance: EngineInstance,
  ctx: InstanceContext,
  call: VendorCall,
): Promise<Result<UpstreamResponse>> {
  const hasBody = call.body !== undefined;
  const trace =
    instance.traceLoggingEnabled && deps.store
      ? (entry: TraceEntry) => recordTrace(deps.store!, instance.id, entry)
      : undefined;
  const deadline = deadlineOf(deps, instance);
  const result = await deps.upstream.send(
    {
      method: call.method,
      url: vendorUrl(ctx, call.pathAndQuery),
      headers: hasBody ? ctx.writeHeaders : ctx.headers,
      ...(hasBody ? { body: JSON.stringify(call.body) } : {}),
      budgetKey: ctx.budgetKey,
      ...(deadline ? { deadlineAt: deadline.at } : {}),
    },
    trace,
  );
  if (!result.ok) {
    const e = result.error;
    if (e.code === 'UPSTREAM_TIMEOUT') {
      const message = e.deadline
        ? `ConnectWise (${e.host}) did not answer within the ${deadline?.ms ?? ''} ms deadline${tried(e.tries)}` +
          (e.previous ? `; the try before: ${e.previous}` : '')
        : `ConnectWise (${e.host}) did not answer in time${tried(e.tries)}: ${e.message}`;
      return fail(appError('UPSTREAM_TIMEOUT', message, { retryable: true }));
    }
    if (e.code === 'UPSTREAM_BUDGET') {
      // Our own throttle, not ConnectWise's: the caller is asking faster than the instance's budget allows.
      return fail(
        appError('RATE_LIMITED', `Too many calls for this instance: ${e.message} (nothing was sent to ConnectWise)`, {
          retryable: true,
          headers: { 'retry-after': String(Math.max(1, Math.ceil(deps.upstream.budget.spanMs / 1000))) },
        }),
      );
    }
    if (e.code === 'UPSTREAM_INCOMPLETE') {
      return fail(appError('UPSTREAM_ERROR', `ConnectWise's ${e.message}${tried(e.tries)}`, { retryable: true }));
    }
    return fail(appError('UPSTREAM_ERROR', `Could not reach ConnectWise: ${e.message}`, { retryable: e.retryable }));
  }
  const res = result.response;
  if (res.status >= 200 && res.status < 300) return ok(res);
  return fail(mapVendorError(ctx.def, instance.config, res));
}

/** Parses a vendor JSON body; vendor data, untrusted — a malformed body is a 502, never a crash. */
export function parseVendorJson(body: string): Result<unknown> {
  if (body === '') return ok(undefined);
  try {
    return ok(JSON.parse(body));
  } catch {
    return fail(appError('UPSTREAM_ERROR', 'ConnectWise returned a malformed JSON body', { retryable: true }));
  }
}
