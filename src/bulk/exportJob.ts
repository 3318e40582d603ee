// Export: id-range pages (`<where> AND id > <last id>`, the vendor's id order) so every page costs the same as
// the first, each page appended to the sealed result file and committed with the watermark in one step. A
// restarted job cuts the file back to the committed length and continues after the committed last id: every
// record lands in the file exactly once.
import { listParsed } from '../engine/read.ts';
import type { AppError } from '../errors/index.ts';
import { addColumns } from './csv.ts';
import { jobFiles } from './files.ts';
import { ABORTED, abortable, abortedEnd, type JobEnd, type JobEnv, jobTarget, sleep } from './jobContext.ts';
import { type BulkJob, bulkDb, commitProgress } from './jobs.ts';
import { SealedFileWriter } from './sealedFile.ts';

const RETRIES = 5;

export function pageWhere(where: string | undefined, lastId: number): string {
  return where ? `(${where}) AND id > ${lastId}` : `id > ${lastId}`;
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
  const writer = await SealedFileWriter.open(jobFiles(env.dir, job.id).result, key, 'export', job.fileBytes);
  try {
    let lastId = job.watermark.lastId ?? 0;
    let count = job.recordsCount;
    const columns = [...job.columns];
    const known = new Set(columns);
    const extractedAt = new Date().toISOString();
    for (;;) {
      let page: Awaited<ReturnType<typeof listParsed>> | typeof ABORTED | undefined;
      let failure: AppError | undefined;
      for (let attempt = 1; attempt <= RETRIES; attempt++) {
        page = await abortable(
          listParsed(engine, instance, target, {
            where: pageWhere(spec.where, lastId),
            pageSize: Number(instance.config['pagination.max']),
            ...(fields ? { fields } : {}),
          }),
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
