// The Cloud Elements notification body and its signature headers (cloud-elements-api.md §3.4).
import { createHmac, randomUUID } from 'node:crypto';

export type EventType = 'CREATED' | 'UPDATED' | 'DELETED';

export interface ChangeEvent {
  objectType: string;
  objectId: string;
  eventType: EventType;
  /** When the change happened at the vendor (ISO). */
  date: string;
  /** The record as read (polling) or as the callback carried it; absent for deletions found by reconciliation. */
  record?: Record<string, unknown>;
}

export interface NotificationContext {
  instanceId: number;
  elementKey: string;
  hubKey: string;
  userId: number;
  accountId: number;
  pollDate: string;
  /** Vendor payload kept in raw (the callback body), if any. */
  vendorPayload?: unknown;
}

/** Cloud Elements batches at most 10 events per notification for polling. */
export const MAX_EVENTS_PER_NOTIFICATION = 10;

export function newEventId(): string {
  return randomUUID();
}

/** The body a receiver gets; stored once so every redelivery sends the same bytes with the same eventId. */
export function notificationBody(
  eventId: string,
  ctx: NotificationContext,
  objectType: string,
  events: ChangeEvent[],
): string {
  const items = events.map((e) => ({
    objectType: e.objectType,
    objectId: e.objectId,
    eventType: e.eventType,
    date: e.date,
    pollDate: ctx.pollDate,
    elementKey: ctx.elementKey,
    hubKey: ctx.hubKey,
  }));
  const raw: Record<string, unknown> = {
    instance_id: ctx.instanceId,
    objectType,
    eventId,
    events: items,
    [objectType]: events.filter((e) => e.record).map((e) => e.record),
  };
  if (ctx.vendorPayload !== undefined) raw.callback = ctx.vendorPayload;
  return JSON.stringify({
    message: {
      eventId,
      instanceId: ctx.instanceId,
      instance_id: ctx.instanceId, // Cloud Elements' key; instanceId is kept for existing receivers
      elementKey: ctx.elementKey,
      userId: ctx.userId,
      accountId: ctx.accountId,
      events: items,
      raw,
    },
  });
}

/** Elements-Webhook-Signature value: sha256=<base64 HMAC-SHA256(key, raw body bytes)>, as Cloud Elements signs. */
export function elementsSignature(key: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(body, 'utf8').digest('base64')}`;
}

/**
 * Conduit-Webhook-Signature: t=<unix seconds>,v1=<base64 HMAC-SHA256(key, "<t>.<body>")>. The timestamp is
 * signed with the body, so a receiver can refuse a captured notification replayed later.
 */
export function timestampedSignature(key: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${createHmac('sha256', key).update(`${t}.${body}`, 'utf8').digest('base64')}`;
}

export const SIGNATURE_HEADER = 'Elements-Webhook-Signature';
export const TIMESTAMPED_SIGNATURE_HEADER = 'Conduit-Webhook-Signature';
export const WEBHOOK_ID_HEADER = 'Elements-Webhook-Id';
