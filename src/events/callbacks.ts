// ConnectWise callbacks (connectwise-manage-api.md §5): registration on `system/callbacks` for webhook and
// hybrid instances, removal on delete/disable, and inbound callbacks verified through `x-content-signature`
// with the signing key fetched from `Metadata.key_url`.
import { createHash, createHmac } from 'node:crypto';
import type { ElementDefinition } from '../elements/index.ts';
import { type AppError, appError, fail, ok, type Result } from '../errors/index.ts';
import { loadInstanceConfig, type PlatformDeps, vendorHeaders } from '../platform/index.ts';
import { checkOutboundUrl, constantTimeEqual } from '../security/index.ts';
import {
  addKnownIds,
  type EventInstanceState,
  ensureEventInstance,
  eventsDb,
  removeKnownIds,
  updateEventInstance,
} from '../store/events.ts';
import { findInstance, type InstanceRecord } from '../store/index.ts';
import { mapEventRecords } from '../transformations/events.ts';
import { isoSeconds, parseVendorDate } from './dates.ts';
import type { EventType } from './notification.ts';
import { readPath } from './poller.ts';
import { type EventSettings, eventSettings } from './pollerConfig.ts';
import { type Change, dedupeKey, storeChanges } from './record.ts';
import { randomToken } from './token.ts';

export const INBOUND_PATH = '/events/:elementKey/:instanceId';

export function inboundUrl(publicBase: string, def: ElementDefinition, instanceId: number, token: string): string {
  return `${publicBase.replace(/\/+$/, '')}/elements/api-v2/events/${def.key}/${instanceId}?token=${encodeURIComponent(token)}`;
}

function apiBase(config: Record<string, string | null>): string {
  return (config.baseUrl ?? '').replace(/\/+$/, '');
}

/** One subscription per ConnectWise callback type the configured objects map to. */
function wantedTypes(settings: EventSettings): string[] {
  return [...new Set(settings.entries.map((e) => e.resource.callbackType).filter((t): t is string => !!t))];
}

export async function removeCallbacks(
  deps: PlatformDeps,
  record: InstanceRecord,
  state: EventInstanceState,
): Promise<string[]> {
  if (state.callbacks.length === 0) return [];
  const def = deps.catalog.find(record.elementKey)!;
  const config = await loadInstanceConfig(deps, record.id);
  const problems: string[] = [];
  const left: EventInstanceState['callbacks'] = [];
  for (const cb of state.callbacks) {
    const res = await deps.upstream.send({
      method: 'DELETE',
      url: `${apiBase(config)}/system/callbacks/${cb.callbackId}`,
      headers: { ...vendorHeaders(def, config), accept: 'application/json' },
      budgetKey: `instance:${record.id}`,
    });
    const status = res.ok ? res.response.status : 0;
    // 404: already gone (removed in ConnectWise by someone else) — nothing left to clean up.
    if (status === 204 || status === 200 || status === 404) continue;
    left.push(cb);
    problems.push(`removing callback ${cb.callbackId} failed: ${res.ok ? `HTTP ${status}` : res.error.message}`);
  }
  await updateEventInstance(eventsDb(deps.store.db), record.id, { callbacks: left });
  return problems;
}

/** Makes the registered callbacks match the configuration (types and URL); returns problems, if any. */
export async function syncCallbacks(
  deps: PlatformDeps,
  record: InstanceRecord,
  def: ElementDefinition,
  settings: EventSettings,
  publicBase: string | undefined,
): Promise<string[]> {
  const db = eventsDb(deps.store.db);
  const state = await ensureEventInstance(db, record.id, {
    nextPollAt: new Date().toISOString(),
    callbackToken: randomToken(),
  });
  const want =
    settings.enabled && !record.disabled && settings.vendorType !== 'polling' && publicBase
      ? wantedTypes(settings)
      : [];
  const url = publicBase ? inboundUrl(publicBase, def, record.id, state.callbackToken) : '';
  const have = state.callbacks as Array<{ objectType: string; callbackId: number; url?: string }>;
  const same = want.length === have.length && want.every((t) => have.some((h) => h.objectType === t && h.url === url));
  if (same) return [];
  const problems = await removeCallbacks(deps, record, state);
  if (want.length === 0) return problems;
  const config = await loadInstanceConfig(deps, record.id);
  const registered: Array<{ objectType: string; callbackId: number; url: string }> = [];
  for (const type of want) {
    const res = await deps.upstream.send({
      method: 'POST',
      url: `${apiBase(config)}/system/callbacks`,
      headers: { ...vendorHeaders(def, config), accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({
        description: `Conduit instance ${record.id} ${type}`,
        url,
        objectId: 1,
        type,
        level: 'owner',
        inactiveFlag: false,
      }),
      budgetKey: `instance:${record.id}`,
    });
    if (res.ok && res.response.status >= 200 && res.response.status < 300) {
      try {
        const id = Number((JSON.parse(res.response.body) as { id?: unknown }).id);
        if (Number.isFinite(id)) {
          registered.push({ objectType: type, callbackId: id, url });
          continue;
        }
      } catch {
        /* fall through to the problem below */
      }
    }
    problems.push(
      `registering the ${type} callback failed: ${res.ok ? `HTTP ${res.response.status} ${res.response.body.slice(0, 200)}` : res.error.message}`,
    );
  }
  await updateEventInstance(db, record.id, { callbacks: registered });
  return problems;
}

// ---- inbound -----------------------------------------------------------------------------------------------

const keyCache = new Map<string, { key: string; at: number }>();
const KEY_TTL_MS = 10 * 60_000;

/** x-content-signature as ConnectWise computes it: base64(HMAC-SHA256(key = SHA-256(signing key), body)). */
export function connectwiseSignature(signingKey: string, body: string): string {
  const key = createHash('sha256').update(signingKey, 'utf8').digest();
  return createHmac('sha256', key).update(body, 'utf8').digest('base64');
}

async function fetchSigningKey(
  deps: PlatformDeps,
  record: InstanceRecord,
  def: ElementDefinition,
  config: Record<string, string | null>,
  keyUrl: string,
  fresh: boolean,
): Promise<Result<string>> {
  const cached = keyCache.get(keyUrl);
  if (!fresh && cached && Date.now() - cached.at < KEY_TTL_MS) return ok(cached.key);
  const res = await deps.upstream.send({
    method: 'GET',
    url: keyUrl,
    headers: { ...vendorHeaders(def, config), accept: 'application/json' },
    budgetKey: `instance:${record.id}`,
    timeoutMs: 10_000,
  });
  if (!res.ok || res.response.status !== 200) {
    return fail(
      appError(
        'UNAUTHORIZED',
        `the callback signing key could not be fetched from key_url (${res.ok ? `HTTP ${res.response.status}` : res.error.message})`,
      ),
    );
  }
  try {
    // Vendor data, untrusted: the key document may arrive as JSON or as a JSON string holding JSON.
    let doc: unknown = JSON.parse(res.response.body);
    if (typeof doc === 'string') doc = JSON.parse(doc);
    const key = (doc as { signing_key?: unknown })?.signing_key;
    if (typeof key !== 'string' || key === '') throw new Error('no signing_key');
    keyCache.set(keyUrl, { key, at: Date.now() });
    return ok(key);
  } catch {
    return fail(appError('UNAUTHORIZED', 'key_url did not answer with a signing_key'));
  }
}

/** key_url comes from the (not yet verified) body: only the instance's own ConnectWise host may serve it. */
async function checkKeyUrl(
  deps: PlatformDeps,
  config: Record<string, string | null>,
  keyUrl: unknown,
): Promise<Result<string>> {
  if (typeof keyUrl !== 'string') return fail(appError('UNAUTHORIZED', 'the callback carries no Metadata.key_url'));
  let url: URL;
  let base: URL;
  try {
    url = new URL(keyUrl);
    base = new URL(apiBase(config));
  } catch {
    return fail(appError('UNAUTHORIZED', 'Metadata.key_url is not a URL'));
  }
  if (url.host.toLowerCase() !== base.host.toLowerCase() || url.protocol !== base.protocol) {
    return fail(appError('UNAUTHORIZED', `Metadata.key_url is not on the instance's ConnectWise host ${base.host}`));
  }
  const checked = await checkOutboundUrl(deps.policy, keyUrl);
  if (!checked.ok) return fail(appError('UNAUTHORIZED', `Metadata.key_url ${checked.reason}`));
  return ok(keyUrl);
}

const ACTIONS: Record<string, EventType> = { added: 'CREATED', updated: 'UPDATED', deleted: 'DELETED' };

export interface InboundResult {
  stored: number;
  ignored?: string;
}

/** Verifies and records one inbound callback. Errors are refusals to log and answer (401/404). */
export async function receiveCallback(
  deps: PlatformDeps,
  instanceId: number,
  token: string | undefined,
  rawBody: string,
  signature: string | undefined,
): Promise<Result<InboundResult, AppError>> {
  const db = eventsDb(deps.store.db);
  const record = Number.isSafeInteger(instanceId) ? await findInstance(deps.store.db, instanceId) : undefined;
  const state = record
    ? await db
        .selectFrom('event_instances')
        .select('callback_token')
        .where('instance_id', '=', instanceId)
        .executeTakeFirst()
    : undefined;
  if (!record || !state || !token || !constantTimeEqual(token, state.callback_token)) {
    return fail(appError('NOT_FOUND', 'Unknown callback address'));
  }
  const def = deps.catalog.find(record.elementKey)!;
  if (!signature) return fail(appError('UNAUTHORIZED', 'x-content-signature is missing'));
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(rawBody) as Record<string, unknown>;
    if (!payload || typeof payload !== 'object') throw new Error('not an object');
  } catch {
    return fail(appError('MALFORMED_JSON', 'The callback body is not a JSON object'));
  }
  const config = await loadInstanceConfig(deps, record.id);
  const keyUrl = await checkKeyUrl(deps, config, (payload.Metadata as { key_url?: unknown } | undefined)?.key_url);
  if (!keyUrl.ok) return keyUrl;
  let verified = false;
  for (const fresh of [false, true]) {
    const key = await fetchSigningKey(deps, record, def, config, keyUrl.value, fresh);
    if (!key.ok) return key;
    // CW signs the JSON it sends; some senders re-serialise — accept either form of the same document.
    for (const body of [rawBody, JSON.stringify(payload)]) {
      if (constantTimeEqual(connectwiseSignature(key.value, body), signature.trim())) verified = true;
    }
    if (verified) break;
  }
  if (!verified) return fail(appError('UNAUTHORIZED', 'x-content-signature does not match the callback body'));

  const parsed = eventSettings(def, config, deps.config.CONDUIT_POLL_MIN_INTERVAL_S);
  if (!parsed.ok || !parsed.value.enabled || record.disabled)
    return ok({ stored: 0, ignored: 'events are not enabled' });
  const type = String(payload.Type ?? '').toLowerCase();
  const entries = parsed.value.entries.filter((e) => e.resource.callbackType === type);
  const eventType = ACTIONS[String(payload.Action ?? '').toLowerCase()];
  const objectId = payload.ID === undefined || payload.ID === null ? undefined : String(payload.ID);
  if (entries.length === 0 || !eventType || !objectId)
    return ok({ stored: 0, ignored: `no configured object for ${type || 'this callback'}` });
  let entity: Record<string, unknown> | undefined;
  if (typeof payload.Entity === 'string' && payload.Entity !== '') {
    try {
      const e = JSON.parse(payload.Entity) as unknown;
      if (e && typeof e === 'object' && !Array.isArray(e)) entity = e as Record<string, unknown>;
    } catch {
      /* Entity is vendor data; a broken one still tells us what changed */
    }
  }
  const updatedMs = entity ? parseVendorDate(readPath(entity, entries[0]!.updatedDateField)) : undefined;
  const updatedIso = updatedMs === undefined ? undefined : isoSeconds(updatedMs);
  const now = new Date().toISOString();
  const changes: Change[] = entries.map((entry) => {
    const change = {
      objectType: entry.objectType,
      objectId,
      eventType,
      date: updatedIso ?? now,
      ...(entity ? { record: entity } : {}),
    };
    return { ...change, dedupeKey: dedupeKey(change, updatedIso) };
  });
  const { Entity: _entity, ...vendorPayload } = payload;
  // A transformation under the object's own name maps the record the notification carries.
  const mapped = (await Promise.all(changes.map((c) => mapEventRecords(deps, record.id, c.objectType, [c])))).flat();
  const stored = await db.transaction().execute(async (trx) => {
    const out = await storeChanges(trx, record, def.hub, 'callback', mapped, { now, vendorPayload });
    for (const entry of entries) {
      if (eventType === 'DELETED') await removeKnownIds(trx, record.id, entry.objectType, [objectId]);
      else await addKnownIds(trx, record.id, entry.objectType, [objectId]);
    }
    return out.length;
  });
  return ok({ stored });
}
