// Events: configuration checks, pollers, ConnectWise callbacks, the event log and the notification outbox.
import { appError, fail, ok, type Result } from '../errors/index.ts';
import {
  type ConfigMap,
  EVENTS_HELD_NOTICE,
  loadInstanceConfig,
  onInstanceChange,
  type PlatformDeps,
  registerConfigValidator,
} from '../platform/index.ts';
import {
  countNotifications,
  type DeliveryState,
  ensureEventInstance,
  eventsDb,
  findEventInstance,
  findNotification,
  itemsOfNotification,
  listAttempts,
  listNotifications,
  type Notification,
  readCursors,
  releaseAllLeases,
  requeueNotification,
  updateEventInstance,
  writeCursor,
} from '../store/events.ts';
import { type InstanceRecord, listAllInstances } from '../store/index.ts';
import { removeCallbacks, syncCallbacks } from './callbacks.ts';
import { type Dispatcher, startDispatcher } from './dispatcher.ts';
import { type Poller, startPoller } from './poller.ts';
import { eventSettings, validateEventConfiguration } from './pollerConfig.ts';
import { HELD_UNTIL } from './record.ts';
import { randomToken } from './token.ts';

export { connectwiseSignature, INBOUND_PATH, receiveCallback } from './callbacks.ts';
export { formatJavaDate, substituteDates } from './dates.ts';
export { retryDelayMs } from './dispatcher.ts';
export {
  elementsSignature,
  MAX_EVENTS_PER_NOTIFICATION,
  SIGNATURE_HEADER,
  TIMESTAMPED_SIGNATURE_HEADER,
  timestampedSignature,
  WEBHOOK_ID_HEADER,
} from './notification.ts';
export { classifyChange } from './poller.ts';
export { eventSettings, parsePollerConfiguration, validateEventConfiguration } from './pollerConfig.ts';

/** Process-wide hooks the running workers fill in (the platform listeners run inside request handlers). */
const running: {
  dispatcher?: Dispatcher;
  publicBase?: string;
  log?: (msg: string, extra?: Record<string, unknown>) => void;
} = {};

/** Wakes the dispatcher after new notifications were committed. */
export function outboxChanged(): void {
  running.dispatcher?.wake();
}

let installed = false;

/** Registers the configuration validator and the instance listeners with the platform (once per process). */
export function installEvents(): void {
  if (installed) return;
  installed = true;
  registerConfigValidator(validateEventConfiguration);
  onInstanceChange(async (change, record, deps) => {
    try {
      await onInstanceChanged(change, record, deps);
    } catch (e) {
      // The instance is saved already; the poller (hybrid) and the next save repair callbacks.
      running.log?.('events: instance change handling failed', {
        instanceId: record.id,
        change,
        error: (e as Error).message,
      });
    }
  });
}

async function onInstanceChanged(
  change: 'saved' | 'deleted' | 'disabled' | 'enabled',
  record: InstanceRecord,
  deps: PlatformDeps,
) {
  const db = eventsDb(deps.store.db);
  running.dispatcher?.invalidate(record.id);
  const def = deps.catalog.find(record.elementKey);
  if (!def) return;
  if (change === 'deleted' || change === 'disabled') {
    const state = await findEventInstance(db, record.id);
    if (state) {
      const problems = await removeCallbacks(deps, record, state);
      if (problems.length > 0) running.log?.('events: callback removal', { instanceId: record.id, problems });
    }
    return;
  }
  const config = await loadInstanceConfig(deps, record.id);
  const parsed = eventSettings(def, config, deps.config.CONDUIT_POLL_MIN_INTERVAL_S);
  if (!parsed.ok) return;
  const settings = parsed.value;
  const now = new Date().toISOString();
  await ensureEventInstance(db, record.id, { nextPollAt: now, callbackToken: randomToken() });
  if (settings.enabled) {
    // Changes from now on are reported; a configuration change polls promptly.
    const cursors = await readCursors(db, record.id);
    for (const entry of settings.entries) {
      if (!cursors.has(entry.objectType)) {
        await writeCursor(db, record.id, {
          objectType: entry.objectType,
          cursor: now,
          baselineDone: false,
          polledAt: null,
        });
      }
    }
    await updateEventInstance(db, record.id, { nextPollAt: now });
  }
  const publicBase = deps.config.CONDUIT_PUBLIC_URL ?? running.publicBase;
  const problems = await syncCallbacks(deps, record, def, settings, publicBase);
  if (problems.length > 0) {
    await updateEventInstance(db, record.id, { lastPollError: problems.join('; ') });
    running.log?.('events: callback registration', { instanceId: record.id, problems });
  }
}

export interface EventWorkers {
  /** Stops polling and sending; leases still held are released. `deadline` (epoch ms) bounds the wait. */
  stop(opts?: { deadline?: number }): Promise<void>;
}

/** Starts the poller and the dispatcher for this process. `publicBase` is where ConnectWise reaches us. */
export async function startEventWorkers(
  deps: PlatformDeps,
  opts: { publicBase?: string; log?: (msg: string, extra?: Record<string, unknown>) => void } = {},
): Promise<EventWorkers> {
  installEvents();
  const db = eventsDb(deps.store.db);
  running.publicBase = opts.publicBase;
  running.log = opts.log;
  // SQLite is one process: leases left by a killed predecessor are ours to take back at once.
  if (deps.store.dialect === 'sqlite') await releaseAllLeases(db);
  // Instances saved before this capability ran still need their event state.
  for (const r of await listAllInstances(deps.store.db)) {
    if (r.eventsEnabled)
      await ensureEventInstance(db, r.id, { nextPollAt: new Date().toISOString(), callbackToken: randomToken() });
  }
  const c = deps.config;
  const dispatcher = startDispatcher(deps, {
    timeoutMs: c.CONDUIT_WEBHOOK_TIMEOUT_MS,
    retryBaseMs: c.CONDUIT_WEBHOOK_RETRY_BASE_MS,
    retryWindowMs: c.CONDUIT_WEBHOOK_RETRY_HOURS * 3600_000,
    log: opts.log,
  });
  running.dispatcher = dispatcher;
  const poller: Poller = startPoller(deps, {
    reconcileEveryS: c.CONDUIT_EVENTS_RECONCILE_S,
    tickMs: Math.min(1000, Math.max(50, c.CONDUIT_POLL_MIN_INTERVAL_S * 250)),
    onStored: () => dispatcher.wake(),
    log: opts.log,
  });
  return {
    async stop(opts = {}) {
      // Leave a second for releasing leases and closing the store before the process is cut off.
      const waitMs = opts.deadline === undefined ? undefined : Math.max(0, opts.deadline - Date.now() - 1_000);
      await Promise.all([poller.stop({ waitMs }), dispatcher.stop({ waitMs })]);
      if (running.dispatcher === dispatcher) running.dispatcher = undefined;
    },
  };
}

// ---- the event log and deliveries, for the HTTP routes ------------------------------------------------------

/** Cloud Elements' event statuses: delivered → NOTIFIED; Conduit adds FAILED for dead letters. */
const LOG_STATUS: Record<DeliveryState, string> = { pending: 'NEW', delivered: 'NOTIFIED', dead: 'FAILED' };

export function eventLogEntry(n: Notification, withBody = true) {
  const message = (JSON.parse(n.body) as { message: Record<string, unknown> }).message;
  const held = n.status === 'pending' && n.nextAttemptAt === HELD_UNTIL;
  return {
    id: n.eventId,
    eventId: n.eventId,
    instanceId: n.instanceId,
    objectType: n.objectType,
    source: n.source,
    eventDate: n.createdAt,
    status: LOG_STATUS[n.status],
    deliveryStatus: n.status,
    attempts: n.attempts,
    nextAttemptAt: n.status === 'pending' && !held ? n.nextAttemptAt : null,
    lastError: n.lastError,
    lastStatus: n.lastStatus,
    notifiedDate: n.deliveredAt,
    events: message.events,
    // Cloud Elements' single event: providerData is the raw poll result or vendor payload, as a string.
    ...(withBody ? { providerData: JSON.stringify(message.raw ?? null), notifiedData: [message] } : {}),
  };
}

export async function eventLog(
  deps: PlatformDeps,
  q: { organizationId: number; instanceId?: number; status?: DeliveryState; before?: number; pageSize: number },
) {
  const rows = await listNotifications(eventsDb(deps.store.db), {
    organizationId: q.organizationId,
    instanceId: q.instanceId,
    status: q.status,
    before: q.before,
    limit: q.pageSize + 1,
  });
  const page = rows.slice(0, q.pageSize);
  const next = rows.length > q.pageSize ? page[page.length - 1]?.id : undefined;
  return { entries: page.map((n) => eventLogEntry(n, false)), next };
}

export async function findEvent(
  deps: PlatformDeps,
  organizationId: number,
  eventId: string,
  instanceId?: number,
): Promise<Result<Notification>> {
  const n = await findNotification(eventsDb(deps.store.db), organizationId, eventId);
  if (!n || (instanceId !== undefined && n.instanceId !== instanceId))
    return fail(appError('NOT_FOUND', `Event ${eventId} not found`));
  return ok(n);
}

export async function deliveryView(deps: PlatformDeps, n: Notification) {
  const db = eventsDb(deps.store.db);
  return {
    ...eventLogEntry(n, false),
    items: await itemsOfNotification(db, n.eventId),
    deliveries: await listAttempts(db, n.id),
  };
}

export async function redeliver(deps: PlatformDeps, n: Notification) {
  await requeueNotification(eventsDb(deps.store.db), n.id, new Date().toISOString());
  outboxChanged();
  return { eventId: n.eventId, status: 'pending' as const };
}

export async function eventStatus(deps: PlatformDeps, record: InstanceRecord) {
  const db = eventsDb(deps.store.db);
  const state = await findEventInstance(db, record.id);
  const def = deps.catalog.find(record.elementKey)!;
  const config: ConfigMap = await loadInstanceConfig(deps, record.id);
  const settings = eventSettings(def, config, deps.config.CONDUIT_POLL_MIN_INTERVAL_S);
  const cursors = [...(await readCursors(db, record.id)).values()];
  return {
    instanceId: record.id,
    eventsEnabled: record.eventsEnabled,
    vendorType: settings.ok ? settings.value.vendorType : null,
    paused: state?.paused ?? false,
    nextPollAt: state?.nextPollAt ?? null,
    lastError: state?.lastPollError ?? null,
    callbacks: (state?.callbacks ?? []).map((c) => ({ type: c.objectType, callbackId: c.callbackId })),
    cursors: cursors.map((c) => ({ objectType: c.objectType, cursor: c.cursor, polledAt: c.polledAt })),
    deliveries: await countNotifications(db, record.id),
    notice: record.eventsEnabled && settings.ok && !settings.value.callbackUrl ? EVENTS_HELD_NOTICE : null,
  };
}

export async function setEventsPaused(deps: PlatformDeps, record: InstanceRecord, paused: boolean) {
  const db = eventsDb(deps.store.db);
  await ensureEventInstance(db, record.id, { nextPollAt: new Date().toISOString(), callbackToken: randomToken() });
  await updateEventInstance(db, record.id, { paused, ...(paused ? {} : { nextPollAt: new Date().toISOString() }) });
  if (!paused) outboxChanged();
  return eventStatus(deps, record);
}
