// Import: the uploaded records written one by one through the hub's write path (create = POST, update = the
// hub's PATCH → JSON-Patch), within the instance's rate budget. Progress (next record index, counts, failures)
// is committed in small batches; a restarted job continues from the committed index, and creates a killed run
// may have sent (claimed in the watermark before sending, interruptedCreate.ts) are looked up, not repeated.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type Addressed, createRecord, resolveHubTarget, updateRecord } from '../engine/index.ts';
import { listParsed } from '../engine/read.ts';
import { type AppError, appError, fail, ok, type Result } from '../errors/index.ts';
import { transformationFor } from '../transformations/resolve.ts';
import { jobFiles } from './files.ts';
import { readRecords } from './importReader.ts';
import {
  CLAIM_AHEAD,
  type Claim,
  interruptedCreates,
  openClaims,
  settleInterruptedCreate,
} from './interruptedCreate.ts';
import { abortedEnd, type JobEnd, type JobEnv, type JobTarget, jobTarget } from './jobContext.ts';
import { type BulkJob, type BulkRecordError, bulkDb, commitProgress, insertErrors } from './jobs.ts';
import { readSealedRange } from './sealedFile.ts';

type Json = Record<string, unknown>;

const BATCH_RECORDS = 50;
const BATCH_MS = 1_000;
const CREATE_WINDOW = 4;
const MAX_AHEAD = 256;

/** A failed record as stored: sealed with the job's data key (uploads are customer data). */
export function sealRecord(key: Buffer, record: Json): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([c.update(JSON.stringify(record), 'utf8'), c.final()]);
  return [iv, c.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
}

export function openRecord(key: Buffer, sealed: string): unknown {
  const [iv, tag, body] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
  if (!iv || !tag || !body) return undefined;
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAuthTag(tag);
  return JSON.parse(Buffer.concat([d.update(body), d.final()]).toString('utf8'));
}

function literal(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  return undefined;
}

function valueAt(record: Json, path: string): unknown {
  let v: unknown = record;
  for (const p of path.split('.')) v = v && typeof v === 'object' ? (v as Json)[p] : undefined;
  return v;
}

/** Read-only parts of an exported record: sending them back would be refused by ConnectWise. */
function writable(record: Json, idField: string): Json {
  const { _info: _i, _metadata: _m, [idField]: _id, ...rest } = record;
  return rest;
}

/** The id of the record an update/upsert addresses: the id itself, or the one record whose field matches. */
async function existingId(t: JobTarget, record: Json, identifier: string): Promise<Result<string | undefined>> {
  const idField = t.target.endpoint.idField;
  const value = valueAt(record, identifier);
  if (value === undefined || value === null || value === '') return ok(undefined);
  if (identifier === idField) {
    const id = String(value);
    return /^\d{1,15}$/.test(id)
      ? ok(id)
      : fail(appError('INVALID_PARAMETER', `${identifier} ${JSON.stringify(value)} is not a record id`));
  }
  const lit = literal(value);
  if (lit === undefined) return fail(appError('INVALID_PARAMETER', `${identifier} must be a string or a number`));
  const found = await listParsed(t.engine, t.instance, t.target, { where: `${identifier} = ${lit}`, pageSize: 2 });
  if (!found.ok) return found;
  if (found.value.records.length > 1)
    return fail(appError('CONFLICT', `More than one record has ${identifier} = ${lit}`));
  const hit = found.value.records[0];
  return ok(hit ? String(hit[idField]) : undefined);
}

async function writeOne(
  job: BulkJob,
  t: JobTarget,
  record: Json,
  /** When a killed run may have sent this record's create: the time of the claim that covered it. */
  claimedAt?: string,
): Promise<Result<unknown>> {
  const action = job.spec.action ?? 'create';
  const idField = t.target.endpoint.idField;
  const create = async () => {
    const body = writable(record, idField);
    // A killed run may have sent this create and never counted the answer: find out whether ConnectWise has it.
    const settled = claimedAt ? await settleInterruptedCreate(t, claimedAt, body) : undefined;
    return settled ?? createRecord(t.engine, t.instance, t.target, body);
  };
  if (action === 'create') return create();
  const identifier = job.spec.identifierFieldName ?? idField;
  const id = await existingId(t, record, identifier);
  if (!id.ok) return id;
  if (id.value === undefined) {
    if (action === 'upsert') return create();
    return fail(appError('MISSING_PARAMETER', `The record has no ${identifier} to update`, { field: identifier }));
  }
  const def = t.engine.catalog.find(t.instance.elementKey);
  const addressed = def ? resolveHubTarget(def, `${t.target.endpoint.name}/${id.value}`) : undefined;
  if (!addressed?.ok) return fail(appError('NOT_FOUND', `No ${job.objectName} record ${id.value}`));
  const updated = await updateRecord(t.engine, t.instance, addressed.value as Addressed, writable(record, idField));
  if (!updated.ok && updated.error.status === 404 && action === 'upsert' && identifier === idField) return create();
  return updated;
}

export async function runImport(env: JobEnv, job: BulkJob): Promise<JobEnd> {
  const { deps, signal } = env;
  const db = bulkDb(deps.store.db);
  const t = await jobTarget(deps, job);
  if (!t.ok) return { status: 'FAILED', infoMessage: t.error.message };
  // Rows of a common resource are mapped onto the vendor object before they are written.
  const mapping = job.spec.vendorObject ? await transformationFor(deps, job.instanceId, job.objectName) : undefined;
  if (job.spec.vendorObject && !mapping)
    return { status: 'FAILED', infoMessage: `No transformation ${job.objectName} applies to the instance any more` };
  const toVendor = (record: Json): Result<Json> => {
    if (!mapping) return ok(record);
    const mapped = mapping.toVendor(record);
    return mapped.ok ? ok(mapped.value) : fail(appError('TRANSFORMATION_FAILED', mapped.error.message));
  };
  const startAt = job.watermark.nextIndex ?? 0;
  // The seed's `bulk_upload_recover` ("true" by default): "false" ends an interrupted upload instead of resuming.
  if (job.watermark.nextIndex !== undefined && t.value.instance.config.bulk_upload_recover?.trim() === 'false') {
    return {
      status: 'FAILED',
      infoMessage: `Interrupted after record ${startAt}; not resumed because the instance has bulk_upload_recover=false`,
    };
  }
  let succeeded = job.recordsCount;
  let failedCount = job.recordsFailedCount;
  let next = startAt;
  let pending: BulkRecordError[] = [];
  let lastCommit = Date.now();
  let uncommitted = 0;
  // Creates are claimed CLAIM_AHEAD records at a time, in the committed watermark, before any is sent.
  let claims: Claim[] = job.watermark.claims ?? [];
  const mayCreate = (job.spec.action ?? 'create') !== 'update';
  const commit = async () => {
    const errors = pending;
    pending = [];
    uncommitted = 0;
    lastCommit = Date.now();
    claims = openClaims(claims, next);
    return db.transaction().execute(async (trx) => {
      await insertErrors(trx, job.id, errors);
      return commitProgress(trx, job.id, {
        watermark: { nextIndex: next, ...(claims.length > 0 ? { claims } : {}) },
        recordsCount: succeeded,
        recordsFailedCount: failedCount,
        leaseUntil: new Date(Date.now() + env.leaseMs).toISOString(),
      });
    });
  };
  // Creates are independent records: up to CREATE_WINDOW are written at once (each still takes a token of the
  // instance's rate budget). Updates and upserts stay in file order, one at a time, so two rows for the same
  // record apply in the order written. Outcomes are counted and committed in file order either way.
  const window = (job.spec.action ?? 'create') === 'create' ? CREATE_WINDOW : 1;
  const inflight = new Map<number, Promise<void>>();
  const settled = new Map<number, { record: Json; result: Result<unknown> }>();
  const advance = () => {
    for (let o = settled.get(next); o !== undefined; o = settled.get(next)) {
      settled.delete(next);
      if (o.result.ok) succeeded++;
      else {
        failedCount++;
        pending.push(recordError(t.value.key, next, o.record, o.result.error));
      }
      next++;
      uncommitted++;
    }
  };
  const drain = async (room: number) => {
    while (inflight.size > room) await Promise.race(inflight.values());
    advance();
  };
  const interrupted = interruptedCreates(job.watermark);
  const source = readSealedRange(jobFiles(env.dir, job.id).upload, t.value.key, 'upload', job.uploadBytes);
  for await (const { index, record } of readRecords(source, job.spec.uploadFormat ?? 'json')) {
    if (index < startAt) continue;
    await drain(window - 1);
    // Never run far ahead of the first unsettled record (its outcome must be committed first).
    while (index - next >= MAX_AHEAD && inflight.size > 0) await drain(inflight.size - 1);
    if (mayCreate && index >= (claims[claims.length - 1]?.below ?? 0)) {
      claims.push({ below: index + CLAIM_AHEAD, at: new Date().toISOString() });
      await commit();
    }
    const vendorRecord = toVendor(record);
    inflight.set(
      index,
      (vendorRecord.ok
        ? writeOne(job, t.value, vendorRecord.value, interrupted.get(index))
        : Promise.resolve(vendorRecord)
      )
        .catch((e: Error) => fail(appError('INTERNAL', `Internal error writing the record: ${e.message}`)))
        .then((result) => {
          settled.set(index, { record, result });
          inflight.delete(index);
        }),
    );
    // Writes in flight are finished, not dropped: they are short, and their outcomes must be counted.
    if (signal.aborted) {
      await drain(0);
      await commit();
      return abortedEnd(signal);
    }
    if (uncommitted >= BATCH_RECORDS || Date.now() - lastCommit >= BATCH_MS) {
      const { cancelRequested } = await commit();
      if (cancelRequested) {
        await drain(0);
        await commit();
        return { status: 'CANCELLED', infoMessage: 'Cancelled' };
      }
    }
  }
  await drain(0);
  await commit();
  return { status: 'COMPLETED' };
}

function recordError(key: Buffer, index: number, record: Json, e: AppError): BulkRecordError {
  return {
    recordIndex: index,
    record: sealRecord(key, record),
    status: e.status,
    message: e.message.slice(0, 2000),
    providerMessage: e.providerMessage?.slice(0, 2000) ?? null,
  };
}
