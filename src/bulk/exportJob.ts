// Export: ConnectWise forward-only pages (`pagination-type: forward-only`, `pageId=<last id>`, the vendor's id
// order) so every page costs the same as the first, each page appended to the sealed result file and committed
// with the watermark in one step. A restarted job cuts the file back to the committed length and continues after
// the committed last id: every record lands in the file exactly once.

import { firstByte } from '../engine/chunks.ts';
import { type Addressed, type EngineDeps, type EngineInstance, prepareList, stripNulls } from '../engine/index.ts';
import { linkHasNext } from '../engine/paging.ts';
import { parseVendorJson, sendVendor } from '../engine/vendor.ts';
import { appError, fail, ok, type Result } from '../errors/index.ts';
import { addColumns } from './csv.ts';
import { jobFiles } from './files.ts';
import { ABORTED, abortable, abortedEnd, type JobEnd, type JobEnv, jobTarget, sleep } from './jobContext.ts';
import { type BulkJob, bulkDb, commitProgress } from './jobs.ts';
import { pageLines, ShapeMemo } from './pageLines.ts';
import { SealedFileWriter } from './sealedFile.ts';

/** A page as received: its bytes when they may be written as they are, else its records parsed. */
type Page = { hasMore: boolean } & (
  | { bytes: Buffer; records?: undefined }
  | { records: Array<Record<string, unknown>>; bytes?: undefined }
);

/**
 * One forward-only page after `lastId`: the list request (CEQL translated by the hub's own translator) with
 * ConnectWise's forward-only header and `pageId`. With `raw`, a page the upstream client verified whole that needs
 * no null filtering comes back as its bytes; otherwise it is parsed and nulls are dropped as the instance asks.
 */
export async function forwardPage(
  engine: EngineDeps,
  instance: EngineInstance,
  target: Addressed,
  query: { where?: string; fields?: string; pageSize: number },
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
const RETRIES = 5;
/** How often a running export commits its file and watermark (and sees a cancel made on another node). */
const COMMIT_MS = 1_000;

const outOfOrder = (id: unknown, after: number): JobEnd => ({
  status: 'FAILED',
  infoMessage: `ConnectWise answered a record out of id order (id ${String(id)} after ${after})`,
});

/** A page kept as bytes but not splittable as it is: parsed the ordinary way. */
function parseRecords(bytes: Buffer): Result<Array<Record<string, unknown>>> {
  const parsed = parseVendorJson(bytes.toString('utf8').trim() === '' ? '[]' : bytes.toString('utf8'));
  if (!parsed.ok) return parsed;
  if (!Array.isArray(parsed.value))
    return fail(appError('UPSTREAM_ERROR', 'ConnectWise answered a list call with something other than an array'));
  return ok(parsed.value as Array<Record<string, unknown>>);
}

export async function runExport(env: JobEnv, job: BulkJob): Promise<JobEnd> {
  const { deps, signal } = env;
  const db = bulkDb(deps.store.db);
  const t = await jobTarget(deps, job);
  if (!t.ok) return { status: 'FAILED', infoMessage: t.error.message };
  const { engine, instance, target, key } = t.value;
  const idField = target.endpoint.idField;
  const spec = job.spec;
  // The watermark needs every record's id, even when `select` names other fields.
  const fields = spec.fields ? [...new Set([...spec.fields, idField])].join(',') : undefined;
  const dropId = spec.fields !== undefined && !spec.fields.includes(idField);
  const pageSize = Number(instance.config['pagination.max']);
  const query = { ...(spec.where ? { where: spec.where } : {}), ...(fields ? { fields } : {}), pageSize };
  // Records written exactly as ConnectWise sent them (no field added or removed) are not re-serialised.
  const raw = !spec.addMetadata && !dropId;
  const shapes = new ShapeMemo();

  /** The page after `after`, retried with backoff; the last failure when retrying did not help. */
  const fetchPage = async (after: number): Promise<Result<Page> | typeof ABORTED> => {
    let page: Result<Page> | typeof ABORTED = fail(appError('INTERNAL', 'No attempt was made'));
    for (let attempt = 1; attempt <= RETRIES; attempt++) {
      page = await abortable(forwardPage(engine, instance, target, query, after, raw), signal);
      if (page === ABORTED || page.ok) return page;
      if (!page.error.retryable || attempt === RETRIES) return page;
      await sleep(500 * 2 ** attempt, signal);
      if (signal.aborted) return ABORTED;
    }
    return page;
  };
  /** Starts a fetch whose answer may never be awaited (the job ended first): its failure is then dropped. */
  const prefetch = (after: number) => {
    const p = fetchPage(after);
    p.catch(() => undefined);
    return p;
  };

  const writer = await SealedFileWriter.open(jobFiles(env.dir, job.id).result, key, 'export', job.fileBytes);
  try {
    let lastId = job.watermark.lastId ?? 0;
    let count = job.recordsCount;
    const columns = [...job.columns];
    const known = new Set(columns);
    const extractedAt = new Date().toISOString();
    let pending = prefetch(lastId);
    let committedAt = performance.now();
    for (;;) {
      const page = await pending;
      if (page === ABORTED) return abortedEnd(signal);
      if (!page.ok)
        return { status: 'FAILED', infoMessage: `Export stopped after ${count} records: ${page.error.message}` };
      let data: Buffer;
      let got: number;
      const split = page.value.bytes ? pageLines(page.value.bytes, idField, shapes) : undefined;
      if (split) {
        let after = lastId;
        for (const id of split.ids) {
          if (id <= after) return outOfOrder(id, after);
          after = id;
        }
        for (const record of split.newShapes) addColumns(columns, known, JSON.parse(record.toString('utf8')));
        data = split.lines;
        got = split.count;
        lastId = after;
        count += got;
      } else {
        const parsed = page.value.records ? ok(page.value.records) : parseRecords(page.value.bytes as Buffer);
        if (!parsed.ok)
          return { status: 'FAILED', infoMessage: `Export stopped after ${count} records: ${parsed.error.message}` };
        const records = parsed.value;
        const lines: string[] = [];
        for (const record of records) {
          const id = Number(record[idField]);
          if (!Number.isSafeInteger(id) || id <= lastId) return outOfOrder(record[idField], lastId);
          lastId = id;
          if (dropId) delete record[idField];
          if (spec.addMetadata) {
            record._metadata = {
              jobId: job.id,
              instanceId: job.instanceId,
              objectName: job.objectName,
              recordIndex: count,
              extractedAt,
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
      // still one vendor call at a time per job most of the time, and never more than two pages in memory).
      const more = got > 0 && got >= pageSize && page.value.hasMore;
      if (more) pending = prefetch(lastId);
      await writer.append(data);
      // Committing (sync the file, move the watermark) about once a second rather than after every page: a crash
      // re-fetches at most that second's pages, and a busy disk's sync no longer paces the export.
      if (more && performance.now() - committedAt < COMMIT_MS) {
        if (signal.aborted) return abortedEnd(signal);
        continue;
      }
      const fileBytes = await writer.commit();
      committedAt = performance.now();
      const { cancelRequested } = await commitProgress(db, job.id, {
        watermark: { lastId },
        recordsCount: count,
        recordsFailedCount: 0,
        fileBytes,
        columns,
        leaseUntil: new Date(Date.now() + env.leaseMs).toISOString(),
      });
      if (cancelRequested) return { status: 'CANCELLED', infoMessage: 'Cancelled' };
      if (!more) return { status: 'COMPLETED' };
      if (signal.aborted) return abortedEnd(signal);
    }
  } finally {
    await writer.close();
  }
}
