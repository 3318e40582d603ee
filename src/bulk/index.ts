// Bulk: export and import whole objects as jobs that survive crashes (issue 10, cloud-elements-api.md §4).
// Submission checks everything it can before a job exists (query, object, quota, callback URL), so a job
// only fails for reasons found while it runs.
import { checkMethod, prepareList, resolveHubTarget } from '../engine/index.ts';
import { listParsed } from '../engine/read.ts';
import type { EngineDeps, EngineInstance } from '../engine/types.ts';
import { appError, fail, ok, type Result } from '../errors/index.ts';
import type { PlatformDeps } from '../platform/index.ts';
import { checkOutboundUrl } from '../security/index.ts';
import { transformationFor } from '../transformations/resolve.ts';
import { newDataKey } from './files.ts';
import { type BulkJob, type BulkSpec, bulkDb, insertJob, organizationBytes } from './jobs.ts';
import { incrementalWhere, parseBulkQuery } from './query.ts';
import type { BulkRunner } from './runner.ts';

export { csvHeader, csvRecord } from './csv.ts';
export { bulkDir, jobFiles, newDataKey, openDataKey, removeJobFiles } from './files.ts';
export { openRecord } from './importJob.ts';
export { detectFormat, readRecords, type UploadFormat, UploadFormatError } from './importReader.ts';
export * from './jobs.ts';
export { type BulkRunner, startBulkRunner } from './runner.ts';
export { readSealedRange, SealedFileWriter, sealedFileSize, writeSealedFile } from './sealedFile.ts';
export { statusView } from './status.ts';

const running: { runner?: BulkRunner } = {};

/** The capability registers this node's runner; routes wake it on submit and cancel. */
export function setBulkRunner(runner: BulkRunner | undefined): void {
  running.runner = runner;
}

export function bulkRunner(): BulkRunner | undefined {
  return running.runner;
}

export interface Submitter {
  organizationId: number;
  instance: EngineInstance;
  engine: EngineDeps;
}

/** Refuses a new job when the organization's kept files already fill its quota. */
export async function checkQuota(deps: PlatformDeps, organizationId: number, adding = 0): Promise<Result<void>> {
  const quota = deps.config.CONDUIT_BULK_QUOTA_MB * 1024 * 1024;
  const used = await organizationBytes(bulkDb(deps.store.db), organizationId);
  if (used + adding <= quota) return ok(undefined);
  return fail(
    appError(
      'QUOTA_EXCEEDED',
      `The organization's bulk files use ${Math.ceil(used / 1048576)} MB of its ${deps.config.CONDUIT_BULK_QUOTA_MB} MB quota (CONDUIT_BULK_QUOTA_MB); delete old jobs or wait for their retention to end`,
    ),
  );
}

export async function checkCallbackUrl(deps: PlatformDeps, url: string | undefined): Promise<Result<void>> {
  if (url === undefined) return ok(undefined);
  const checked = await checkOutboundUrl(deps.policy, url);
  if (checked.ok) return ok(undefined);
  return fail(
    appError('INVALID_PARAMETER', `Elements-Async-Callback-Url ${checked.reason}`, {
      field: 'Elements-Async-Callback-Url',
    }),
  );
}

/**
 * The hub object a job addresses: a declared resource that lists (or creates, for imports), or a pass-through
 * `area/object` path for exports. A bare unknown name is refused rather than sent to ConnectWise.
 */
export function bulkTarget(s: Submitter, objectName: string, direction: 'export' | 'import') {
  const def = s.engine.catalog.find(s.instance.elementKey);
  if (!def) return fail(appError('NOT_FOUND', `Element ${s.instance.elementKey} does not exist`));
  const unknown = fail(
    appError(
      'NOT_FOUND',
      `Unknown object ${JSON.stringify(objectName)}: use one of ${def.resources.map((r) => r.name).join(', ')}${direction === 'export' ? ', or a ConnectWise path such as system/members' : ''}`,
      { field: 'object' },
    ),
  );
  const target = resolveHubTarget(def, objectName);
  if (!target.ok) return unknown;
  const e = target.value.endpoint;
  if (target.value.id !== undefined || target.value.count) return unknown;
  if (e.name === 'pass-through' && (direction === 'import' || !objectName.includes('/'))) return unknown;
  const allowed = checkMethod(e, direction === 'export' ? 'list' : 'create');
  if (!allowed.ok) return allowed;
  return ok(target.value);
}

export interface ExportRequest {
  q: string;
  from?: string;
  callbackUrl?: string;
}

/** `POST /bulk/query`: the query is parsed and translated now (a bad `where` is a 400 here, not a failed job). */
export async function submitExport(deps: PlatformDeps, s: Submitter, req: ExportRequest): Promise<Result<BulkJob>> {
  const parsed = parseBulkQuery(req.q);
  if (!parsed.ok) return parsed;
  const { objectName } = parsed.value;
  let { where, fields } = parsed.value;
  // A common resource (or an object with a transformation of its own name): the query is in common names.
  const mapping = await transformationFor(deps, s.instance.id, objectName);
  if (mapping) {
    const translated = mapping.translateQuery({
      ...(where ? { where } : {}),
      ...(fields ? { fields: fields.join(',') } : {}),
    });
    if (!translated.ok) {
      return fail(
        appError('QUERY_UNSUPPORTED', `${translated.error.field}: ${translated.error.message}`, {
          field: translated.error.field,
        }),
      );
    }
    where = translated.value.where;
    fields = translated.value.fields?.split(',').map((f) => f.trim());
  }
  const target = bulkTarget(s, mapping?.vendorName ?? objectName, 'export');
  if (!target.ok) return target;
  if (req.from !== undefined) {
    const incremental = incrementalWhere(s.instance.config, req.from, where);
    if (!incremental.ok) return incremental;
    where = incremental.value;
  }
  const idField = target.value.endpoint.idField;
  const prepared = prepareList(s.engine, s.instance, target.value, {
    ...(where ? { where } : {}),
    pageSize: 1,
    ...(fields ? { fields: [...fields, idField].join(',') } : {}),
  });
  if (!prepared.ok) return prepared;
  if (target.value.endpoint.name === 'pass-through') {
    // One small read now, so a path ConnectWise does not know is refused at submission.
    const probe = await listParsed(s.engine, s.instance, target.value, { pageSize: 1 });
    if (!probe.ok) {
      return fail(
        appError(probe.error.status === 404 ? 'NOT_FOUND' : probe.error.code, `${objectName}: ${probe.error.message}`, {
          status: probe.error.status,
          field: 'object',
        }),
      );
    }
  }
  const quota = await checkQuota(deps, s.organizationId);
  if (!quota.ok) return quota;
  const callback = await checkCallbackUrl(deps, req.callbackUrl);
  if (!callback.ok) return callback;
  const addMetadata = (s.instance.config['bulk.add_metadata'] ?? '').trim().toLowerCase() === 'true';
  const spec: BulkSpec = {};
  if (where) spec.where = where;
  if (fields) spec.fields = fields;
  if (req.from !== undefined) spec.from = req.from;
  if (addMetadata) spec.addMetadata = true;
  if (mapping) spec.vendorObject = mapping.vendorName;
  const job = await insertJob(bulkDb(deps.store.db), {
    organizationId: s.organizationId,
    instanceId: s.instance.id,
    direction: 'export',
    objectName,
    spec,
    dataKey: newDataKey(deps.box).sealed,
    ...(req.callbackUrl ? { callbackUrl: req.callbackUrl } : {}),
    now: new Date().toISOString(),
  });
  running.runner?.wake();
  return ok(job);
}
