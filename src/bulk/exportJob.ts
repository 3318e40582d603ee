// Export: ConnectWise forward-only pages (`pagination-type: forward-only`, `pageId=<last id>`, the vendor's id
// order) so every page costs the same as the first, each page appended to the sealed result file and committed
// with the watermark in one step. A restarted job cuts the file back to the committed length and continues after
// the committed last id: every record lands in the file exactly once.
import { type Addressed, type EngineDeps, type EngineInstance, prepareList, stripNulls } from '../engine/index.ts';
import { linkHasNext } from '../engine/paging.ts';
import { parseVendorJson, sendVendor } from '../engine/vendor.ts';
import { type AppError, appError, fail, ok, type Result } from '../errors/index.ts';
import { addColumns } from './csv.ts';
import { jobFiles } from './files.ts';
import { ABORTED, abortable, abortedEnd, type JobEnd, type JobEnv, jobTarget, sleep } from './jobContext.ts';
import { type BulkJob, bulkDb, commitProgress } from './jobs.ts';
import { SealedFileWriter } from './sealedFile.ts';

type Page = { records: Array<Record<string, unknown>>; hasMore: boolean };

/**
 * One forward-only page after `lastId`: the list request (CEQL translated by the hub's own translator) with
 * ConnectWise's forward-only header and `pageId`; nulls dropped as the instance asks.
 */
export async function forwardPage(
  engine: EngineDeps,
  instance: EngineInstance,
  target: Addressed,
  query: { where?: string; fields?: string; pageSize: number },
  lastId: number,
): Promise<Result<Page>> {
  const prepared = prepareList(engine, instance, target, query);
  if (!prepared.ok) return prepared;
  const { ctx, window } = prepared.value;
  const pathAndQuery = `${prepared.value.pathAndQuery.replace(/&page=\d+$/, '')}&pageId=${lastId}`;
  const forward = { ...ctx, headers: { ...ctx.headers, 'pagination-type': 'forward-only' } };
  const sent = await sendVendor(engine, instance, forward, { method: 'GET', pathAndQuery });
  if (!sent.ok) return sent;
  const parsed = parseVendorJson(sent.value.body.trim() === '' ? '[]' : sent.value.body);
  if (!parsed.ok) return parsed;
  if (!Array.isArray(parsed.value))
    return fail(appError('UPSTREAM_ERROR', 'ConnectWise answered a list call with something other than an array'));
  const records = (ctx.filterNulls ? stripNulls(parsed.value) : parsed.value) as Page['records'];
  const hasMore = records.length >= window.pageSize && (linkHasNext(sent.value.headers.link) ?? true);
  return ok({ records, hasMore });
}

const RETRIES = 5;

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
  const writer = await SealedFileWriter.open(jobFiles(env.dir, job.id).result, key, 'export', job.fileBytes);
  try {
    let lastId = job.watermark.lastId ?? 0;
    let count = job.recordsCount;
    const columns = [...job.columns];
    const known = new Set(columns);
    const extractedAt = new Date().toISOString();
    for (;;) {
      let page: Result<Page> | typeof ABORTED | undefined;
      let failure: AppError | undefined;
      for (let attempt = 1; attempt <= RETRIES; attempt++) {
        page = await abortable(
          forwardPage(
            engine,
            instance,
            target,
            {
              ...(spec.where ? { where: spec.where } : {}),
              ...(fields ? { fields } : {}),
              pageSize: Number(instance.config['pagination.max']),
            },
            lastId,
          ),
          signal,
        );
        if (page === ABORTED) return abortedEnd(signal);
        if (page.ok) break;
        failure = page.error;
        if (!page.error.retryable || attempt === RETRIES) break;
        await sleep(500 * 2 ** attempt, signal);
        if (signal.aborted) return abortedEnd(signal);
      }
      if (!page || page === ABORTED || !page.ok) {
        return { status: 'FAILED', infoMessage: `Export stopped after ${count} records: ${failure?.message}` };
      }
      const records = page.value.records;
      const lines: string[] = [];
      for (const record of records) {
        const id = Number(record[idField]);
        if (!Number.isSafeInteger(id) || id <= lastId) {
          return {
            status: 'FAILED',
            infoMessage: `ConnectWise answered a record out of id order (id ${String(record[idField])} after ${lastId})`,
          };
        }
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
      if (lines.length > 0) await writer.append(Buffer.from(`${lines.join('\n')}\n`, 'utf8'));
      const fileBytes = await writer.commit();
      const { cancelRequested } = await commitProgress(db, job.id, {
        watermark: { lastId },
        recordsCount: count,
        recordsFailedCount: 0,
        fileBytes,
        columns,
        leaseUntil: new Date(Date.now() + env.leaseMs).toISOString(),
      });
      if (cancelRequested) return { status: 'CANCELLED', infoMessage: 'Cancelled' };
      if (records.length === 0 || !page.value.hasMore) return { status: 'COMPLETED' };
      if (signal.aborted) return abortedEnd(signal);
    }
  } finally {
    await writer.close();
  }
}
