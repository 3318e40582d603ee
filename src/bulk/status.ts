// The status object of a bulk job, as Cloud Elements answered `GET /bulk/{id}/status` (cloud-elements-api.md §4),
// plus Conduit's progress fields. The same object is the body of the job's async callback.
import type { BulkJob } from './jobs.ts';

export function statusView(job: BulkJob) {
  return {
    id: job.id,
    status: job.status,
    recordsCount: job.recordsCount,
    recordsFailedCount: job.recordsFailedCount,
    object_name: job.objectName,
    job_direction: job.direction === 'export' ? 'DOWNLOAD' : 'UPLOAD',
    bulk_start_time: job.startedAt,
    bulk_finish_time: job.finishedAt,
    fileFormat: job.direction === 'export' ? 'JSONL' : (job.spec.uploadFormat ?? 'json').toUpperCase(),
    fileSize: job.direction === 'export' ? job.fileBytes : job.uploadBytes,
    instanceId: job.instanceId,
    infoMessage: job.infoMessage,
    createdDate: job.createdAt,
    /** Import: records in the uploaded file (known at submission). */
    ...(job.spec.totalRecords !== undefined ? { recordsTotal: job.spec.totalRecords } : {}),
    ...(job.expiresAt ? { expiresDate: job.expiresAt } : {}),
    metadata: {
      ...(job.spec.where ? { where: job.spec.where } : {}),
      ...(job.spec.fields ? { fields: job.spec.fields } : {}),
      ...(job.spec.from ? { from: job.spec.from } : {}),
      ...(job.spec.action ? { action: job.spec.action } : {}),
      ...(job.spec.identifierFieldName ? { identifierFieldName: job.spec.identifierFieldName } : {}),
    },
  };
}

export type StatusView = ReturnType<typeof statusView>;
