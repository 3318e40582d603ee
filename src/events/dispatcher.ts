// Drains the notification outbox: leases due rows, POSTs each to the instance's callback URL with the
// Cloud Elements headers, records every attempt, and schedules retries with jittered exponential backoff
// until the retry window has passed, then dead-letters. A slow or dead receiver holds at most
// `perInstance` of the `concurrency` slots, so other instances keep flowing.
import { Agent } from 'undici';
import type { ElementDefinition } from '../elements/index.ts';
import { recordDelivery } from '../metrics/index.ts';
import { loadInstanceConfig, type PlatformDeps } from '../platform/index.ts';
import { checkOutboundUrl, guardedConnector } from '../security/index.ts';
import { type AttemptOutcome, claimDeliveries, eventsDb, type Notification, recordAttempts } from '../store/events.ts';
import { findInstance } from '../store/index.ts';
import {
  elementsSignature,
  SIGNATURE_HEADER,
  TIMESTAMPED_SIGNATURE_HEADER,
  timestampedSignature,
  WEBHOOK_ID_HEADER,
} from './notification.ts';
import { type EventSettings, eventSettings } from './pollerConfig.ts';

export interface DispatcherOptions {
  timeoutMs: number;
  retryBaseMs: number;
  retryWindowMs: number;
  concurrency?: number;
  perInstance?: number;
  idleWaitMs?: number;
  log?: (msg: string, extra?: Record<string, unknown>) => void;
}

export interface Dispatcher {
  wake(): void;
  /** Forget cached settings of an instance (its configuration changed). */
  invalidate(instanceId: number): void;
  /**
   * Claims no more rows, gives the POSTs in flight up to `waitMs` (at most 2 s), records their outcomes, and
   * releases the leases of those still unanswered so the next server sends them again (same eventId) at once.
   */
  stop(opts?: { waitMs?: number }): Promise<void>;
}

const MAX_DELAY_MS = 6 * 3600_000;

/** Delay before retry number `attempt` (1-based): base·4^(attempt-1), jittered ±50 %, capped at 6 h. */
export function retryDelayMs(attempt: number, baseMs: number, random = Math.random): number {
  const raw = Math.min(MAX_DELAY_MS, baseMs * 4 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.5 + random()));
}

interface Target {
  settings: EventSettings | undefined;
  def: ElementDefinition | undefined;
  urlOk: boolean;
  urlProblem?: string;
  loadedAt: number;
}

export function startDispatcher(deps: PlatformDeps, options: DispatcherOptions): Dispatcher {
  const db = eventsDb(deps.store.db);
  const concurrency = options.concurrency ?? 128;
  const perInstance = options.perInstance ?? 16;
  const idleWaitMs = options.idleWaitMs ?? 250;
  const agent = new Agent({
    keepAliveTimeout: 10_000,
    connections: concurrency,
    connect: guardedConnector(deps.policy, { timeout: Math.min(options.timeoutMs, 10_000) }),
  });
  const targets = new Map<number, Target>();
  const inflight = new Map<number, number>();
  /** Notifications being POSTed now (their rows are leased by us). */
  const sending = new Set<number>();
  let total = 0;
  let outcomes: AttemptOutcome[] = [];
  let running = true;
  let wakeUp: (() => void) | undefined;
  let flushing: Promise<void> = Promise.resolve();

  function wake() {
    const w = wakeUp;
    wakeUp = undefined;
    w?.();
  }

  async function targetOf(instanceId: number): Promise<Target> {
    const cached = targets.get(instanceId);
    if (cached && Date.now() - cached.loadedAt < 5_000) return cached;
    const record = await findInstance(deps.store.db, instanceId);
    const def = record ? deps.catalog.find(record.elementKey) : undefined;
    let settings: EventSettings | undefined;
    if (record && def) {
      const s = eventSettings(def, await loadInstanceConfig(deps, instanceId), deps.config.CONDUIT_POLL_MIN_INTERVAL_S);
      settings = s.ok ? s.value : undefined;
    }
    let urlOk = false;
    let urlProblem: string | undefined = 'events are not enabled or no callback URL is configured';
    if (settings?.enabled && settings.callbackUrl) {
      const checked = await checkOutboundUrl(deps.policy, settings.callbackUrl);
      urlOk = checked.ok;
      urlProblem = checked.ok ? undefined : `callback URL ${checked.reason}`;
    }
    const t: Target = { settings, def, urlOk, urlProblem, loadedAt: Date.now() };
    targets.set(instanceId, t);
    return t;
  }

  async function post(
    n: Notification,
    t: Target,
    attemptAt: Date,
  ): Promise<{ status: number | null; error: string | null }> {
    if (!t.urlOk || !t.settings?.callbackUrl) return { status: null, error: t.urlProblem ?? 'no callback URL' };
    const url = new URL(t.settings.callbackUrl);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'Conduit-Webhooks/1',
      [WEBHOOK_ID_HEADER]: n.eventId,
    };
    const key = t.settings.signatureKey;
    if (key) {
      headers[SIGNATURE_HEADER] = elementsSignature(key, n.body);
      headers[TIMESTAMPED_SIGNATURE_HEADER] = timestampedSignature(key, n.body, attemptAt);
    }
    if (t.settings.basicAuth) {
      const { username, password } = t.settings.basicAuth;
      headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    }
    try {
      const res = await agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers,
        body: n.body,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      let text = '';
      try {
        text = (await res.body.text()).slice(0, 300);
      } catch {
        /* the receiver closed the body: the status decides */
      }
      if (res.statusCode >= 200 && res.statusCode < 300) return { status: res.statusCode, error: null };
      return { status: res.statusCode, error: `receiver answered ${res.statusCode}${text ? `: ${text}` : ''}` };
    } catch (e) {
      const err = e as Error & { code?: string; cause?: { code?: string } };
      const code = err.code ?? err.cause?.code;
      const timedOut =
        err.name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
      return {
        status: null,
        error: timedOut ? `timed out after ${options.timeoutMs} ms` : `${code ?? err.name}: ${err.message}`,
      };
    }
  }

  async function deliver(n: Notification): Promise<void> {
    const started = performance.now();
    const at = new Date();
    let result: { status: number | null; error: string | null };
    try {
      result = await post(n, await targetOf(n.instanceId), at);
    } catch (e) {
      result = { status: null, error: `internal: ${(e as Error).message}` };
    }
    const attempt = n.attempts + 1;
    const done = new Date();
    let next: AttemptOutcome['next'];
    if (result.error === null) {
      next = {
        status: 'delivered',
        nextAttemptAt: n.nextAttemptAt,
        firstFailureAt: null,
        deliveredAt: done.toISOString(),
      };
    } else {
      const firstFailureAt = n.firstFailureAt ?? at.toISOString();
      const delay = retryDelayMs(attempt, options.retryBaseMs);
      const nextAt = done.getTime() + delay;
      const dead = nextAt - Date.parse(firstFailureAt) > options.retryWindowMs;
      next = {
        status: dead ? 'dead' : 'pending',
        nextAttemptAt: new Date(dead ? done.getTime() : nextAt).toISOString(),
        firstFailureAt,
        deliveredAt: null,
      };
      if (dead)
        options.log?.('notification dead-lettered', {
          eventId: n.eventId,
          instanceId: n.instanceId,
          error: result.error,
        });
    }
    outcomes.push({
      notificationId: n.id,
      attempt,
      at: at.toISOString(),
      status: result.status,
      error: result.error,
      durationMs: performance.now() - started,
      next,
    });
    recordDelivery(next.status === 'pending' ? 'retry' : next.status);
  }

  async function flush(): Promise<void> {
    if (outcomes.length === 0) return;
    const batch = outcomes;
    outcomes = [];
    try {
      await recordAttempts(db, batch);
    } catch (e) {
      // Not recorded: the leases expire and the rows are sent again with the same eventId (at-least-once).
      options.log?.('recording delivery attempts failed', { error: (e as Error).message });
    }
  }

  let lastFlushAt = Date.now();
  function scheduleFlush() {
    lastFlushAt = Date.now();
    flushing = flushing.then(flush);
  }

  // One transaction records many outcomes: flush when a batch is full, when nothing is in flight, or when the
  // oldest unrecorded outcome is 100 ms old. Unrecorded outcomes only cost a resend with the same eventId.
  function flushDue(): boolean {
    return outcomes.length >= 64 || (outcomes.length > 0 && (total === 0 || Date.now() - lastFlushAt >= 100));
  }

  async function loop(): Promise<void> {
    while (running) {
      const free = concurrency - total;
      let claimed: Notification[] = [];
      // Claim in batches: one claim transaction per freed slot would cost more than the POSTs themselves.
      if (free > 0 && (total === 0 || free >= Math.max(1, concurrency / 2))) {
        const now = new Date();
        const skip = [...inflight.entries()].filter(([, c]) => c >= perInstance).map(([id]) => id);
        try {
          claimed = await claimDeliveries(db, deps.store.dialect, {
            now: now.toISOString(),
            // Covers one POST and the batched write of its outcome; a killed node's rows come back soon after.
            leaseUntil: new Date(now.getTime() + options.timeoutMs + 5_000).toISOString(),
            limit: free,
            skipInstances: skip,
            perInstance,
            inflight,
          });
        } catch (e) {
          if (!running) break;
          options.log?.('claiming deliveries failed', { error: (e as Error).message });
        }
      }
      const excess: number[] = [];
      for (const n of claimed) {
        const c = inflight.get(n.instanceId) ?? 0;
        if (c >= perInstance) {
          excess.push(n.id);
          continue;
        }
        inflight.set(n.instanceId, c + 1);
        total++;
        sending.add(n.id);
        void deliver(n).finally(() => {
          sending.delete(n.id);
          total--;
          const left = (inflight.get(n.instanceId) ?? 1) - 1;
          if (left <= 0) inflight.delete(n.instanceId);
          else inflight.set(n.instanceId, left);
          if (outcomes.length >= 64 || total === 0) scheduleFlush();
          wake();
        });
      }
      if (excess.length > 0) {
        await db.updateTable('event_notifications').set({ lease_until: null }).where('id', 'in', excess).execute();
      }
      if (flushDue()) scheduleFlush();
      await flushing;
      if (claimed.length - excess.length > 0 && concurrency - total >= concurrency / 2) {
        await new Promise((r) => setImmediate(r));
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          wakeUp = undefined;
          resolve();
        }, idleWaitMs);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  const done = (async () => {
    // The loop must outlive any single failure (a database hiccup): log, pause briefly, go on.
    while (running) {
      try {
        await loop();
      } catch (e) {
        options.log?.('dispatcher loop failed', { error: (e as Error).message });
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  })();
  return {
    wake,
    invalidate(instanceId) {
      targets.delete(instanceId);
    },
    async stop(opts = {}) {
      running = false;
      wake();
      await done;
      const deadline = Date.now() + Math.max(0, Math.min(2_000, opts.waitMs ?? 2_000));
      while (total > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      scheduleFlush();
      await flushing;
      if (sending.size > 0) {
        await db
          .updateTable('event_notifications')
          .set({ lease_until: null })
          .where('id', 'in', [...sending])
          .where('status', '=', 'pending')
          .execute()
          .catch(() => undefined);
      }
      await agent.close().catch(() => undefined);
    },
  };
}
