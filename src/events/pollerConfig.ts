// The events configuration keys as Cloud Elements takes them, parsed once into what the poller and the
// callback registration need. Every problem names the configuration key to fix.

import type { ElementDefinition, ElementResource } from '../elements/index.ts';
import { appError, fail, ok, type Result } from '../errors/index.ts';
import type { ConfigMap, PlatformDeps } from '../platform/index.ts';
import { checkOutboundUrl } from '../security/index.ts';

export type VendorType = 'polling' | 'webhook' | 'hybrid';

export interface PollerEntry {
  /** The key in event.poller.configuration: the hub object name events carry. */
  objectType: string;
  /** The hub resource the URL reads. */
  resource: ElementResource;
  /** The URL as configured (templates not yet substituted). */
  url: string;
  idField: string;
  updatedDateField: string;
  createdDateField: string;
  filterByUpdatedDate: boolean;
  /** Seconds within which created and updated dates count as equal (→ CREATED). */
  createdCheckTolerance: number;
  pageSize: number;
  /** Seconds subtracted from the cursor before substitution (Cloud Elements pollDelay). */
  pollDelay: number;
}

export interface EventSettings {
  enabled: boolean;
  vendorType: VendorType;
  callbackUrl: string | undefined;
  signatureKey: string | undefined;
  basicAuth: { username: string; password: string } | undefined;
  /** Seconds between polls, after the operator's floor. */
  pollIntervalS: number;
  entries: PollerEntry[];
}

const KEY = {
  enabled: 'event.notification.enabled',
  url: 'event.notification.callback.url',
  signature: 'event.notification.signature.key',
  vendor: 'event.vendor.type',
  interval: 'event.poller.refresh_interval',
  poller: 'event.poller.configuration',
} as const;

const field = (k: string) => `configuration.${k}`;
const bad = (k: string, message: string) => fail(appError('INVALID_PARAMETER', message, { field: field(k) }));

function vendorTypeOf(raw: string | null | undefined): VendorType | undefined {
  const v = (raw ?? 'polling').trim().toLowerCase();
  if (v === 'polling' || v === '') return 'polling';
  if (v === 'webhook' || v === 'webhooks') return 'webhook';
  if (v === 'hybrid') return 'hybrid';
  return undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
};

/** Parses event.poller.configuration (object or JSON string); errors name the object and the member. */
export function parsePollerConfiguration(
  def: ElementDefinition,
  raw: string | null | undefined,
): Result<PollerEntry[]> {
  if (raw === null || raw === undefined || raw.trim() === '') return ok([]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    return bad(KEY.poller, `${KEY.poller} is not valid JSON: ${(e as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return bad(KEY.poller, `${KEY.poller} must be a JSON object keyed by object name (e.g. {"contacts": {"url": …}})`);
  }
  const pollable = def.resources.filter((r) => r.methods.includes('list'));
  const max = Number(def.defaults['pagination.max'] ?? 200) || 200;
  const entries: PollerEntry[] = [];
  for (const [objectType, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      return bad(KEY.poller, `${KEY.poller}: "${objectType}" must be an object with at least a url`);
    }
    const e = value as Record<string, unknown>;
    const url = str(e.url);
    if (!url) return bad(KEY.poller, `${KEY.poller}: "${objectType}".url is required`);
    const path = /^\/hubs\/([^/?]+)\/([^/?]+)(?:\?|$)/.exec(url);
    if (!path || path[1] !== def.hub) {
      return bad(KEY.poller, `${KEY.poller}: "${objectType}".url must look like /hubs/${def.hub}/<object>?where=…`);
    }
    const resource = pollable.find((r) => r.name === path[2]);
    if (!resource) {
      return bad(
        KEY.poller,
        `${KEY.poller}: unknown object "${path[2]}" in "${objectType}".url; pollable objects: ${pollable.map((r) => r.name).join(', ')}`,
      );
    }
    if (!pollable.some((r) => r.name === objectType) && objectType !== resource.name) {
      // A copied entry under a new name is allowed by Cloud Elements only for real objects.
      return bad(
        KEY.poller,
        `${KEY.poller}: unknown object "${objectType}"; pollable objects: ${pollable.map((r) => r.name).join(', ')}`,
      );
    }
    const dates = (e.datesConfiguration ?? {}) as Record<string, unknown>;
    if (typeof dates !== 'object' || Array.isArray(dates)) {
      return bad(KEY.poller, `${KEY.poller}: "${objectType}".datesConfiguration must be an object`);
    }
    const pageSize = num(e.pageSize) ?? Math.min(200, max);
    if (pageSize < 1 || pageSize > max)
      return bad(KEY.poller, `${KEY.poller}: "${objectType}".pageSize must be between 1 and ${max}`);
    const tolerance = num(e.createdCheckTolerance) ?? 0;
    const pollDelay = num(e.pollDelay) ?? 0;
    if (tolerance < 0 || pollDelay < 0) {
      return bad(KEY.poller, `${KEY.poller}: "${objectType}" createdCheckTolerance and pollDelay must not be negative`);
    }
    entries.push({
      objectType,
      resource,
      url,
      // The seed leaves configurations.idField empty: the resource's own id field is meant.
      idField: str(e.idField) || resource.idField || 'id',
      updatedDateField: str(dates.updatedDateField) || '_info.lastUpdated',
      createdDateField: str(dates.createdDateField) || '_info.dateEntered',
      filterByUpdatedDate:
        e.filterByUpdatedDate === undefined
          ? true
          : e.filterByUpdatedDate !== false && e.filterByUpdatedDate !== 'false',
      createdCheckTolerance: tolerance,
      pageSize,
      pollDelay,
    });
  }
  return ok(entries);
}

export function eventSettings(def: ElementDefinition, config: ConfigMap, minIntervalS: number): Result<EventSettings> {
  const vendorType = vendorTypeOf(config[KEY.vendor]);
  if (!vendorType) return bad(KEY.vendor, `${KEY.vendor} must be one of polling, webhook, hybrid`);
  const minutes = num(config[KEY.interval] ?? '15');
  if (minutes === undefined || minutes <= 0)
    return bad(KEY.interval, `${KEY.interval} must be a positive number of minutes`);
  const entries = parsePollerConfiguration(def, config[KEY.poller]);
  if (!entries.ok) return entries;
  const url = (config[KEY.url] ?? '').trim();
  const user = config['event.notification.basic.username'] ?? '';
  return ok({
    enabled: config[KEY.enabled] === 'true',
    vendorType,
    callbackUrl: url && url !== 'false' ? url : undefined,
    signatureKey: config[KEY.signature] || undefined,
    basicAuth: user ? { username: user, password: config['event.notification.basic.password'] ?? '' } : undefined,
    pollIntervalS: Math.max(minutes * 60, minIntervalS),
    entries: entries.value,
  });
}

/** Registered with the platform: runs before an instance's configuration is saved. */
export async function validateEventConfiguration(
  def: ElementDefinition,
  config: ConfigMap,
  deps: PlatformDeps,
): Promise<Result<void>> {
  const settings = eventSettings(def, config, deps.config.CONDUIT_POLL_MIN_INTERVAL_S);
  if (!settings.ok) return settings;
  const s = settings.value;
  if (!s.enabled) return ok(undefined);
  // Enabled without a callback URL is accepted, as Cloud Elements accepted it: events are recorded, not delivered.
  if (s.callbackUrl) {
    const checked = await checkOutboundUrl(deps.policy, s.callbackUrl);
    if (!checked.ok) return bad(KEY.url, `${KEY.url} ${checked.reason}`);
  }
  if (s.vendorType !== 'polling') {
    const missing = s.entries.filter((e) => !e.resource.callbackType).map((e) => e.objectType);
    if (missing.length > 0) {
      return bad(
        KEY.poller,
        `${KEY.poller}: ConnectWise has no callbacks for ${missing.join(', ')}; use event.vendor.type polling for them`,
      );
    }
  }
  return ok(undefined);
}
