// Export: ConnectWise forward-only pages (`pagination-type: forward-only`, `pageId=<last id>`, the vendor's id
// order) so every page costs the same as the first, each page appended to a sealed file and committed with the
// watermark. A restarted job cuts the file back to the committed length and continues after the committed last
// id: every record lands in the file exactly once. A large export may be split into id ranges fetched side by
// side (exportParts.ts); each range is one run of `exportRange` over a file of its own.

import { firstByte } from '../engine/chunks.ts';
import {
  type Addressed,
  type EngineDeps,
  type EngineInstance,
  instanceContext,
  prepareList,
  stripNulls,
} from '../engine/index.ts';
import { linkHasNext } from '../engine/paging.ts';
import { parseVendorJson, sendVendor } from '../engine/vendor.ts';
import { appError, fail, ok, type Result } from '../errors/index.ts';
import { type CompiledTransformation, isFilteredOut } from '../transform/index.ts';
import { transformationFor } from '../transformations/resolve.ts';
import { addColumns } from './csv.ts';
import { planParts, runPartitioned } from './exportParts.ts';
import { jobFiles } from './files.ts';
import { sealRecord } from './importJob.ts';
import { ABORTED, abortable, abortedEnd, type JobEnd, type JobEnv, jobTarget, sleep } from './jobContext.ts';
import { type BulkJob, type BulkRecordError, bulkDb, commitProgress, insertErrors, type PartState } from './jobs.ts';
import { pageLines, ShapeMemo } from './pageLines.ts';
import { SealedFileWriter } from './sealedFile.ts';

/** A page as received: its bytes when they may be written as they are, else its records parsed. */
type Page = { hasMore: boolean } & (
  | { bytes: Buffer; records?: undefined }
  | { records: Array<Record<string, unknown>>; bytes?: undefined }
);

export interface ExportQuery {
  where?: string;
  fields?: string;
  orderBy?: string;
  pageSize: number;
}

/**
 * One forward-only page after `lastId`: the list request (CEQL translated by the hub's own translator) with
 * ConnectWise's forward-only header and `pageId`. With `raw`, a page the upstream client verified whole that needs
 * no null filtering comes back as its bytes; otherwise it is parsed and nulls are dropped as the instance asks.
 */
export async function forwardPage(
  engine: EngineDeps,
  instance: EngineInstance,
  target: Addressed,
  query: ExportQuery,
  lastId: number,
  raw = false,
): Promise<Result<Page>> {
  const prepared = prepareList(engine, instance, target, query);
  if (!prepared.ok) return prepared;
  const { ctx, window } = prepared.value;
  const pathAndQuery = `${prepared.value.pathAndQuery.replace(/&page=\d+$/, '')}&pageId=${lastId}`;
  const forward = { ...ctx, headers: { ...ctx.headers, 'pagination-type': 'forward-only' } };
  const sent = await sendVendor(engine, instance, forward, { method: 'GET', pathAndQuery });
  if (!sent.ok) return sent;
  const res = sent.value;
  const link = linkHasNext(res.headers.link);
  const scan = res.scan;
  if (raw && scan?.complete && !(ctx.filterNulls && scan.hasNull) && firstByte(res.chunks) === 0x5b /* [ */) {
    // Whether a full page has more is only known once it is split: the caller decides with the count.
    return ok({ bytes: res.bytes, hasMore: link ?? true });
  }
  const parsed = parseVendorJson(res.body.trim() === '' ? '[]' : res.body);
  if (!parsed.ok) return parsed;
  if (!Array.isArray(parsed.value))
    return fail(appError('UPSTREAM_ERROR', 'ConnectWise answered a list call with something other than an array'));
  const records = (ctx.filterNulls ? stripNulls(parsed.value) : parsed.value) as Array<Record<string, unknown>>;
  const hasMore = records.length >= window.pageSize && (link ?? true);
  return ok({ records, hasMore });
}

/** The first record of an ordinary (offset) list page: used to find an export's lowest and highest id. */
export async function edgeRecord(
  engine: EngineDeps,
  instance: EngineInstance,
  target: Addressed,
  query: ExportQuery,
): Promise<Result<Record<string, unknown> | undefined>> {
  const prepared = prepareList(engine, instance, target, { ...query, pageSize: 1, page: 1 });
  if (!prepared.ok) return prepared;
  const sent = await sendVendor(engine, instance, prepared.value.ctx, {
    method: 'GET',
    pathAndQuery: prepared.value.pathAndQuery,
  });
  if (!sent.ok) return sent;
  const parsed = parseVendorJson(sent.value.body.trim() === '' ? '[]' : sent.value.body);
  if (!parsed.ok) return parsed;
  if (!Array.isArray(parsed.value))
    return fail(appError('UPSTREAM_ERROR', 'ConnectWise answered a list call with something other than an array'));
  return ok(parsed.value[0] as Record<string, unknown> | undefined);
}

/**
 * How long ConnectWise takes to answer its cheapest call (`system/info`, a constant few hundred bytes): the round
 * trip an export's parallel ranges can hide. Undefined when the call fails.
 */
export async function roundTripMs(engine: EngineDeps, instance: EngineInstance): Promise<number | undefined> {
  const ctx = instanceContext(engine, instance);
  if (!ctx.ok) return undefined;
  const started = performance.now();
  const sent = await sendVendor(engine, instance, ctx.value, { method: 'GET', pathAndQuery: '/system/info' });
  return sent.ok ? performance.now() - started : undefined;
}

const RETRIES = 5;
/** How often a running export commits its file and watermark (and sees a cancel made on another node). */
const COMMIT_MS = 1_000;

/** A page kept as bytes but not splittable as it is: parsed the ordinary way. */
function parseRecords(bytes: Buffer): Result<Array<Record<string, unknown>>> {
  const parsed = parseVendorJson(bytes.toString('utf8').trim() === '' ? '[]' : bytes.toString('utf8'));
  if (!parsed.ok) return parsed;
  if (!Array.isArray(parsed.value))
    return fail(appError('UPSTREAM_ERROR', 'ConnectWise answered a list call with something other than an array'));
  return ok(parsed.value as Array<Record<string, unknown>>);
}

/** What every range of one export shares. */
export interface ExportRun {
  env: JobEnv;
  job: BulkJob;
  engine: EngineDeps;
  instance: EngineInstance;
  target: Addressed;
  key: Buffer;
  idField: string;
  pageSize: number;
  /** The export's own `where` and `fields` (the id always among the fields). */
  query: ExportQuery;
  /** Drop the id from each record (it was fetched only for the watermark). */
  dropId: boolean;
  /** Records written exactly as ConnectWise sent them are not re-serialised. */
  raw: boolean;
  /** The instance's transformation of the exported object (a common resource): each record is mapped. */
  mapping?: CompiledTransformation;
  extractedAt: string;
  signal: AbortSignal;
}

/** Where one range stands: moved forward only by what is committed to its file. */
export interface RangeState {
  /** Upper bound of ids (inclusive); null: open. */
  hi: number | null;
  lastId: number;
  count: number;
  /** Records the transformation could not map (listed at /errors, not written). */
  failed?: number;
  columns: string[];
}

export type RangeEnd =
  | { kind: 'done' }
  /** `maxPages` pages were written and committed; there are more. */
  | { kind: 'paused' }
  /** A cancel was seen at a commit, or the signal fired. */
  | { kind: 'stopped' }
  | { kind: 'failed'; message: string };

const outOfOrder = (id: unknown, after: number): RangeEnd => ({
  kind: 'failed',
  message: `ConnectWise answered a record out of id order (id ${String(id)} after ${after})`,
});

/** `where` limited to ids up to `hi` (the range's low bound is the forward-only `pageId`). */
export function rangeWhere(where: string | undefined, idField: string, hi: number | null): string | undefined {
  if (hi === null) return where;
  const bound = `${idField} <= ${hi}`;
  return where ? `(${where}) and ${bound}` : bound;
}

/**
 * Appends the records after `state.lastId` (up to `state.hi`) to `writer`. About once a second, and at the end,
 * the file is committed and `commit` is called with the state as committed; `commit` answers true to stop (a
 * cancel). `beforeFetch` may hold a fetch back (a partition waiting for room in the rate budget).
 */
export async function exportRange(
  run: ExportRun,
  state: RangeState,
  writer: SealedFileWriter,
  commit: (fileBytes: number, errors: BulkRecordError[]) => Promise<boolean>,
  beforeFetch?: () => Promise<void>,
  maxPages = Number.POSITIVE_INFINITY,
): Promise<RangeEnd> {
  const { engine, instance, target, idField, pageSize, job, signal } = run;
  const query = { ...run.query, where: rangeWhere(run.query.where, idField, state.hi) };
  const shapes = new ShapeMemo();
  const known = new Set(state.columns);
  const { columns } = state;
  const hi = state.hi ?? Number.POSITIVE_INFINITY;

  /** The page after `after`, retried with backoff; the last failure when retrying did not help. */
  const fetchPage = async (after: number): Promise<Result<Page> | typeof ABORTED> => {
    let page: Result<Page> | typeof ABORTED = fail(appError('INTERNAL', 'No attempt was made'));
    for (let attempt = 1; attempt <= RETRIES; attempt++) {
      if (beforeFetch) await beforeFetch();
      if (signal.aborted) return ABORTED;
      page = await abortable(forwardPage(engine, instance, target, query, after, run.raw), signal);
      if (page === ABORTED || page.ok) return page;
      if (!page.error.retryable || attempt === RETRIES) return page;
      await sleep(500 * 2 ** attempt, signal);
      if (signal.aborted) return ABORTED;
    }
    return page;
  };
  /** Starts a fetch whose answer may never be awaited (the range ended first): its failure is then dropped. */
  const prefetch = (after: number) => {
    const p = fetchPage(after);
    p.catch(() => undefined);
    return p;
  };

  let pending = prefetch(state.lastId);
  let committedAt = performance.now();
  let { lastId, count } = state;
  let failed = state.failed ?? 0;
  let errors: BulkRecordError[] = [];
  for (let pages = 1; ; pages++) {
    const page = await pending;
    if (page === ABORTED) return { kind: 'stopped' };
    if (!page.ok) return { kind: 'failed', message: page.error.message };
    let data: Buffer;
    let got: number;
    const split = page.value.bytes ? pageLines(page.value.bytes, idField, shapes) : undefined;
    if (split) {
      let after = lastId;
      for (const id of split.ids) {
        if (id <= after || id > hi) return outOfOrder(id, after);
        after = id;
      }
      for (const record of split.newShapes) addColumns(columns, known, JSON.parse(record.toString('utf8')));
      data = split.lines;
      got = split.count;
      lastId = after;
      count += got;
    } else {
      const parsed = page.value.records ? ok(page.value.records) : parseRecords(page.value.bytes as Buffer);
      if (!parsed.ok) return { kind: 'failed', message: parsed.error.message };
      const records = parsed.value;
      const lines: string[] = [];
      // A transformation maps the whole page in one call (its script runs once per page in the sandbox).
      const mapped = run.mapping ? await run.mapping.toCommon(records) : undefined;
      for (let k = 0; k < records.length; k++) {
        let record = records[k] as Record<string, unknown>;
        const id = Number(record[idField]);
        if (!Number.isSafeInteger(id) || id <= lastId || id > hi) return outOfOrder(record[idField], lastId);
        lastId = id;
        if (mapped) {
          const m = mapped[k];
          if (!m?.ok) {
            failed++;
            errors.push(mappingError(run, id, record, m?.ok === false ? m.error : undefined));
            continue;
          }
          // Emptied by the script under `filterEmptyResponse`: left out of the file, as from a hub list.
          if (isFilteredOut(m)) continue;
          record = m.value;
        }
        if (run.dropId) delete record[idField];
        if (job.spec.addMetadata) {
          record._metadata = {
            jobId: job.id,
            instanceId: job.instanceId,
            objectName: job.objectName,
            // In the range's file; the whole file's index is the position of the line.
            recordIndex: count,
            extractedAt: run.extractedAt,
          };
        }
        addColumns(columns, known, record);
        lines.push(JSON.stringify(record));
        count++;
      }
      data = Buffer.from(lines.length > 0 ? `${lines.join('\n')}\n` : '', 'utf8');
      got = records.length;
    }
    // The next page is asked for now, while this one is sealed, written and committed (one request ahead, so
    // never more than two pages of a range in memory).
    const more = got > 0 && got >= pageSize && page.value.hasMore;
    const pause = more && pages >= maxPages;
    if (more && !pause) pending = prefetch(lastId);
    await writer.append(data);
    // Committing (sync the file, move the watermark) about once a second rather than after every page: a crash
    // re-fetches at most that second's pages, and a busy disk's sync no longer paces the export.
    if (more && !pause && performance.now() - committedAt < COMMIT_MS) {
      if (signal.aborted) return { kind: 'stopped' };
      continue;
    }
    const fileBytes = await writer.commit();
    committedAt = performance.now();
    state.lastId = lastId;
    state.count = count;
    if (failed > 0) state.failed = failed;
    const committedErrors = errors;
    errors = [];
    if (await commit(fileBytes, committedErrors)) return { kind: 'stopped' };
    if (!more) return { kind: 'done' };
    if (pause) return { kind: 'paused' };
    if (signal.aborted) return { kind: 'stopped' };
  }
}

export async function runExport(env: JobEnv, job: BulkJob): Promise<JobEnd> {
  const { deps, signal } = env;
  const t = await jobTarget(deps, job);
  if (!t.ok) return { status: 'FAILED', infoMessage: t.error.message };
  const { engine, instance, target, key } = t.value;
  const idField = target.endpoint.idField;
  const spec = job.spec;
  // The watermark needs every record's id, even when `select` names other fields.
  const fields = spec.fields ? [...new Set([...spec.fields, idField])].join(',') : undefined;
  // A common resource's records are mapped (the transformation decides which fields remain).
  const mapping = spec.vendorObject ? await transformationFor(deps, job.instanceId, job.objectName) : undefined;
  if (spec.vendorObject && !mapping)
    return { status: 'FAILED', infoMessage: `No transformation ${job.objectName} applies to the instance any more` };
  const dropId = !mapping && spec.fields !== undefined && !spec.fields.includes(idField);
  const pageSize = Number(instance.config['pagination.max']);
  const run: ExportRun = {
    env,
    job,
    engine,
    instance,
    target,
    key,
    idField,
    pageSize,
    query: { ...(spec.where ? { where: spec.where } : {}), ...(fields ? { fields } : {}), pageSize },
    dropId,
    raw: !spec.addMetadata && !dropId && !mapping,
    ...(mapping ? { mapping } : {}),
    extractedAt: new Date().toISOString(),
    signal,
  };

  const w = job.watermark;
  if (w.parts)
    return runPartitioned(run, w.parts, {
      merged: w.merged ?? 0,
      resultBytes: w.resultBytes ?? 0,
      merging: w.merging ?? false,
    });
  // A fresh job writes its first page, then decides once whether to split the rest into id ranges (only an
  // export with more than a page pays the one extra request that finds the highest id).
  const fresh = job.watermark.lastId === undefined && job.recordsCount === 0;
  const wanted = fresh ? deps.config.CONDUIT_BULK_PARTITIONS : 1;

  const db = bulkDb(deps.store.db);
  const state: RangeState = {
    hi: null,
    lastId: job.watermark.lastId ?? 0,
    count: job.recordsCount,
    ...(job.recordsFailedCount > 0 ? { failed: job.recordsFailedCount } : {}),
    columns: [...job.columns],
  };
  let fileBytes = job.fileBytes;
  const commit = async (bytes: number, errors: BulkRecordError[], parts?: PartState[]) => {
    fileBytes = bytes;
    const { cancelRequested } = await db.transaction().execute(async (trx) => {
      await insertErrors(trx, job.id, errors);
      return commitProgress(trx, job.id, {
        watermark: parts ? { parts, merged: 1, resultBytes: bytes, merging: false } : { lastId: state.lastId },
        recordsCount: state.count,
        recordsFailedCount: state.failed ?? 0,
        fileBytes: bytes,
        columns: state.columns,
        leaseUntil: new Date(Date.now() + env.leaseMs).toISOString(),
      });
    });
    return cancelRequested;
  };
  const writer = await SealedFileWriter.open(jobFiles(env.dir, job.id).result, key, 'export', job.fileBytes);
  let end: RangeEnd;
  try {
    end = await exportRange(run, state, writer, commit, undefined, wanted > 1 ? 1 : Number.POSITIVE_INFINITY);
    if (end.kind === 'paused') {
      const parts = await planParts(run, wanted, state, fileBytes);
      if (parts === ABORTED) return abortedEnd(signal);
      if (parts) {
        // The first page stays in the result file as range 0 (done, appended); the others' files follow it.
        if (await commit(fileBytes, [], parts)) return { status: 'CANCELLED', infoMessage: 'Cancelled' };
        await writer.close();
        return runPartitioned(run, parts, { merged: 1, resultBytes: fileBytes, merging: false });
      } else end = await exportRange(run, state, writer, commit);
    }
  } finally {
    await writer.close().catch(() => undefined);
  }
  return rangeEndToJob(end, signal, state.count);
}

/** A record the transformation could not map: listed at /errors (recordIndex is its ConnectWise id). */
function mappingError(
  run: ExportRun,
  id: number,
  record: Record<string, unknown>,
  error: { code: string; message: string; line?: number } | undefined,
): BulkRecordError {
  const line = error?.line !== undefined ? ` at line ${error.line}` : '';
  return {
    recordIndex: id,
    record: sealRecord(run.key, record),
    status: 502,
    message: `Transformation ${run.job.objectName} failed${line}: ${error?.message ?? 'no result'}`.slice(0, 2000),
    providerMessage: null,
  };
}

/** How a range's end ends the job (a stop is a cancel or a shutdown, as the signal says). */
export function rangeEndToJob(end: RangeEnd, signal: AbortSignal, count: number): JobEnd {
  if (end.kind === 'done') return { status: 'COMPLETED' };
  if (end.kind === 'failed')
    return { status: 'FAILED', infoMessage: `Export stopped after ${count} records: ${end.message}` };
  return signal.aborted ? abortedEnd(signal) : { status: 'CANCELLED', infoMessage: 'Cancelled' };
}
