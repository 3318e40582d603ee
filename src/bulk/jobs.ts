// Bulk jobs in the store: states and their transitions, the row ↔ domain mapper, leases (the same pattern as
// event deliveries: a lease column, FOR UPDATE SKIP LOCKED on PostgreSQL) and the committed watermark.
import { type Generated, type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { Dialect } from '../store/database.ts';
import type { Tables } from '../store/tables.ts';

/** Job states as Cloud Elements named them (cloud-elements-api.md §4). */
export const BULK_STATES = ['CREATED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type BulkState = (typeof BULK_STATES)[number];

/**
 * CREATED → RUNNING when a worker leases it; CREATED → CANCELLED on a cancel before it starts;
 * RUNNING → RUNNING when a restarted worker resumes it; RUNNING → COMPLETED | FAILED | CANCELLED when it ends.
 * The three end states are final.
 */
export const BULK_TRANSITIONS: Record<BulkState, readonly BulkState[]> = {
  CREATED: ['RUNNING', 'CANCELLED'],
  RUNNING: ['RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};

export const FINAL_STATES: ReadonlySet<BulkState> = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

export const CALLBACK_STATES = ['none', 'pending', 'delivered', 'dead'] as const;
export type CallbackState = (typeof CALLBACK_STATES)[number];

export type BulkDirection = 'export' | 'import';

/** What the job was asked to do; fixed at submission. */
export interface BulkSpec {
  /** CEQL `where` (export). */
  where?: string;
  /** ConnectWise `fields` projection (export `select a, b`). */
  fields?: string[];
  /** Incremental export from this instant (ISO). */
  from?: string;
  /**
   * The object is a common resource (or a vendor object with a transformation of its own name): records are
   * read from / written to this ConnectWise object and mapped through the instance's transformation. `where` and
   * `fields` above are then already in vendor names.
   */
  vendorObject?: string;
  addMetadata?: boolean;
  /** Import: how records are written. */
  action?: 'create' | 'update' | 'upsert';
  identifierFieldName?: string;
  /** Import: the uploaded file's format. */
  uploadFormat?: 'csv' | 'json' | 'jsonl';
  /** Import: records in the uploaded file, counted when it was checked at submission. */
  totalRecords?: number;
}

/** Export: the last record id written to the file. Import: the next record index to write. */
export interface Watermark {
  lastId?: number;
  nextIndex?: number;
  /** A partitioned export: each id range's committed state (see exportParts.ts). */
  parts?: PartState[];
  /** Partitioned export: parts already appended to the result file, in order, and that file's committed bytes. */
  merged?: number;
  resultBytes?: number;
  /** Import: blocks of record indexes claimed before being sent (see interruptedCreate.ts). */
  claims?: Array<{ below: number; at: string }>;
  /** Partitioned export: the ranges have stopped (all done, or a cancel or failure) and are being appended. */
  merging?: boolean;
}

/** One id range of a partitioned export: records with id in (previous part's hi, hi]; the last part is open. */
export interface PartState {
  hi: number | null;
  /** The last id written to this part's file (starts at the range's low bound). */
  lastId: number;
  count: number;
  /** Records the transformation could not map. */
  failed?: number;
  /** Committed plaintext bytes of the part's file. */
  bytes: number;
  /** Columns first seen in this part, in order (the job's columns are the parts' in part order). */
  columns: string[];
  done: boolean;
}

export interface BulkJobsTable {
  id: Generated<number>;
  organization_id: number;
  instance_id: number;
  direction: string;
  object_name: string;
  status: string;
  spec: string;
  records_count: number;
  records_failed_count: number;
  watermark: string;
  file_bytes: number | string;
  upload_bytes: number | string;
  columns: string;
  data_key: string;
  info_message: string | null;
  cancel_requested: number;
  lease_until: string | null;
  callback_url: string | null;
  callback_state: string;
  callback_attempts: number;
  callback_next_at: string | null;
  callback_error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  expires_at: string | null;
}

export interface BulkErrorsTable {
  job_id: number;
  record_index: number;
  record: string;
  status: number;
  message: string;
  provider_message: string | null;
}

export interface BulkTables extends Tables {
  bulk_jobs: BulkJobsTable;
  bulk_errors: BulkErrorsTable;
}

export type BulkDb = Kysely<BulkTables> | Transaction<BulkTables>;

export function bulkDb(db: Kysely<Tables>): Kysely<BulkTables> {
  return db as unknown as Kysely<BulkTables>;
}

export interface BulkJob {
  id: number;
  organizationId: number;
  instanceId: number;
  direction: BulkDirection;
  objectName: string;
  status: BulkState;
  spec: BulkSpec;
  recordsCount: number;
  recordsFailedCount: number;
  watermark: Watermark;
  /** Committed plaintext bytes of the result file (export). */
  fileBytes: number;
  /** Plaintext bytes of the uploaded file (import). */
  uploadBytes: number;
  /** Flattened column names seen so far, in first-seen order (the CSV header). */
  columns: string[];
  /** The per-job data key, sealed by the master key. */
  dataKey: string;
  infoMessage: string | null;
  cancelRequested: boolean;
  leaseUntil: string | null;
  callbackUrl: string | null;
  callbackState: CallbackState;
  callbackAttempts: number;
  callbackNextAt: string | null;
  callbackError: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  expiresAt: string | null;
}

function toJob(r: Selectable<BulkJobsTable>): BulkJob {
  return {
    id: Number(r.id),
    organizationId: Number(r.organization_id),
    instanceId: Number(r.instance_id),
    direction: r.direction as BulkDirection,
    objectName: r.object_name,
    status: r.status as BulkState,
    spec: JSON.parse(r.spec) as BulkSpec,
    recordsCount: Number(r.records_count),
    recordsFailedCount: Number(r.records_failed_count),
    watermark: JSON.parse(r.watermark) as Watermark,
    fileBytes: Number(r.file_bytes),
    uploadBytes: Number(r.upload_bytes),
    columns: JSON.parse(r.columns) as string[],
    dataKey: r.data_key,
    infoMessage: r.info_message,
    cancelRequested: Number(r.cancel_requested) === 1,
    leaseUntil: r.lease_until,
    callbackUrl: r.callback_url,
    callbackState: r.callback_state as CallbackState,
    callbackAttempts: Number(r.callback_attempts),
    callbackNextAt: r.callback_next_at,
    callbackError: r.callback_error,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    expiresAt: r.expires_at,
  };
}

export interface NewBulkJob {
  organizationId: number;
  instanceId: number;
  direction: BulkDirection;
  objectName: string;
  spec: BulkSpec;
  dataKey: string;
  callbackUrl?: string;
  uploadBytes?: number;
  /** Keeps workers off the job until its files are in place (released with releaseJobLease). */
  leaseUntil?: string;
  now: string;
}

export async function insertJob(db: BulkDb, job: NewBulkJob): Promise<BulkJob> {
  const row = await db
    .insertInto('bulk_jobs')
    .values({
      organization_id: job.organizationId,
      instance_id: job.instanceId,
      direction: job.direction,
      object_name: job.objectName,
      status: 'CREATED',
      spec: JSON.stringify(job.spec),
      records_count: 0,
      records_failed_count: 0,
      watermark: '{}',
      file_bytes: 0,
      upload_bytes: job.uploadBytes ?? 0,
      columns: '[]',
      data_key: job.dataKey,
      info_message: null,
      cancel_requested: 0,
      lease_until: job.leaseUntil ?? null,
      callback_url: job.callbackUrl ?? null,
      callback_state: 'none',
      callback_attempts: 0,
      callback_next_at: null,
      callback_error: null,
      created_at: job.now,
      started_at: null,
      finished_at: null,
      expires_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toJob(row);
}

export async function findJob(db: BulkDb, id: number): Promise<BulkJob | undefined> {
  const r = await db.selectFrom('bulk_jobs').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? toJob(r) : undefined;
}

/** A job of this organization; another organization's job is "not found", never "forbidden". */
export async function findOwnJob(db: BulkDb, organizationId: number, id: number): Promise<BulkJob | undefined> {
  const job = await findJob(db, id);
  return job && job.organizationId === organizationId ? job : undefined;
}

/** The organization's jobs, newest first; `beforeId` continues a previous page. */
export async function listJobs(
  db: BulkDb,
  organizationId: number,
  opts: { limit: number; beforeId?: number; instanceId?: number },
): Promise<BulkJob[]> {
  let q = db.selectFrom('bulk_jobs').selectAll().where('organization_id', '=', organizationId);
  if (opts.beforeId !== undefined) q = q.where('id', '<', opts.beforeId);
  if (opts.instanceId !== undefined) q = q.where('instance_id', '=', opts.instanceId);
  const rows = await q.orderBy('id', 'desc').limit(opts.limit).execute();
  return rows.map(toJob);
}

/** Plaintext bytes the organization's kept files take (result files and uploads). */
export async function organizationBytes(db: BulkDb, organizationId: number): Promise<number> {
  const r = await db
    .selectFrom('bulk_jobs')
    .select((eb) => [
      eb.fn.sum<number | string>('file_bytes').as('files'),
      eb.fn.sum<number | string>('upload_bytes').as('uploads'),
    ])
    .where('organization_id', '=', organizationId)
    .executeTakeFirst();
  return Number(r?.files ?? 0) + Number(r?.uploads ?? 0);
}

/**
 * Leases jobs that are waiting (CREATED) or running without a live lease (their worker died). On PostgreSQL the
 * candidates are locked with FOR UPDATE SKIP LOCKED, so two nodes never take the same job; on SQLite the single
 * writer makes the transaction atomic.
 */
export async function claimJobs(
  db: Kysely<BulkTables>,
  dialect: Dialect,
  opts: { now: string; leaseUntil: string; limit: number },
): Promise<BulkJob[]> {
  return db.transaction().execute(async (trx) => {
    let q = trx
      .selectFrom('bulk_jobs')
      .select('id')
      .where('status', 'in', ['CREATED', 'RUNNING'])
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', opts.now)]))
      .orderBy('id')
      .limit(opts.limit);
    if (dialect === 'postgres') q = q.forUpdate().skipLocked();
    const ids = (await q.execute()).map((r) => Number(r.id));
    if (ids.length === 0) return [];
    await trx
      .updateTable('bulk_jobs')
      .set({ lease_until: opts.leaseUntil })
      .where('id', 'in', ids)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', opts.now)]))
      .execute();
    const rows = await trx
      .selectFrom('bulk_jobs')
      .selectAll()
      .where('id', 'in', ids)
      .where('lease_until', '=', opts.leaseUntil)
      .execute();
    return rows.map(toJob);
  });
}

/** A single-process SQLite node owns every lease: after a crash it takes them back at once. */
export async function releaseAllJobLeases(db: Kysely<BulkTables>): Promise<void> {
  await db.updateTable('bulk_jobs').set({ lease_until: null }).where('lease_until', 'is not', null).execute();
}

export async function releaseJobLease(db: BulkDb, id: number): Promise<void> {
  await db.updateTable('bulk_jobs').set({ lease_until: null }).where('id', '=', id).execute();
}

/** CREATED → RUNNING (or RUNNING → RUNNING on resume), keeping the first start time. */
export async function markRunning(db: BulkDb, id: number, now: string, leaseUntil: string): Promise<boolean> {
  const res = await db
    .updateTable('bulk_jobs')
    .set({ status: 'RUNNING', started_at: sql<string>`coalesce(started_at, ${now})`, lease_until: leaseUntil })
    .where('id', '=', id)
    .where('status', 'in', ['CREATED', 'RUNNING'])
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export interface Progress {
  watermark: Watermark;
  recordsCount: number;
  recordsFailedCount: number;
  fileBytes?: number;
  columns?: string[];
  leaseUntil: string;
}

/**
 * Commits a page (export) or a batch of records (import): the watermark and counts move together, and the
 * lease is renewed. Answers whether a cancel was requested meanwhile.
 */
export async function commitProgress(db: BulkDb, id: number, p: Progress): Promise<{ cancelRequested: boolean }> {
  await db
    .updateTable('bulk_jobs')
    .set({
      watermark: JSON.stringify(p.watermark),
      records_count: p.recordsCount,
      records_failed_count: p.recordsFailedCount,
      ...(p.fileBytes !== undefined ? { file_bytes: p.fileBytes } : {}),
      ...(p.columns !== undefined ? { columns: JSON.stringify(p.columns) } : {}),
      lease_until: p.leaseUntil,
    })
    .where('id', '=', id)
    .execute();
  const r = await db.selectFrom('bulk_jobs').select('cancel_requested').where('id', '=', id).executeTakeFirst();
  return { cancelRequested: Number(r?.cancel_requested ?? 0) === 1 };
}

export async function isCancelRequested(db: BulkDb, id: number): Promise<boolean> {
  const r = await db.selectFrom('bulk_jobs').select('cancel_requested').where('id', '=', id).executeTakeFirst();
  return Number(r?.cancel_requested ?? 0) === 1;
}

/**
 * Ends a job (RUNNING → COMPLETED | FAILED | CANCELLED, or CREATED → CANCELLED); the file is kept until
 * `expiresAt`. A callback URL makes the callback due now.
 */
export async function finishJob(
  db: BulkDb,
  id: number,
  end: { status: BulkState; now: string; expiresAt: string; infoMessage?: string | null; from?: BulkState[] },
): Promise<boolean> {
  const from =
    end.from ?? (Object.keys(BULK_TRANSITIONS) as BulkState[]).filter((s) => BULK_TRANSITIONS[s].includes(end.status));
  const res = await db
    .updateTable('bulk_jobs')
    .set({
      status: end.status,
      finished_at: end.now,
      expires_at: end.expiresAt,
      lease_until: null,
      ...(end.infoMessage !== undefined ? { info_message: end.infoMessage } : {}),
      callback_state: sql<string>`case when callback_url is null then 'none' else 'pending' end`,
      callback_next_at: end.now,
    })
    .where('id', '=', id)
    .where('status', 'in', from)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Asks a job to stop; a job that has not started is cancelled at once by the caller. */
export async function requestCancel(db: BulkDb, id: number): Promise<void> {
  await db.updateTable('bulk_jobs').set({ cancel_requested: 1 }).where('id', '=', id).execute();
}

export async function setInfoMessage(db: BulkDb, id: number, message: string | null): Promise<void> {
  await db.updateTable('bulk_jobs').set({ info_message: message }).where('id', '=', id).execute();
}

// ---- callbacks ---------------------------------------------------------------------------------------------

/** Leases due callbacks (PostgreSQL: FOR UPDATE SKIP LOCKED) by pushing their next attempt past the lease. */
export async function claimCallbacks(
  db: Kysely<BulkTables>,
  dialect: Dialect,
  opts: { now: string; leaseUntil: string; limit: number },
): Promise<BulkJob[]> {
  return db.transaction().execute(async (trx) => {
    let q = trx
      .selectFrom('bulk_jobs')
      .select('id')
      .where('callback_state', '=', 'pending')
      .where('callback_next_at', '<=', opts.now)
      .orderBy('callback_next_at')
      .limit(opts.limit);
    if (dialect === 'postgres') q = q.forUpdate().skipLocked();
    const ids = (await q.execute()).map((r) => Number(r.id));
    if (ids.length === 0) return [];
    await trx.updateTable('bulk_jobs').set({ callback_next_at: opts.leaseUntil }).where('id', 'in', ids).execute();
    const rows = await trx.selectFrom('bulk_jobs').selectAll().where('id', 'in', ids).execute();
    return rows.map(toJob);
  });
}

export async function recordCallback(
  db: BulkDb,
  id: number,
  outcome: { state: CallbackState; attempts: number; nextAt: string | null; error: string | null },
): Promise<void> {
  await db
    .updateTable('bulk_jobs')
    .set({
      callback_state: outcome.state,
      callback_attempts: outcome.attempts,
      callback_next_at: outcome.nextAt,
      callback_error: outcome.error,
    })
    .where('id', '=', id)
    .execute();
}

// ---- retention ---------------------------------------------------------------------------------------------

/** Ended jobs whose files are past their retention. */
export async function expiredJobs(db: BulkDb, now: string, limit: number): Promise<BulkJob[]> {
  const rows = await db
    .selectFrom('bulk_jobs')
    .selectAll()
    .where('expires_at', 'is not', null)
    .where('expires_at', '<=', now)
    .where('callback_state', '!=', 'pending')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(toJob);
}

/** Which of these job ids still exist. */
export async function existingJobIds(db: BulkDb, ids: number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('bulk_jobs').select('id').where('id', 'in', ids).execute();
  return rows.map((r) => Number(r.id));
}

export async function deleteJob(db: BulkDb, id: number): Promise<void> {
  await db.deleteFrom('bulk_errors').where('job_id', '=', id).execute();
  await db.deleteFrom('bulk_jobs').where('id', '=', id).execute();
}

// ---- import errors -----------------------------------------------------------------------------------------

export interface BulkRecordError {
  recordIndex: number;
  /** The record as uploaded, sealed with the job's data key. */
  record: string;
  status: number;
  message: string;
  providerMessage: string | null;
}

/** Inserts failures; a failure already recorded before a crash is kept as it is. */
export async function insertErrors(db: BulkDb, jobId: number, errors: BulkRecordError[]): Promise<void> {
  if (errors.length === 0) return;
  await db
    .insertInto('bulk_errors')
    .values(
      errors.map((e) => ({
        job_id: jobId,
        record_index: e.recordIndex,
        record: e.record,
        status: e.status,
        message: e.message,
        provider_message: e.providerMessage,
      })),
    )
    .onConflict((oc) => oc.columns(['job_id', 'record_index']).doNothing())
    .execute();
}

export async function countErrors(db: BulkDb, jobId: number): Promise<number> {
  const r = await db
    .selectFrom('bulk_errors')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('job_id', '=', jobId)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** Failures in record order, after `afterIndex`. */
export async function listErrors(
  db: BulkDb,
  jobId: number,
  opts: { afterIndex: number; limit: number },
): Promise<BulkRecordError[]> {
  const rows = await db
    .selectFrom('bulk_errors')
    .selectAll()
    .where('job_id', '=', jobId)
    .where('record_index', '>', opts.afterIndex)
    .orderBy('record_index')
    .limit(opts.limit)
    .execute();
  return rows.map((r) => ({
    recordIndex: Number(r.record_index),
    record: r.record,
    status: Number(r.status),
    message: r.message,
    providerMessage: r.provider_message,
  }));
}
