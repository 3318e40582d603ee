// Events tables: per-instance event state, poll cursors, known-id sets, event items and the notification outbox.
// Rows are snake_case here and camelCase outside; every mapping happens in this file.
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Dialect } from './database.ts';
import type { Tables } from './tables.ts';

export interface EventInstancesTable {
  instance_id: number;
  paused: number;
  next_poll_at: string;
  poll_lease_until: string | null;
  reconciled_at: string | null;
  callback_token: string;
  callbacks: string; // JSON array of {objectType, callbackId}
  last_poll_error: string | null;
}

export interface EventCursorsTable {
  instance_id: number;
  object_type: string;
  cursor: string;
  baseline_done: number;
  polled_at: string | null;
}

export interface EventKnownIdsTable {
  instance_id: number;
  object_type: string;
  object_id: string;
}

export interface EventNotificationsTable {
  id: import('kysely').Generated<number>;
  event_id: string;
  instance_id: number;
  object_type: string;
  source: string;
  body: string;
  status: string;
  attempts: number;
  next_attempt_at: string;
  lease_until: string | null;
  first_failure_at: string | null;
  last_error: string | null;
  last_status: number | null;
  created_at: string;
  delivered_at: string | null;
}

export interface EventItemsTable {
  id: import('kysely').Generated<number>;
  instance_id: number;
  event_id: string | null;
  object_type: string;
  object_id: string;
  event_type: string;
  dedupe_key: string;
  date: string;
  created_at: string;
}

export interface EventAttemptsTable {
  id: import('kysely').Generated<number>;
  notification_id: number;
  attempt: number;
  at: string;
  status: number | null;
  error: string | null;
  duration_ms: number;
}

export interface EventTables extends Tables {
  event_instances: EventInstancesTable;
  event_cursors: EventCursorsTable;
  event_known_ids: EventKnownIdsTable;
  event_notifications: EventNotificationsTable;
  event_items: EventItemsTable;
  event_attempts: EventAttemptsTable;
}

export type EventsDb = Kysely<EventTables> | Transaction<EventTables>;

export function eventsDb(db: Kysely<Tables>): Kysely<EventTables> {
  return db as unknown as Kysely<EventTables>;
}

/** Delivery states and the transitions the dispatcher and the operator may make. */
export const DELIVERY_STATES = ['pending', 'delivered', 'dead'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];
export const DELIVERY_TRANSITIONS: Record<DeliveryState, readonly DeliveryState[]> = {
  pending: ['delivered', 'pending', 'dead'],
  delivered: ['pending'], // operator redelivery
  dead: ['pending'], // operator redelivery
};

// ---- per-instance state --------------------------------------------------------------------------------

export interface EventInstanceState {
  instanceId: number;
  paused: boolean;
  nextPollAt: string;
  reconciledAt: string | null;
  callbackToken: string;
  callbacks: Array<{ objectType: string; callbackId: number }>;
  lastPollError: string | null;
}

function toState(r: EventInstancesTable): EventInstanceState {
  return {
    instanceId: Number(r.instance_id),
    paused: Number(r.paused) === 1,
    nextPollAt: r.next_poll_at,
    reconciledAt: r.reconciled_at,
    callbackToken: r.callback_token,
    callbacks: JSON.parse(r.callbacks) as EventInstanceState['callbacks'],
    lastPollError: r.last_poll_error,
  };
}

export async function findEventInstance(db: EventsDb, instanceId: number): Promise<EventInstanceState | undefined> {
  const r = await db.selectFrom('event_instances').selectAll().where('instance_id', '=', instanceId).executeTakeFirst();
  return r ? toState(r) : undefined;
}

/** Creates the state row once; later calls leave it as it is. */
export async function ensureEventInstance(
  db: EventsDb,
  instanceId: number,
  init: { nextPollAt: string; callbackToken: string },
): Promise<EventInstanceState> {
  await db
    .insertInto('event_instances')
    .values({
      instance_id: instanceId,
      paused: 0,
      next_poll_at: init.nextPollAt,
      poll_lease_until: null,
      reconciled_at: null,
      callback_token: init.callbackToken,
      callbacks: '[]',
      last_poll_error: null,
    })
    .onConflict((oc) => oc.column('instance_id').doNothing())
    .execute();
  return (await findEventInstance(db, instanceId))!;
}

export async function updateEventInstance(
  db: EventsDb,
  instanceId: number,
  patch: Partial<Pick<EventInstanceState, 'paused' | 'nextPollAt' | 'reconciledAt' | 'callbacks' | 'lastPollError'>> & {
    pollLeaseUntil?: string | null;
  },
): Promise<void> {
  const set: Partial<EventInstancesTable> = {};
  if (patch.paused !== undefined) set.paused = patch.paused ? 1 : 0;
  if (patch.nextPollAt !== undefined) set.next_poll_at = patch.nextPollAt;
  if (patch.reconciledAt !== undefined) set.reconciled_at = patch.reconciledAt;
  if (patch.callbacks !== undefined) set.callbacks = JSON.stringify(patch.callbacks);
  if (patch.lastPollError !== undefined) set.last_poll_error = patch.lastPollError;
  if (patch.pollLeaseUntil !== undefined) set.poll_lease_until = patch.pollLeaseUntil;
  if (Object.keys(set).length === 0) return;
  await db.updateTable('event_instances').set(set).where('instance_id', '=', instanceId).execute();
}

/**
 * Leases instances whose poll is due (events enabled, instance enabled, not paused). The conditional update
 * makes two workers on one PostgreSQL database never poll the same instance at once.
 */
export async function claimDuePolls(
  db: Kysely<EventTables>,
  now: string,
  leaseUntil: string,
  limit: number,
): Promise<number[]> {
  const due = await db
    .selectFrom('event_instances as e')
    .innerJoin('instances as i', 'i.id', 'e.instance_id')
    .select('e.instance_id')
    .where('e.next_poll_at', '<=', now)
    .where('e.paused', '=', 0)
    .where('i.events_enabled', '=', 1)
    .where('i.disabled', '=', 0)
    .where((eb) => eb.or([eb('e.poll_lease_until', 'is', null), eb('e.poll_lease_until', '<', now)]))
    .orderBy('e.next_poll_at')
    .limit(limit)
    .execute();
  const claimed: number[] = [];
  for (const row of due) {
    const res = await db
      .updateTable('event_instances')
      .set({ poll_lease_until: leaseUntil })
      .where('instance_id', '=', row.instance_id)
      .where((eb) => eb.or([eb('poll_lease_until', 'is', null), eb('poll_lease_until', '<', now)]))
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 1) claimed.push(Number(row.instance_id));
  }
  return claimed;
}

/** A single-process SQLite node owns every lease: after a crash it may take them back at once. */
export async function releaseAllLeases(db: Kysely<EventTables>): Promise<void> {
  await db.updateTable('event_instances').set({ poll_lease_until: null }).execute();
  await db.updateTable('event_notifications').set({ lease_until: null }).where('lease_until', 'is not', null).execute();
}

// ---- cursors and known ids -----------------------------------------------------------------------------

export interface PollCursor {
  objectType: string;
  cursor: string;
  baselineDone: boolean;
  polledAt: string | null;
}

export async function readCursors(db: EventsDb, instanceId: number): Promise<Map<string, PollCursor>> {
  const rows = await db.selectFrom('event_cursors').selectAll().where('instance_id', '=', instanceId).execute();
  return new Map(
    rows.map((r) => [
      r.object_type,
      {
        objectType: r.object_type,
        cursor: r.cursor,
        baselineDone: Number(r.baseline_done) === 1,
        polledAt: r.polled_at,
      },
    ]),
  );
}

export async function writeCursor(db: EventsDb, instanceId: number, c: PollCursor): Promise<void> {
  await db
    .insertInto('event_cursors')
    .values({
      instance_id: instanceId,
      object_type: c.objectType,
      cursor: c.cursor,
      baseline_done: c.baselineDone ? 1 : 0,
      polled_at: c.polledAt,
    })
    .onConflict((oc) =>
      oc.columns(['instance_id', 'object_type']).doUpdateSet({
        cursor: c.cursor,
        baseline_done: c.baselineDone ? 1 : 0,
        polled_at: c.polledAt,
      }),
    )
    .execute();
}

export async function readKnownIds(db: EventsDb, instanceId: number, objectType: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('event_known_ids')
    .select('object_id')
    .where('instance_id', '=', instanceId)
    .where('object_type', '=', objectType)
    .execute();
  return new Set(rows.map((r) => r.object_id));
}

export async function addKnownIds(db: EventsDb, instanceId: number, objectType: string, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    await db
      .insertInto('event_known_ids')
      .values(chunk.map((id) => ({ instance_id: instanceId, object_type: objectType, object_id: id })))
      .onConflict((oc) => oc.columns(['instance_id', 'object_type', 'object_id']).doNothing())
      .execute();
  }
}

export async function removeKnownIds(
  db: EventsDb,
  instanceId: number,
  objectType: string,
  ids: string[],
): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    await db
      .deleteFrom('event_known_ids')
      .where('instance_id', '=', instanceId)
      .where('object_type', '=', objectType)
      .where('object_id', 'in', ids.slice(i, i + 500))
      .execute();
  }
}

export async function forgetInstanceEvents(db: EventsDb, instanceId: number): Promise<void> {
  await db.deleteFrom('event_known_ids').where('instance_id', '=', instanceId).execute();
  await db.deleteFrom('event_cursors').where('instance_id', '=', instanceId).execute();
}

// ---- items and notifications ---------------------------------------------------------------------------

export interface NewEventItem {
  objectType: string;
  objectId: string;
  eventType: string;
  dedupeKey: string;
  date: string;
}

/** Inserts items, skipping any whose dedupe key the instance already has; returns those inserted, in order. */
export async function insertEventItems(
  db: EventsDb,
  instanceId: number,
  items: NewEventItem[],
  now: string,
): Promise<Array<NewEventItem & { id: number }>> {
  const out: Array<NewEventItem & { id: number }> = [];
  const byKey = new Map(items.map((i) => [i.dedupeKey, i]));
  const unique = [...byKey.values()];
  for (let i = 0; i < unique.length; i += 200) {
    const chunk = unique.slice(i, i + 200);
    const rows = await db
      .insertInto('event_items')
      .values(
        chunk.map((it) => ({
          instance_id: instanceId,
          event_id: null,
          object_type: it.objectType,
          object_id: it.objectId,
          event_type: it.eventType,
          dedupe_key: it.dedupeKey,
          date: it.date,
          created_at: now,
        })),
      )
      .onConflict((oc) => oc.columns(['instance_id', 'dedupe_key']).doNothing())
      .returning(['id', 'dedupe_key'])
      .execute();
    for (const r of rows) {
      const it = byKey.get(r.dedupe_key);
      if (it) out.push({ ...it, id: Number(r.id) });
    }
  }
  return out.sort((a, b) => a.id - b.id);
}

export async function insertNotification(
  db: EventsDb,
  n: {
    eventId: string;
    instanceId: number;
    objectType: string;
    source: string;
    body: string;
    now: string;
    itemIds: number[];
  },
): Promise<void> {
  await db
    .insertInto('event_notifications')
    .values({
      event_id: n.eventId,
      instance_id: n.instanceId,
      object_type: n.objectType,
      source: n.source,
      body: n.body,
      status: 'pending',
      attempts: 0,
      next_attempt_at: n.now,
      lease_until: null,
      first_failure_at: null,
      last_error: null,
      last_status: null,
      created_at: n.now,
      delivered_at: null,
    })
    .execute();
  if (n.itemIds.length > 0) {
    await db.updateTable('event_items').set({ event_id: n.eventId }).where('id', 'in', n.itemIds).execute();
  }
}

export interface Notification {
  id: number;
  eventId: string;
  instanceId: number;
  objectType: string;
  source: string;
  body: string;
  status: DeliveryState;
  attempts: number;
  nextAttemptAt: string;
  firstFailureAt: string | null;
  lastError: string | null;
  lastStatus: number | null;
  createdAt: string;
  deliveredAt: string | null;
}

function toNotification(r: {
  id: number;
  event_id: string;
  instance_id: number;
  object_type: string;
  source: string;
  body: string;
  status: string;
  attempts: number;
  next_attempt_at: string;
  first_failure_at: string | null;
  last_error: string | null;
  last_status: number | null;
  created_at: string;
  delivered_at: string | null;
}): Notification {
  return {
    id: Number(r.id),
    eventId: r.event_id,
    instanceId: Number(r.instance_id),
    objectType: r.object_type,
    source: r.source,
    body: r.body,
    status: r.status as DeliveryState,
    attempts: Number(r.attempts),
    nextAttemptAt: r.next_attempt_at,
    firstFailureAt: r.first_failure_at,
    lastError: r.last_error,
    lastStatus: r.last_status === null ? null : Number(r.last_status),
    createdAt: r.created_at,
    deliveredAt: r.delivered_at,
  };
}

const notificationColumns = [
  'id',
  'event_id',
  'instance_id',
  'object_type',
  'source',
  'body',
  'status',
  'attempts',
  'next_attempt_at',
  'first_failure_at',
  'last_error',
  'last_status',
  'created_at',
  'delivered_at',
] as const;

type ClaimTrx = Transaction<EventTables>;

/** Pending rows that are due, not leased by a live dispatcher, and of an instance that is not paused. */
function dueRows(trx: ClaimTrx, now: string, skipInstances: number[]) {
  let q = trx
    .selectFrom('event_notifications as n')
    .where('n.status', '=', 'pending')
    .where('n.next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('n.lease_until', 'is', null), eb('n.lease_until', '<', now)]))
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('event_instances as e')
            .select('e.instance_id')
            .whereRef('e.instance_id', '=', 'n.instance_id')
            .where('e.paused', '=', 1),
        ),
      ),
    );
  if (skipInstances.length > 0) q = q.where('n.instance_id', 'not in', skipInstances);
  return q;
}

/** Takes the lease on the chosen rows and reads them whole, in id order. */
async function leaseAndRead(trx: ClaimTrx, ids: number[], leaseUntil: string): Promise<Notification[]> {
  if (ids.length === 0) return [];
  await trx.updateTable('event_notifications').set({ lease_until: leaseUntil }).where('id', 'in', ids).execute();
  const full = await trx.selectFrom('event_notifications').select(notificationColumns).where('id', 'in', ids).execute();
  return full.map(toNotification).sort((a, b) => a.id - b.id);
}

/**
 * Leases due notifications. On PostgreSQL one query locks the candidate rows with FOR UPDATE SKIP LOCKED so
 * that concurrent dispatchers never take the same row (measured cheaper there than per-instance round trips);
 * on SQLite the single writer makes the update atomic and each instance gets a fair share of the claim.
 * `skipInstances` keeps instances that already use their share of in-flight slots out of this batch.
 */
export async function claimDeliveries(
  db: Kysely<EventTables>,
  dialect: Dialect,
  opts: {
    now: string;
    leaseUntil: string;
    limit: number;
    skipInstances: number[];
    /** Most rows one instance may have in flight, and how many it has now: a fair share per claim. */
    perInstance?: number;
    inflight?: ReadonlyMap<number, number>;
  },
): Promise<Notification[]> {
  const perInstance = opts.perInstance ?? opts.limit;
  return db.transaction().execute(async (trx) => {
    if (dialect === 'postgres') {
      const rows = await dueRows(trx, opts.now, opts.skipInstances)
        .select('n.id')
        .orderBy('n.next_attempt_at')
        .limit(opts.limit)
        .forUpdate()
        .skipLocked()
        .execute();
      return leaseAndRead(
        trx,
        rows.map((r) => Number(r.id)),
        opts.leaseUntil,
      );
    }
    // Phase 1: which instances have due rows, oldest first, read from the (status, instance_id, next_attempt_at)
    // index alone. Rows of one instance sit together in the index, so one LIMIT over all rows would hand a single
    // instance the whole claim while the others wait. Leases and pauses are checked per row in phase 2.
    let grouped = trx
      .selectFrom('event_notifications as n')
      .select(['n.instance_id'])
      .select((eb) => eb.fn.min('n.next_attempt_at').as('oldest'))
      .where('n.status', '=', 'pending')
      .where('n.next_attempt_at', '<=', opts.now);
    if (opts.skipInstances.length > 0) grouped = grouped.where('n.instance_id', 'not in', opts.skipInstances);
    const instances = await grouped.groupBy('n.instance_id').orderBy('oldest').limit(opts.limit).execute();
    // Phase 2: each instance's oldest rows, up to its free share, through the same index.
    const ids: number[] = [];
    for (const { instance_id } of instances) {
      const room = Math.min(perInstance - (opts.inflight?.get(Number(instance_id)) ?? 0), opts.limit - ids.length);
      if (room <= 0) continue;
      const rows = await dueRows(trx, opts.now, opts.skipInstances)
        .select('n.id')
        .where('n.instance_id', '=', instance_id)
        .orderBy('n.next_attempt_at')
        .orderBy('n.id')
        .limit(room)
        .execute();
      for (const r of rows) ids.push(Number(r.id));
      if (ids.length >= opts.limit) break;
    }
    return leaseAndRead(trx, ids, opts.leaseUntil);
  });
}

export interface AttemptOutcome {
  notificationId: number;
  attempt: number;
  at: string;
  status: number | null;
  error: string | null;
  durationMs: number;
  /** The state after this attempt. */
  next: { status: DeliveryState; nextAttemptAt: string; firstFailureAt: string | null; deliveredAt: string | null };
}

/** Records a batch of attempts and their outcomes in one transaction (one fsync for many deliveries). */
export async function recordAttempts(db: Kysely<EventTables>, outcomes: AttemptOutcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('event_attempts')
      .values(
        outcomes.map((o) => ({
          notification_id: o.notificationId,
          attempt: o.attempt,
          at: o.at,
          status: o.status,
          error: o.error,
          duration_ms: Math.round(o.durationMs),
        })),
      )
      .execute();
    const delivered = outcomes.filter((o) => o.next.status === 'delivered');
    // A bulk update for the common case: delivered on this attempt.
    for (let i = 0; i < delivered.length; i += 500) {
      const chunk = delivered.slice(i, i + 500);
      await trx
        .updateTable('event_notifications')
        .set({
          status: 'delivered',
          attempts: sql`attempts + 1`,
          lease_until: null,
          last_error: null,
          last_status: sql`${chunk[0]?.status ?? 200}`,
          delivered_at: chunk[0]?.at ?? null,
        })
        .where(
          'id',
          'in',
          chunk.map((o) => o.notificationId),
        )
        .execute();
    }
    for (const o of outcomes) {
      if (o.next.status === 'delivered') continue;
      await trx
        .updateTable('event_notifications')
        .set({
          status: o.next.status,
          attempts: sql`attempts + 1`,
          lease_until: null,
          next_attempt_at: o.next.nextAttemptAt,
          first_failure_at: o.next.firstFailureAt,
          last_error: o.error,
          last_status: o.status,
        })
        .where('id', '=', o.notificationId)
        .execute();
    }
  });
}

export interface NotificationFilter {
  organizationId: number;
  instanceId?: number;
  status?: DeliveryState;
  before?: number;
  limit: number;
}

export async function listNotifications(db: EventsDb, f: NotificationFilter): Promise<Notification[]> {
  let q = db
    .selectFrom('event_notifications as n')
    .innerJoin('instances as i', 'i.id', 'n.instance_id')
    .select(notificationColumns.map((c) => `n.${c}` as const))
    .where('i.organization_id', '=', f.organizationId);
  if (f.instanceId !== undefined) q = q.where('n.instance_id', '=', f.instanceId);
  if (f.status) q = q.where('n.status', '=', f.status);
  if (f.before !== undefined) q = q.where('n.id', '<', f.before);
  const rows = await q.orderBy('n.id', 'desc').limit(f.limit).execute();
  return rows.map(toNotification);
}

export async function findNotification(
  db: EventsDb,
  organizationId: number,
  eventId: string,
): Promise<Notification | undefined> {
  const r = await db
    .selectFrom('event_notifications as n')
    .innerJoin('instances as i', 'i.id', 'n.instance_id')
    .select(notificationColumns.map((c) => `n.${c}` as const))
    .where('i.organization_id', '=', organizationId)
    .where('n.event_id', '=', eventId)
    .executeTakeFirst();
  return r ? toNotification(r) : undefined;
}

export interface Attempt {
  attempt: number;
  at: string;
  status: number | null;
  error: string | null;
  durationMs: number;
}

export async function listAttempts(db: EventsDb, notificationId: number): Promise<Attempt[]> {
  const rows = await db
    .selectFrom('event_attempts')
    .selectAll()
    .where('notification_id', '=', notificationId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    attempt: Number(r.attempt),
    at: r.at,
    status: r.status === null ? null : Number(r.status),
    error: r.error,
    durationMs: Number(r.duration_ms),
  }));
}

/** Operator redelivery: back to pending now, with a fresh retry window; the eventId and body stay the same. */
export async function requeueNotification(db: EventsDb, id: number, now: string): Promise<void> {
  await db
    .updateTable('event_notifications')
    .set({ status: 'pending', next_attempt_at: now, lease_until: null, first_failure_at: null })
    .where('id', '=', id)
    .execute();
}

export async function countNotifications(db: EventsDb, instanceId: number): Promise<Record<DeliveryState, number>> {
  const rows = await db
    .selectFrom('event_notifications')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('instance_id', '=', instanceId)
    .groupBy('status')
    .execute();
  const out: Record<DeliveryState, number> = { pending: 0, delivered: 0, dead: 0 };
  for (const r of rows) out[r.status as DeliveryState] = Number(r.n);
  return out;
}

export async function itemsOfNotification(db: EventsDb, eventId: string) {
  const rows = await db.selectFrom('event_items').selectAll().where('event_id', '=', eventId).orderBy('id').execute();
  return rows.map((r) => ({ objectType: r.object_type, objectId: r.object_id, eventType: r.event_type, date: r.date }));
}
