// Trace logging (instance.traceLoggingEnabled): every vendor request and response, secrets redacted, bodies capped.
import { insertTraceLog } from '../store/hub.ts';
import type { Store } from '../store/index.ts';
import type { TraceEntry } from '../upstream/index.ts';

const SECRET_HEADERS = new Set(['authorization', 'clientid', 'cookie', 'set-cookie', 'x-cw-usertype']);
const MAX_BODY = 64 * 1024;

export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = SECRET_HEADERS.has(k.toLowerCase()) ? '[REDACTED]' : v;
  return out;
}

const cap = (s: string | undefined) => (s === undefined ? null : s.length > MAX_BODY ? `${s.slice(0, MAX_BODY)}…` : s);

/** Fire and forget: a failing trace write must never fail the hub call. */
export function recordTrace(store: Store, instanceId: number, entry: TraceEntry): void {
  insertTraceLog(store.db, {
    instanceId,
    createdAt: new Date().toISOString(),
    method: entry.method,
    url: entry.url,
    requestHeaders: redactHeaders(entry.requestHeaders),
    requestBody: cap(entry.requestBody),
    status: entry.status ?? null,
    responseHeaders: entry.responseHeaders ? redactHeaders(entry.responseHeaders) : null,
    responseBody: cap(entry.responseBody),
    error: entry.error ?? null,
    durationMs: entry.durationMs,
  }).catch(() => {
    /* the instance may have been deleted meanwhile; tracing is best effort */
  });
}
