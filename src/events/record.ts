// Stores changes as events and their notifications (the outbox) in the caller's transaction, so a change is
// either fully recorded and queued for delivery, or not at all. Duplicates (overlap re-reads, a callback and
// a poll seeing the same change) are dropped by the (instance, dedupe key) unique index.
import { createHash } from 'node:crypto';
import { type EventsDb, insertEventItems, insertNotification, type NewEventItem } from '../store/events.ts';
import type { InstanceRecord } from '../store/index.ts';
import {
  type ChangeEvent,
  MAX_EVENTS_PER_NOTIFICATION,
  type NotificationContext,
  newEventId,
  notificationBody,
} from './notification.ts';

/** One change, one key: the record's updated date for created/updated, a constant for deletions. */
export function dedupeKey(e: ChangeEvent, updatedIso: string | undefined): string {
  if (e.eventType === 'DELETED') return `${e.objectType}:${e.objectId}:deleted`;
  if (updatedIso) return `${e.objectType}:${e.objectId}:u:${updatedIso}`;
  const digest = createHash('sha256')
    .update(JSON.stringify(e.record ?? null))
    .digest('base64url')
    .slice(0, 22);
  return `${e.objectType}:${e.objectId}:h:${digest}`;
}

export interface Change extends ChangeEvent {
  dedupeKey: string;
}

/**
 * Notifications of an instance with events enabled but no callback URL are recorded and held: pending (NEW in the
 * event log) with no attempt due, so nothing is sent; a redelivery after a URL is set sends them.
 */
export const HELD_UNTIL = '9999-12-31T00:00:00.000Z';
export const HELD_REASON = 'Not delivered: event.notification.callback.url is not set';

async function hasCallbackUrl(trx: EventsDb, instanceId: number): Promise<boolean> {
  const row = await trx
    .selectFrom('instance_configuration')
    .select('value')
    .where('instance_id', '=', instanceId)
    .where('key', '=', 'event.notification.callback.url')
    .executeTakeFirst();
  const url = (row?.value ?? '').trim();
  return url !== '' && url !== 'false';
}

export interface StoredNotification {
  eventId: string;
  objectType: string;
  count: number;
}

/** Inserts the new changes and one notification per ≤10 of them (per object type); returns what was queued. */
export async function storeChanges(
  trx: EventsDb,
  instance: InstanceRecord,
  hubKey: string,
  source: 'polling' | 'callback' | 'reconciliation',
  changes: Change[],
  opts: { now: string; vendorPayload?: unknown } = { now: new Date().toISOString() },
): Promise<StoredNotification[]> {
  if (changes.length === 0) return [];
  const items: NewEventItem[] = changes.map((c) => ({
    objectType: c.objectType,
    objectId: c.objectId,
    eventType: c.eventType,
    dedupeKey: c.dedupeKey,
    date: c.date,
  }));
  const inserted = await insertEventItems(trx, instance.id, items, opts.now);
  if (inserted.length === 0) return [];
  const byKey = new Map(changes.map((c) => [c.dedupeKey, c]));
  const ctx: NotificationContext = {
    instanceId: instance.id,
    elementKey: instance.elementKey,
    hubKey,
    userId: instance.userId,
    accountId: instance.organizationId,
    pollDate: opts.now,
    vendorPayload: opts.vendorPayload,
  };
  const groups = new Map<string, Array<{ id: number; change: Change }>>();
  for (const it of inserted) {
    const change = byKey.get(it.dedupeKey)!;
    const list = groups.get(change.objectType) ?? [];
    list.push({ id: it.id, change });
    groups.set(change.objectType, list);
  }
  const out: StoredNotification[] = [];
  for (const [objectType, list] of groups) {
    for (let i = 0; i < list.length; i += MAX_EVENTS_PER_NOTIFICATION) {
      const batch = list.slice(i, i + MAX_EVENTS_PER_NOTIFICATION);
      const eventId = newEventId();
      const body = notificationBody(
        eventId,
        ctx,
        objectType,
        batch.map((b) => b.change),
      );
      await insertNotification(trx, {
        eventId,
        instanceId: instance.id,
        objectType,
        source,
        body,
        now: opts.now,
        itemIds: batch.map((b) => b.id),
      });
      out.push({ eventId, objectType, count: batch.length });
    }
  }
  if (out.length > 0 && !(await hasCallbackUrl(trx, instance.id))) {
    await trx
      .updateTable('event_notifications')
      .set({ next_attempt_at: HELD_UNTIL, last_error: HELD_REASON })
      .where(
        'event_id',
        'in',
        out.map((o) => o.eventId),
      )
      .execute();
  }
  return out;
}
