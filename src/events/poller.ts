// The poller: for each due instance and configured object, reads records changed since the durable cursor
// (minus an overlap window for clock skew and late commits), classifies CREATED / UPDATED, and — in one
// transaction — stores the new events with their notifications, the known ids and the advanced cursor.
// A periodic forward-only id scan finds deletions. Nothing is stored until the whole read succeeded, so a
// crash or an upstream failure mid-poll only means the same window is read again.

import type { ElementDefinition } from '../elements/index.ts';
import { type EngineDeps, listRecords } from '../engine/index.ts';
import type { AppError } from '../errors/index.ts';
import { loadInstanceConfig, type PlatformDeps } from '../platform/index.ts';
import {
  addKnownIds,
  claimDuePolls,
  ensureEventInstance,
  eventsDb,
  findEventInstance,
  type PollCursor,
  readCursors,
  readKnownIds,
  removeKnownIds,
  updateEventInstance,
  writeCursor,
} from '../store/events.ts';
import { findInstance, type InstanceRecord } from '../store/index.ts';
import { mapEventRecords } from '../transformations/events.ts';
import { hasDateTemplate, isoSeconds, parseVendorDate, substituteDates } from './dates.ts';
import type { EventType } from './notification.ts';
import { eventSettings, type PollerEntry } from './pollerConfig.ts';
import { type Change, dedupeKey, storeChanges } from './record.ts';
import { randomToken } from './token.ts';

export interface PollerOptions {
  /** How often the poller looks for due instances. */
  tickMs?: number;
  /** Seconds re-read before the cursor on every poll (clock skew between Conduit and ConnectWise, late commits). */
  overlapS?: number;
  reconcileEveryS: number;
  /** Instances polled at the same time. */
  concurrency?: number;
  onStored?: () => void;
  log?: (msg: string, extra?: Record<string, unknown>) => void;
}

export interface Poller {
  /**
   * Claims no more polls, waits up to `waitMs` (default: as long as they take) for the running ones, then
   * releases the leases still held, so the next server may poll those instances at once.
   */
  stop(opts?: { waitMs?: number }): Promise<void>;
}

/** Reads a dotted path (`_info.lastUpdated`) from a record. Vendor data, untrusted: any shape may come back. */
export function readPath(record: Record<string, unknown>, path: string): unknown {
  let cur: unknown = record;
  for (const part of path.split('.')) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/**
 * CREATED when the created date equals the updated date (within the tolerance), else UPDATED — Cloud Elements'
 * documented rule. When the configuration names one field for both (the seed's old default), the created date
 * is taken from `_info.dateEntered`, which every ConnectWise record carries; without it, a record whose id
 * Conduit has never seen is CREATED.
 */
export function classifyChange(
  entry: Pick<PollerEntry, 'createdDateField' | 'updatedDateField' | 'createdCheckTolerance'>,
  record: Record<string, unknown>,
  known: boolean,
): EventType {
  const updated = parseVendorDate(readPath(record, entry.updatedDateField));
  let created =
    entry.createdDateField === entry.updatedDateField
      ? undefined
      : parseVendorDate(readPath(record, entry.createdDateField));
  if (created === undefined)
    created = parseVendorDate(readPath(record, '_info.dateEntered')) ?? parseVendorDate(record.dateEntered);
  if (created === undefined || updated === undefined) return known ? 'UPDATED' : 'CREATED';
  const diffS = Math.abs(Math.floor(updated / 1000) - Math.floor(created / 1000));
  return diffS <= entry.createdCheckTolerance ? 'CREATED' : 'UPDATED';
}

class PollFailure extends Error {
  constructor(public readonly error: AppError) {
    super(error.message);
  }
}

function whereOf(url: string): string | undefined {
  const q = url.indexOf('?');
  if (q === -1) return undefined;
  // Poller URLs carry raw CEQL (quotes, spaces) as Cloud Elements writes them; decode only what is encoded.
  for (const part of url.slice(q + 1).split('&')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq) === 'where') {
      const value = part.slice(eq + 1);
      try {
        return decodeURIComponent(value.replace(/\+/g, ' '));
      } catch {
        return value;
      }
    }
  }
  return undefined;
}

const MAX_PAGES = 500;

const pollEngines = new WeakMap<PlatformDeps, EngineDeps>();

/**
 * The engine as pollers use it: each page they read has its own overall deadline (CONDUIT_POLL_DEADLINE_MS,
 * retries included) instead of the hub's; a page that misses it fails the poll, whose window is read again.
 */
function pollEngine(deps: PlatformDeps): EngineDeps {
  let engine = pollEngines.get(deps);
  if (!engine) {
    engine = { ...deps, deadlineMs: deps.config.CONDUIT_POLL_DEADLINE_MS };
    pollEngines.set(deps, engine);
  }
  return engine;
}
const LEASE_MS = 15_000;

async function readChanges(
  deps: PlatformDeps,
  instance: { id: number; elementKey: string; config: Record<string, string | null> },
  entry: PollerEntry,
  sinceMs: number,
  known: Set<string>,
): Promise<{ changes: Change[]; seenIds: string[]; maxUpdated: number }> {
  const changes: Change[] = [];
  const seenIds: string[] = [];
  let maxUpdated = 0;
  const keyset = hasDateTemplate(entry.url);
  const orderField = entry.resource.updatedField ?? 'lastUpdated';
  let keyMs = sinceMs;
  let page = 1;
  for (let n = 0; n < MAX_PAGES; n++) {
    const where = whereOf(substituteDates(entry.url, new Date(keyMs)));
    const res = await listRecords(pollEngine(deps), instance, entry.resource.name, {
      ...(where ? { where } : {}),
      page,
      pageSize: entry.pageSize,
      orderBy: `${orderField} asc,${entry.resource.idField || 'id'} asc`,
    });
    if (!res.ok) throw new PollFailure(res.error);
    let lastOnPage: number | undefined;
    for (const record of res.value.records) {
      const rawId = readPath(record, entry.idField);
      if (rawId === undefined || rawId === null) continue;
      const objectId = String(rawId);
      const updated = parseVendorDate(readPath(record, entry.updatedDateField));
      if (updated !== undefined) {
        lastOnPage = updated;
        if (entry.filterByUpdatedDate && updated <= sinceMs) continue;
        maxUpdated = Math.max(maxUpdated, updated);
      }
      seenIds.push(objectId);
      const eventType = classifyChange(entry, record, known.has(objectId));
      const updatedIso = updated === undefined ? undefined : isoSeconds(updated);
      const change = {
        objectType: entry.objectType,
        objectId,
        eventType,
        date: updatedIso ?? new Date().toISOString(),
        record,
      };
      changes.push({ ...change, dedupeKey: dedupeKey(change, updatedIso) });
    }
    if (!res.value.hasMore || res.value.records.length === 0) break;
    // Keyset paging on the updated date: records changed while we page move to later keys instead of
    // shifting pages under us. Same-second runs longer than a page fall back to page numbers.
    if (keyset && lastOnPage !== undefined && lastOnPage - 1000 > keyMs) {
      keyMs = lastOnPage - 1000;
      page = 1;
    } else page++;
  }
  return { changes, seenIds, maxUpdated };
}

/** Every id of an object, by a forward-only scan (id > last, ascending). */
async function scanIds(
  deps: PlatformDeps,
  instance: { id: number; elementKey: string; config: Record<string, string | null> },
  entry: PollerEntry,
): Promise<string[]> {
  const idField = entry.resource.idField || 'id';
  const ids: string[] = [];
  let last = 0;
  for (let n = 0; n < 100_000; n++) {
    const res = await listRecords(pollEngine(deps), instance, entry.resource.name, {
      where: `${idField} > ${last}`,
      page: 1,
      pageSize: 1000,
      orderBy: `${idField} asc`,
      fields: idField,
    });
    if (!res.ok) throw new PollFailure(res.error);
    let progressed = false;
    for (const r of res.value.records) {
      const id = Number(r[idField]);
      if (!Number.isFinite(id)) continue;
      ids.push(String(id));
      if (id > last) {
        last = id;
        progressed = true;
      }
    }
    if (!res.value.hasMore || !progressed) break;
  }
  return ids;
}

export async function pollInstance(
  deps: PlatformDeps,
  record: InstanceRecord,
  def: ElementDefinition,
  options: Pick<PollerOptions, 'overlapS' | 'reconcileEveryS'>,
): Promise<{ stored: number; nextPollInS: number }> {
  const db = eventsDb(deps.store.db);
  const config = await loadInstanceConfig(deps, record.id);
  const parsed = eventSettings(def, config, deps.config.CONDUIT_POLL_MIN_INTERVAL_S);
  if (!parsed.ok) throw new PollFailure(parsed.error);
  const settings = parsed.value;
  if (!settings.enabled || settings.vendorType === 'webhook' || record.disabled)
    return { stored: 0, nextPollInS: settings.pollIntervalS };
  const instance = { id: record.id, elementKey: record.elementKey, config };
  const state = await findEventInstance(db, record.id);
  const cursors = await readCursors(db, record.id);
  const startedAt = Date.now();
  const overlapMs = (options.overlapS ?? 60) * 1000;
  let stored = 0;
  for (const entry of settings.entries) {
    const cursor: PollCursor = cursors.get(entry.objectType) ?? {
      objectType: entry.objectType,
      cursor: new Date(startedAt).toISOString(),
      baselineDone: false,
      polledAt: null,
    };
    if (!cursor.baselineDone) {
      // First poll of this object: learn the ids that exist (deletions are measured against them).
      const ids = await scanIds(deps, instance, entry);
      await db.transaction().execute(async (trx) => {
        await addKnownIds(trx, record.id, entry.objectType, ids);
        await writeCursor(trx, record.id, { ...cursor, baselineDone: true });
      });
      cursor.baselineDone = true;
    }
    const known = await readKnownIds(db, record.id, entry.objectType);
    const cursorMs = Date.parse(cursor.cursor);
    const sinceMs = cursorMs - overlapMs - entry.pollDelay * 1000;
    const read = await readChanges(deps, instance, entry, sinceMs, known);
    const { seenIds, maxUpdated } = read;
    const changes = await mapEventRecords(deps, record.id, entry.objectType, read.changes);
    const queued = await db.transaction().execute(async (trx) => {
      const out = await storeChanges(trx, record, def.hub, 'polling', changes, { now: new Date().toISOString() });
      await addKnownIds(
        trx,
        record.id,
        entry.objectType,
        seenIds.filter((id) => !known.has(id)),
      );
      await writeCursor(trx, record.id, {
        objectType: entry.objectType,
        cursor: new Date(Math.max(cursorMs, maxUpdated)).toISOString(),
        baselineDone: true,
        polledAt: new Date().toISOString(),
      });
      return out;
    });
    stored += queued.length;
  }
  const reconcileDue =
    !state?.reconciledAt || startedAt - Date.parse(state.reconciledAt) >= options.reconcileEveryS * 1000;
  if (reconcileDue) {
    for (const entry of settings.entries) stored += await reconcileObject(deps, record, def, instance, entry);
    await updateEventInstance(db, record.id, { reconciledAt: new Date(startedAt).toISOString() });
  }
  return { stored, nextPollInS: settings.pollIntervalS };
}

/** Emits DELETED for known ids the vendor no longer has. */
async function reconcileObject(
  deps: PlatformDeps,
  record: InstanceRecord,
  def: ElementDefinition,
  instance: { id: number; elementKey: string; config: Record<string, string | null> },
  entry: PollerEntry,
): Promise<number> {
  const db = eventsDb(deps.store.db);
  // Only ids known before the scan started can be judged: one learnt meanwhile (a callback) may be newer.
  const knownBefore = await readKnownIds(db, record.id, entry.objectType);
  const ids = await scanIds(deps, instance, entry);
  const present = new Set(ids);
  const now = new Date().toISOString();
  return db.transaction().execute(async (trx) => {
    const known = await readKnownIds(trx, record.id, entry.objectType);
    const gone = [...knownBefore].filter((id) => !present.has(id) && known.has(id));
    const fresh = ids.filter((id) => !known.has(id));
    const changes: Change[] = gone.map((objectId) => {
      const change = { objectType: entry.objectType, objectId, eventType: 'DELETED' as const, date: now };
      return { ...change, dedupeKey: dedupeKey(change, undefined) };
    });
    const out = await storeChanges(trx, record, def.hub, 'reconciliation', changes, { now });
    await removeKnownIds(trx, record.id, entry.objectType, gone);
    await addKnownIds(trx, record.id, entry.objectType, fresh);
    return out.length;
  });
}

export function startPoller(deps: PlatformDeps, options: PollerOptions): Poller {
  const db = eventsDb(deps.store.db);
  const tickMs = options.tickMs ?? 250;
  const concurrency = options.concurrency ?? 32;
  let running = true;
  let releasing = false;
  let active = 0;
  let timer: NodeJS.Timeout | undefined;
  /** The tick under way, if any: stop() waits for it, so a lease it claims is released too. */
  let ticking: Promise<void> | undefined;
  const inflight = new Set<Promise<void>>();
  /** Instances whose poll lease this poller holds. */
  const held = new Set<number>();

  async function runOne(instanceId: number): Promise<void> {
    const started = Date.now();
    let nextInS = 60;
    let error: string | null = null;
    // Short lease, renewed while the poll runs: a killed node's instances are free again within LEASE_MS.
    const heartbeat = setInterval(() => {
      if (releasing) return;
      void updateEventInstance(db, instanceId, { pollLeaseUntil: new Date(Date.now() + LEASE_MS).toISOString() }).catch(
        () => undefined,
      );
    }, LEASE_MS / 3);
    try {
      const record = await findInstance(deps.store.db, instanceId);
      const def = record ? deps.catalog.find(record.elementKey) : undefined;
      if (record && def) {
        await ensureEventInstance(db, instanceId, {
          nextPollAt: new Date().toISOString(),
          callbackToken: randomToken(),
        });
        const r = await pollInstance(deps, record, def, options);
        nextInS = r.nextPollInS;
        if (r.stored > 0) options.onStored?.();
      }
    } catch (e) {
      error = e instanceof PollFailure ? `${e.error.code}: ${e.error.message}` : (e as Error).message;
      if (running) options.log?.('poll failed', { instanceId, error });
    } finally {
      clearInterval(heartbeat);
    }
    // Once stop() has released the lease, another server may be polling this instance: leave its row alone.
    if (releasing) return;
    try {
      await updateEventInstance(db, instanceId, {
        nextPollAt: new Date(started + nextInS * 1000).toISOString(),
        pollLeaseUntil: null,
        lastPollError: error,
      });
    } catch (e) {
      if (running) options.log?.('poll bookkeeping failed', { instanceId, error: (e as Error).message });
    } finally {
      held.delete(instanceId);
    }
  }

  async function releaseLeases(ids: number[]): Promise<void> {
    await Promise.allSettled(ids.map((id) => updateEventInstance(db, id, { pollLeaseUntil: null })));
    for (const id of ids) held.delete(id);
  }

  async function tick(): Promise<void> {
    if (!running) return;
    const free = concurrency - active;
    if (free > 0) {
      const now = new Date();
      let ids: number[] = [];
      try {
        ids = await claimDuePolls(db, now.toISOString(), new Date(now.getTime() + LEASE_MS).toISOString(), free);
      } catch (e) {
        if (running) options.log?.('claiming polls failed', { error: (e as Error).message });
      }
      for (const id of ids) held.add(id);
      if (!running) {
        // stop() came while claiming: hand these back rather than start polls nobody waits for.
        await releaseLeases(ids);
        return;
      }
      for (const id of ids) {
        active++;
        const p = runOne(id).finally(() => {
          active--;
          inflight.delete(p);
        });
        inflight.add(p);
      }
    }
    if (running) timer = setTimeout(startTick, tickMs);
  }

  function startTick() {
    ticking = tick().finally(() => {
      ticking = undefined;
    });
  }

  timer = setTimeout(startTick, 0);
  return {
    async stop(opts = {}) {
      running = false;
      if (timer) clearTimeout(timer);
      await ticking;
      const finished = Promise.allSettled([...inflight]);
      if (opts.waitMs === undefined) await finished;
      else {
        let wait: NodeJS.Timeout | undefined;
        await Promise.race([finished, new Promise((r) => (wait = setTimeout(r, Math.max(0, opts.waitMs ?? 0))))]);
        clearTimeout(wait);
      }
      // A poll still running commits its whole read or nothing before this process exits; if the next server
      // polls the same window meanwhile, the (instance, dedupe key) index drops the repeated changes.
      releasing = true;
      await releaseLeases([...held]);
    },
  };
}
