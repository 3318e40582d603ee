// The bulk operations in an element's OpenAPI document (GET /elements/{key}/docs, /instances/{id}/docs).
type Doc = Record<string, unknown>;

const json = (schema: unknown) => ({ 'application/json': { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errors = Object.fromEntries(
  [400, 401, 404, 409, 413, 415, 507].map((s) => [s, { description: 'Error', content: json(ref('Error')) }]),
);
const jobId = { name: 'id', in: 'path', required: true, schema: { type: 'integer' } };
const callbackHeader = {
  name: 'Elements-Async-Callback-Url',
  in: 'header',
  schema: { type: 'string', format: 'uri' },
  description: 'Receives a POST of the status object when the job ends (signed like event notifications)',
};
const created = { 200: { description: 'Job created', content: json(ref('BulkCreated')) }, ...errors };

export const bulkSchemas: Record<string, unknown> = {
  BulkCreated: {
    type: 'object',
    properties: { id: { type: 'integer' }, status: { type: 'string', enum: ['CREATED'] } },
  },
  BulkStatus: {
    type: 'object',
    properties: {
      id: { type: 'integer' },
      status: { type: 'string', enum: ['CREATED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'] },
      recordsCount: { type: 'integer' },
      recordsFailedCount: { type: 'integer' },
      object_name: { type: 'string' },
      job_direction: { type: 'string', enum: ['DOWNLOAD', 'UPLOAD'] },
      bulk_start_time: { type: 'string', nullable: true },
      bulk_finish_time: { type: 'string', nullable: true },
      fileFormat: { type: 'string' },
      fileSize: { type: 'integer' },
      instanceId: { type: 'integer' },
      infoMessage: { type: 'string', nullable: true },
    },
  },
  BulkError: {
    type: 'object',
    properties: {
      recordIndex: { type: 'integer' },
      record: { type: 'object', additionalProperties: true },
      status: { type: 'integer' },
      message: { type: 'string' },
      providerMessage: { type: 'string', nullable: true },
    },
  },
};

export function bulkOpenApiPaths(hub: string, flags: { download: boolean; upload: boolean }): Record<string, Doc> {
  const base = `/hubs/${hub}/bulk`;
  const paths: Record<string, Doc> = {};
  if (flags.download) {
    paths[`${base}/query`] = {
      post: {
        tags: ['bulk'],
        summary: 'Start an export job',
        parameters: [
          {
            name: 'q',
            in: 'query',
            schema: { type: 'string' },
            description: 'select * from contacts [where CEQL] (or a JSON body {"query": …}, or a form field)',
          },
          {
            name: 'from',
            in: 'query',
            schema: { type: 'string', format: 'date-time' },
            description: 'Incremental export',
          },
          callbackHeader,
        ],
        responses: created,
      },
    };
    paths[`${base}/{id}/{objectName}`] = {
      get: {
        tags: ['bulk'],
        summary: 'Download the result (JSON Lines or CSV by Accept or ?format=; Range supported)',
        parameters: [
          jobId,
          { name: 'objectName', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'format', in: 'query', schema: { type: 'string', enum: ['jsonl', 'json', 'ndjson', 'csv'] } },
        ],
        responses: {
          200: {
            description: 'The records',
            content: {
              'application/json': { schema: { type: 'string', description: 'JSON Lines' } },
              'application/x-ndjson': { schema: { type: 'string' } },
              'text/csv': { schema: { type: 'string' } },
            },
          },
          206: { description: 'A byte range of the file' },
          ...errors,
        },
      },
    };
  }
  if (flags.upload) {
    paths[`${base}/{objectName}`] = {
      post: {
        tags: ['bulk'],
        summary: 'Start an import job (multipart: file, metaData)',
        parameters: [{ name: 'objectName', in: 'path', required: true, schema: { type: 'string' } }, callbackHeader],
        requestBody: {
          content: {
            'multipart/form-data': {
              schema: {
                type: 'object',
                properties: {
                  file: { type: 'string', format: 'binary', description: 'CSV, a JSON array or JSON Lines' },
                  metaData: {
                    type: 'string',
                    description:
                      '{"identifierFieldName": "id", "action": "create|update|upsert", "format": "csv|json|jsonl"}',
                  },
                },
                required: ['file'],
              },
            },
          },
        },
        responses: created,
      },
    };
    paths[`${base}/{id}/errors`] = {
      get: {
        tags: ['bulk'],
        summary: 'Records an import could not write (paged; no Elements-Next-Page-Token on the last page)',
        parameters: [
          jobId,
          { name: 'pageSize', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
          { name: 'nextPage', in: 'query', schema: { type: 'string' } },
        ],
        responses: { 200: { description: 'OK', content: json({ type: 'array', items: ref('BulkError') }) }, ...errors },
      },
    };
  }
  if (flags.download || flags.upload) {
    paths[`${base}/{id}/status`] = {
      get: {
        tags: ['bulk'],
        summary: 'Job status',
        parameters: [jobId],
        responses: { 200: { description: 'OK', content: json(ref('BulkStatus')) }, ...errors },
      },
    };
    paths[`${base}/{id}/cancel`] = {
      put: {
        tags: ['bulk'],
        summary: 'Cancel a job (a running one ends CANCELLED within seconds)',
        parameters: [jobId],
        responses: { 200: { description: 'OK', content: json(ref('BulkStatus')) }, ...errors },
      },
    };
    paths[`${base}/jobs`] = {
      get: {
        tags: ['bulk'],
        summary: "The organization's jobs, newest first (also GET /bulk)",
        parameters: [
          { name: 'pageSize', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } },
          { name: 'nextPage', in: 'query', schema: { type: 'string' } },
        ],
        responses: {
          200: { description: 'OK', content: json({ type: 'array', items: ref('BulkStatus') }) },
          ...errors,
        },
      },
    };
  }
  return paths;
}
