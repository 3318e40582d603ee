// Elements-Async-Callback-Url: when a job ends, its status object is POSTed to the URL given at submission,
// signed like event notifications when the instance has `event.notification.signature.key`, retried with the
// webhook backoff, and only to addresses the outbound URL policy allows.
import { Agent } from 'undici';
import { retryDelayMs } from '../events/dispatcher.ts';
import {
  elementsSignature,
  SIGNATURE_HEADER,
  TIMESTAMPED_SIGNATURE_HEADER,
  timestampedSignature,
  WEBHOOK_ID_HEADER,
} from '../events/notification.ts';
import { loadInstanceConfig, type PlatformDeps } from '../platform/index.ts';
import { checkOutboundUrl, guardedConnector } from '../security/index.ts';
import type { BulkJob, CallbackState } from './jobs.ts';
import { statusView } from './status.ts';

export interface CallbackOutcome {
  state: CallbackState;
  attempts: number;
  nextAt: string | null;
  error: string | null;
}

export interface CallbackSender {
  deliver(job: BulkJob): Promise<CallbackOutcome>;
  close(): Promise<void>;
}

export function createCallbackSender(deps: PlatformDeps): CallbackSender {
  const c = deps.config;
  const timeoutMs = c.CONDUIT_WEBHOOK_TIMEOUT_MS;
  const agent = new Agent({
    keepAliveTimeout: 10_000,
    connect: guardedConnector(deps.policy, { timeout: Math.min(timeoutMs, 10_000) }),
  });

  async function post(job: BulkJob, url: string): Promise<string | null> {
    const checked = await checkOutboundUrl(deps.policy, url);
    if (!checked.ok) return `callback URL ${checked.reason}`;
    const body = JSON.stringify(statusView(job));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'Conduit-Bulk/1',
      [WEBHOOK_ID_HEADER]: `bulk-${job.id}`,
    };
    const key = (await loadInstanceConfig(deps, job.instanceId))['event.notification.signature.key'];
    if (key) {
      headers[SIGNATURE_HEADER] = elementsSignature(key, body);
      headers[TIMESTAMPED_SIGNATURE_HEADER] = timestampedSignature(key, body, new Date());
    }
    const target = new URL(url);
    try {
      const res = await agent.request({
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method: 'POST',
        headers,
        body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body.dump().catch(() => undefined);
      return res.statusCode >= 200 && res.statusCode < 300 ? null : `receiver answered ${res.statusCode}`;
    } catch (e) {
      const err = e as Error & { code?: string };
      return `${err.code ?? err.name}: ${err.message}`;
    }
  }

  return {
    async deliver(job) {
      const attempts = job.callbackAttempts + 1;
      const error = job.callbackUrl ? await post(job, job.callbackUrl) : 'no callback URL';
      if (error === null) return { state: 'delivered', attempts, nextAt: null, error: null };
      const now = Date.now();
      const next = now + retryDelayMs(attempts, c.CONDUIT_WEBHOOK_RETRY_BASE_MS);
      const firstAt = Date.parse(job.finishedAt ?? new Date(now).toISOString());
      const dead = next - firstAt > c.CONDUIT_WEBHOOK_RETRY_HOURS * 3600_000;
      return { state: dead ? 'dead' : 'pending', attempts, nextAt: dead ? null : new Date(next).toISOString(), error };
    },
    async close() {
      await agent.close();
    },
  };
}
