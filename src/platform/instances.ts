// Element instances: provision, read, replace, patch, enable/disable, delete — as Cloud Elements does them.

import { type ElementDefinition, elementObject, findParameter } from '../elements/index.ts';
import { AppFailure, appError, fail, ok, type Result } from '../errors/index.ts';
import { generateSecret, hashSecret } from '../security/index.ts';
import {
  type ConfigRow,
  deleteInstance as deleteInstanceRow,
  findInstance,
  findUserById,
  type InstanceRecord,
  insertInstance,
  listInstances,
  readConfig,
  readConfigMany,
  updateInstance,
  upsertConfig,
} from '../store/index.ts';
import { forgetInstance } from './authenticate.ts';
import {
  type ConfigMap,
  checkRequired,
  MASK,
  maskConfiguration,
  normalizeConfiguration,
  withDefaults,
} from './configuration.ts';
import type { PlatformDeps } from './context.ts';
import { normalizeBaseUrl, verifyCredentials } from './verifyCredentials.ts';

export interface InstanceInput {
  element?: { key?: string; id?: number | string };
  configuration?: Record<string, unknown>;
  tags?: string[];
  name?: string;
  disabled?: boolean;
  /** Records upstream requests and responses (secrets redacted) at GET /instances/{id}/logs. */
  traceLoggingEnabled?: boolean;
  /** Cloud Elements' provisioning data (e.g. an OAuth code): kept sealed, never echoed back. */
  providerData?: unknown;
}

/** providerData may carry codes or secrets: sealed under the master key like secret configuration values. */
function sealProviderData(deps: PlatformDeps, providerData: unknown): string | null {
  return providerData === undefined || providerData === null ? null : deps.box.encrypt(JSON.stringify(providerData));
}

/** Extra checks other modules (events) add for their keys; they run before anything is saved. */
export type ConfigValidator = (def: ElementDefinition, config: ConfigMap, deps: PlatformDeps) => Promise<Result<void>>;
const validators: ConfigValidator[] = [];
export function registerConfigValidator(v: ConfigValidator): void {
  validators.push(v);
}

/** Called after an instance is saved or removed (events registers callbacks, stops pollers). */
export type InstanceListener = (
  event: 'saved' | 'deleted' | 'disabled' | 'enabled',
  instance: InstanceRecord,
  deps: PlatformDeps,
) => Promise<void>;
const listeners: InstanceListener[] = [];
export function onInstanceChange(l: InstanceListener): void {
  listeners.push(l);
}
async function notify(event: Parameters<InstanceListener>[0], instance: InstanceRecord, deps: PlatformDeps) {
  for (const l of listeners) await l(event, instance, deps);
}

export function sanitizeName(name: string): string {
  return name
    .replace(/<[^>]*>/g, '')
    .replace(/[<>]/g, '')
    .trim();
}

function sealRows(deps: PlatformDeps, def: ElementDefinition, config: ConfigMap): Array<Omit<ConfigRow, 'id'>> {
  return Object.entries(config).map(([key, value]) => {
    const secret = findParameter(def, key)?.secret === true;
    return { key, value: secret && value ? deps.box.encrypt(value) : value, secret };
  });
}

export function unsealRows(deps: PlatformDeps, rows: ConfigRow[]): ConfigMap {
  const out: ConfigMap = {};
  for (const r of rows) out[r.key] = r.secret && r.value ? deps.box.decrypt(r.value) : r.value;
  return out;
}

/** The decrypted configuration of an instance (for the engine, pollers and credential checks). */
export async function loadInstanceConfig(deps: PlatformDeps, instanceId: number): Promise<ConfigMap> {
  return unsealRows(deps, await readConfig(deps.store.db, instanceId));
}

function resolveElement(deps: PlatformDeps, keyOrId: string | number | undefined): Result<ElementDefinition> {
  if (keyOrId === undefined || keyOrId === '') {
    return fail(
      appError('MISSING_PARAMETER', 'element.key is required (e.g. "connectwisecrmrest")', { field: 'element.key' }),
    );
  }
  const def = deps.catalog.find(keyOrId);
  return def ? ok(def) : fail(appError('NOT_FOUND', `Element ${keyOrId} does not exist`, { field: 'element.key' }));
}

async function validateConfig(
  deps: PlatformDeps,
  def: ElementDefinition,
  config: ConfigMap,
  verify: boolean,
): Promise<Result<ConfigMap>> {
  const required = checkRequired(def, config);
  if (!required.ok) return required;
  if (config.baseUrl) config.baseUrl = normalizeBaseUrl(config.baseUrl);
  for (const v of validators) {
    const r = await v(def, config, deps);
    if (!r.ok) return r;
  }
  if (verify) {
    const checked = await verifyCredentials(def, config, deps.upstream, deps.policy);
    if (!checked.ok) return checked;
  }
  return ok(config);
}

export async function provisionInstance(
  deps: PlatformDeps,
  owner: { organizationId: number; userId: number },
  input: InstanceInput,
  pathElement?: string,
): Promise<Result<{ record: InstanceRecord; token: string }>> {
  const el = resolveElement(deps, pathElement ?? input.element?.key ?? input.element?.id);
  if (!el.ok) return el;
  const def = el.value;
  const normalized = normalizeConfiguration(def, input.configuration ?? {});
  if (!normalized.ok) return normalized;
  const config = withDefaults(def, normalized.value);
  const valid = await validateConfig(deps, def, config, true);
  if (!valid.ok) return valid;
  const name = sanitizeName(input.name ?? `${def.key} instance`) || `${def.key} instance`;
  const tags = input.tags && input.tags.length > 0 ? input.tags.map(sanitizeName) : [name];
  const token = generateSecret();
  const record = await deps.store.db.transaction().execute(async (trx) => {
    const inserted = await insertInstance(
      trx,
      {
        organizationId: owner.organizationId,
        userId: owner.userId,
        elementKey: def.key,
        name,
        tags,
        tokenHash: hashSecret(token),
        tokenSealed: deps.box.encrypt(token),
        valid: true,
        disabled: false,
        eventsEnabled: config['event.notification.enabled'] === 'true',
        traceLoggingEnabled: false,
        cachingEnabled: false,
        maxCacheSize: 0,
        cacheTimeToLive: 0,
      },
      sealRows(deps, def, config),
    );
    if (input.providerData !== undefined) {
      await trx
        .updateTable('instances')
        .set({ provider_data_sealed: sealProviderData(deps, input.providerData) })
        .where('id', '=', inserted.id)
        .execute();
    }
    return inserted;
  });
  await notify('saved', record, deps);
  return ok({ record, token });
}

export const EVENTS_HELD_NOTICE =
  'Events are recorded in the event log (status NEW) but not delivered: event.notification.callback.url is not set';

function callbackUrlSet(config: ConfigMap): boolean {
  const url = (config['event.notification.callback.url'] ?? '').trim();
  return url !== '' && url !== 'false';
}

/** The instance object as Cloud Elements returns it (secrets masked, configuration values as strings). */
export async function instanceView(deps: PlatformDeps, record: InstanceRecord, rows?: ConfigRow[]) {
  const def = deps.catalog.find(record.elementKey);
  if (!def) throw new Error(`instance ${record.id} refers to unknown element ${record.elementKey}`);
  const config = unsealRows(deps, rows ?? (await readConfig(deps.store.db, record.id)));
  const user = await findUserById(deps.store.db, record.userId);
  return {
    id: record.id,
    name: record.name,
    createdDate: record.createdAt.replace(/\.\d{3}Z$/, 'Z'),
    token: deps.box.decrypt(record.tokenSealed),
    elementId: def.id,
    tags: record.tags,
    provisionInteractions: [],
    valid: record.valid,
    disabled: record.disabled,
    maxCacheSize: record.maxCacheSize,
    cacheTimeToLive: record.cacheTimeToLive,
    configuration: maskConfiguration(def, config),
    authenticationType: def.authentication.type,
    eventsEnabled: config['event.notification.enabled'] === 'true',
    eventsNotificationCallbackUrl: config['event.notification.callback.url'] ?? 'false',
    // Why an instance with events enabled delivers nothing (docs/events.md); absent otherwise.
    ...(config['event.notification.enabled'] === 'true' && !callbackUrlSet(config)
      ? { eventsNotice: EVENTS_HELD_NOTICE }
      : {}),
    cachingEnabled: record.cachingEnabled,
    traceLoggingEnabled: record.traceLoggingEnabled,
    organizationId: record.organizationId,
    accountId: record.organizationId,
    externalAuthentication: 'none',
    userId: record.userId,
    element: elementObject(def),
    user: user ? { id: user.id, emailAddress: user.email, firstName: user.firstName, lastName: user.lastName } : {},
  };
}

export type InstanceView = Awaited<ReturnType<typeof instanceView>>;

/** An instance of the caller's organization, or 404 — another organization's instance does not exist for them. */
export async function findOwnInstance(
  deps: PlatformDeps,
  organizationId: number,
  id: number,
): Promise<Result<InstanceRecord>> {
  const record = Number.isSafeInteger(id) ? await findInstance(deps.store.db, id) : undefined;
  if (!record || record.organizationId !== organizationId)
    return fail(appError('NOT_FOUND', `Instance ${id} not found`));
  return ok(record);
}

export async function searchInstances(
  deps: PlatformDeps,
  organizationId: number,
  q: { tags?: string[]; searchText?: string; elementKey?: string },
): Promise<Result<InstanceView[]>> {
  let records = await listInstances(deps.store.db, { organizationId, elementKey: q.elementKey });
  const searching = (q.tags && q.tags.length > 0) || (q.searchText !== undefined && q.searchText !== '');
  if (q.tags && q.tags.length > 0) {
    const wanted = new Set(q.tags.map((t) => t.toLowerCase()));
    records = records.filter((r) => r.tags.some((t) => wanted.has(t.toLowerCase())));
  }
  if (q.searchText) {
    const needle = q.searchText.toLowerCase();
    records = records.filter((r) => r.name.toLowerCase().includes(needle));
  }
  if (searching && records.length === 0) return fail(appError('NOT_FOUND', 'No instances match the search'));
  const configs = await readConfigMany(
    deps.store.db,
    records.map((r) => r.id),
  );
  const views: InstanceView[] = [];
  for (const r of records) views.push(await instanceView(deps, r, configs.get(r.id) ?? []));
  return ok(views);
}

/** Fills masked secrets sent back by a client with the stored values. */
function keepMaskedSecrets(def: ElementDefinition, incoming: ConfigMap, stored: ConfigMap): ConfigMap {
  const out = { ...incoming };
  for (const [k, v] of Object.entries(out)) {
    if (v === MASK && findParameter(def, k)?.secret) out[k] = stored[k] ?? null;
  }
  return out;
}

function credentialsChanged(def: ElementDefinition, before: ConfigMap, after: ConfigMap): boolean {
  return def.parameters.some((p) => p.reprovision && (before[p.key] ?? '') !== (after[p.key] ?? ''));
}

/** The instance as saved; a concurrent DELETE may have removed it meanwhile (404, not a crash). */
async function stillThere(deps: PlatformDeps, id: number): Promise<InstanceRecord> {
  const record = await findInstance(deps.store.db, id);
  if (!record) throw new AppFailure(appError('NOT_FOUND', `Instance ${id} was deleted meanwhile`));
  return record;
}

async function saveChanges(
  deps: PlatformDeps,
  record: InstanceRecord,
  def: ElementDefinition,
  patch: {
    name?: string;
    tags?: string[];
    config?: ConfigMap;
    replaceConfig?: boolean;
    traceLoggingEnabled?: boolean;
    providerData?: unknown;
  },
): Promise<InstanceRecord> {
  await deps.store.db.transaction().execute(async (trx) => {
    if (patch.providerData !== undefined) {
      await trx
        .updateTable('instances')
        .set({ provider_data_sealed: sealProviderData(deps, patch.providerData) })
        .where('id', '=', record.id)
        .execute();
    }
    const fields: {
      name?: string;
      tags?: string[];
      eventsEnabled?: boolean;
      valid?: boolean;
      traceLoggingEnabled?: boolean;
    } = {};
    if (patch.name !== undefined) fields.name = patch.name;
    if (patch.traceLoggingEnabled !== undefined) fields.traceLoggingEnabled = patch.traceLoggingEnabled;
    if (patch.tags !== undefined) fields.tags = patch.tags;
    if (patch.config) {
      fields.eventsEnabled = patch.config['event.notification.enabled'] === 'true';
      fields.valid = true;
      if (patch.replaceConfig)
        await trx.deleteFrom('instance_configuration').where('instance_id', '=', record.id).execute();
      await upsertConfig(trx, record.id, sealRows(deps, def, patch.config));
    }
    await updateInstance(trx, record.id, fields);
  });
  forgetInstance(record.tokenHash);
  const updated = await stillThere(deps, record.id);
  await notify('saved', updated, deps);
  return updated;
}

/** PUT: full replace of name, tags and configuration; credentials are re-verified. */
export async function replaceInstance(
  deps: PlatformDeps,
  record: InstanceRecord,
  input: InstanceInput,
): Promise<Result<InstanceRecord>> {
  const def = deps.catalog.find(record.elementKey)!;
  const normalized = normalizeConfiguration(def, input.configuration ?? {});
  if (!normalized.ok) return normalized;
  const stored = await loadInstanceConfig(deps, record.id);
  const config = withDefaults(def, keepMaskedSecrets(def, normalized.value, stored));
  const valid = await validateConfig(deps, def, config, true);
  if (!valid.ok) return valid;
  const name = input.name !== undefined ? sanitizeName(input.name) || record.name : record.name;
  const tags = input.tags ? input.tags.map(sanitizeName) : [name];
  return ok(
    await saveChanges(deps, record, def, {
      name,
      tags,
      config,
      replaceConfig: true,
      traceLoggingEnabled: input.traceLoggingEnabled,
      providerData: input.providerData,
    }),
  );
}

/** PATCH: name, tags (replace the list) and configuration keys; re-verifies only when credentials change. */
export async function patchInstance(
  deps: PlatformDeps,
  record: InstanceRecord,
  input: InstanceInput,
): Promise<Result<InstanceRecord>> {
  const def = deps.catalog.find(record.elementKey)!;
  let config: ConfigMap | undefined;
  if (input.configuration) {
    const normalized = normalizeConfiguration(def, input.configuration);
    if (!normalized.ok) return normalized;
    const stored = await loadInstanceConfig(deps, record.id);
    const merged = { ...stored, ...keepMaskedSecrets(def, normalized.value, stored) };
    const valid = await validateConfig(deps, def, merged, credentialsChanged(def, stored, merged));
    if (!valid.ok) return valid;
    config = merged;
  }
  const name = input.name !== undefined ? sanitizeName(input.name) || record.name : undefined;
  const tags = input.tags ? input.tags.map(sanitizeName) : undefined;
  return ok(
    await saveChanges(deps, record, def, {
      name,
      tags,
      config,
      traceLoggingEnabled: input.traceLoggingEnabled,
      providerData: input.providerData,
    }),
  );
}

export async function setInstanceEnabled(
  deps: PlatformDeps,
  record: InstanceRecord,
  enabled: boolean,
): Promise<InstanceRecord> {
  await updateInstance(deps.store.db, record.id, { disabled: !enabled });
  forgetInstance(record.tokenHash);
  const updated = await stillThere(deps, record.id);
  await notify(enabled ? 'enabled' : 'disabled', updated, deps);
  return updated;
}

export async function removeInstance(deps: PlatformDeps, record: InstanceRecord): Promise<void> {
  await notify('deleted', record, deps);
  await deps.store.db.transaction().execute((trx) => deleteInstanceRow(trx, record.id));
  forgetInstance(record.tokenHash);
}

export async function configurationRowsOf(deps: PlatformDeps, record: InstanceRecord) {
  const def = deps.catalog.find(record.elementKey)!;
  const rows = await readConfig(deps.store.db, record.id);
  return rows.map((r) => ({
    id: r.id,
    key: r.key,
    name: findParameter(def, r.key)?.name ?? r.key,
    propertyValue: r.secret ? MASK : r.value,
    description: findParameter(def, r.key)?.description ?? '',
    hideFromConsole: findParameter(def, r.key)?.hidden ?? !findParameter(def, r.key),
  }));
}

export type ConfigurationRowView = Awaited<ReturnType<typeof configurationRowsOf>>[number];

/** PATCH /instances/{id}/configuration/{configId}: one row's propertyValue. */
export async function patchConfigurationRow(
  deps: PlatformDeps,
  record: InstanceRecord,
  configId: number,
  propertyValue: string | null,
): Promise<Result<ConfigurationRowView>> {
  const rows = await readConfig(deps.store.db, record.id);
  const row = rows.find((r) => r.id === configId);
  if (!row) return fail(appError('NOT_FOUND', `Configuration ${configId} not found on instance ${record.id}`));
  const patched = await patchInstance(deps, record, { configuration: { [row.key]: propertyValue } });
  if (!patched.ok) return patched;
  const views = await configurationRowsOf(deps, patched.value);
  return ok(views.find((v) => v.id === configId)!);
}
