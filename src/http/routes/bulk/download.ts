// GET /hubs/{hub}/bulk/{id}/{object}: the result file of an ended export, streamed from disk (decrypted chunk by
// chunk), as JSON Lines (Accept: application/json or application/x-ndjson) or CSV (Accept: text/csv →
// Content-Type exactly text/csv), `?format=` overriding Accept; Content-Length always, one Range per request.

import type { OutgoingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { CsvRenderer } from '../../../bulk/csvRender.ts';
import {
  type BulkJob,
  bulkDir,
  csvHeader,
  jobFiles,
  openDataKey,
  readSealedRange,
  sealedFileSize,
  writeSealedFile,
} from '../../../bulk/index.ts';
import { AppFailure, appError } from '../../../errors/index.ts';
import type { PlatformDeps } from '../../../platform/index.ts';
import { ownJob } from './context.ts';
import { bulkErrors } from './schemas.ts';

type Kind = { format: 'jsonl' | 'csv'; contentType: string };

const BY_FORMAT: Record<string, Kind> = {
  csv: { format: 'csv', contentType: 'text/csv' },
  json: { format: 'jsonl', contentType: 'application/json' },
  jsonl: { format: 'jsonl', contentType: 'application/x-ndjson' },
  ndjson: { format: 'jsonl', contentType: 'application/x-ndjson' },
};

const BY_TYPE: Record<string, Kind> = {
  'text/csv': BY_FORMAT.csv as Kind,
  'text/*': BY_FORMAT.csv as Kind,
  'application/json': BY_FORMAT.json as Kind,
  'application/x-ndjson': BY_FORMAT.ndjson as Kind,
  'application/jsonl': BY_FORMAT.ndjson as Kind,
  'application/x-jsonlines': BY_FORMAT.ndjson as Kind,
  'application/*': BY_FORMAT.json as Kind,
  '*/*': BY_FORMAT.json as Kind,
};

export function negotiate(accept: string | undefined, format: string | undefined): Kind {
  if (format !== undefined) {
    const kind = BY_FORMAT[format.toLowerCase()];
    if (!kind)
      throw new AppFailure(
        appError('INVALID_PARAMETER', `format must be csv, json, jsonl or ndjson (got ${format})`, { field: 'format' }),
      );
    return kind;
  }
  if (!accept || accept.trim() === '') return BY_FORMAT.json as Kind;
  const types = accept
    .split(',')
    .map((t) => {
      const [type = '', ...params] = t.split(';').map((p) => p.trim().toLowerCase());
      const q = params.find((p) => p.startsWith('q='));
      return { type, q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((t) => t.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const t of types) {
    const kind = BY_TYPE[t.type];
    if (kind) return kind;
  }
  throw new AppFailure(
    appError(
      'NOT_ACCEPTABLE',
      `Accept ${JSON.stringify(accept)} is not supported: bulk results are application/json or application/x-ndjson (JSON Lines) or text/csv`,
      { field: 'Accept' },
    ),
  );
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` within `total`; undefined for no Range. Several ranges are refused. */
export function parseRange(header: string | undefined, total: number): { start: number; end: number } | undefined {
  if (!header) return undefined;
  const unsatisfiable = () =>
    new AppFailure(
      appError('RANGE_NOT_SATISFIABLE', `Range ${header} is not within the ${total} bytes of this file`, {
        headers: { 'content-range': `bytes */${total}` },
      }),
    );
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) throw unsatisfiable();
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, total - Number(m[2]));
    end = total;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? total : Math.min(total, Number(m[2]) + 1);
  }
  if (start >= total || end <= start) throw unsatisfiable();
  return { start, end };
}

/** The CSV rendering of a result: the header of every column seen, then one row per JSON line. */
async function* csvOf(path: string, key: Buffer, job: BulkJob): AsyncGenerator<string> {
  yield csvHeader(job.columns);
  const renderer = new CsvRenderer(job.columns);
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of readSealedRange(path, key, 'export', job.fileBytes)) {
    const lines = (rest + decoder.decode(chunk, { stream: true })).split('\n');
    rest = lines.pop() ?? '';
    let out = '';
    for (const line of lines) if (line) out += renderer.line(line);
    yield out;
  }
}

export function downloadRoute(deps: PlatformDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const dir = bulkDir(deps.config.CONDUIT_DATA_DIR);
    app.get(
      '/hubs/:hub/bulk/:id/:object',
      {
        config: { auth: 'element' },
        schema: {
          params: Type.Object({ hub: Type.String(), id: Type.Integer({ minimum: 1 }), object: Type.String() }),
          querystring: Type.Object(
            { format: Type.Optional(Type.String({ maxLength: 20 })), json: Type.Optional(Type.String()) },
            { additionalProperties: true },
          ),
          response: { ...bulkErrors },
        },
      },
      async (request, reply) => {
        const { job } = await ownJob(deps, request, reply, request.params.id);
        const object = request.params.object;
        if (job.direction !== 'export') {
          throw new AppFailure(
            appError('NOT_FOUND', `Bulk job ${job.id} is an upload: read its failures at /bulk/${job.id}/errors`),
          );
        }
        if (object !== job.objectName && object !== job.objectName.split('/').pop()) {
          throw new AppFailure(appError('NOT_FOUND', `Bulk job ${job.id} exported ${job.objectName}, not ${object}`));
        }
        const kind = negotiate(request.headers.accept, request.query.format);
        if (job.status === 'CREATED' || job.status === 'RUNNING') {
          throw new AppFailure(
            appError('CONFLICT', `Bulk job ${job.id} is ${job.status}; download it when it has ended`, {
              retryable: true,
            }),
          );
        }
        const key = openDataKey(deps.box, job.dataKey);
        const files = jobFiles(dir, job.id);
        let path = files.result;
        let total = job.fileBytes;
        let fileKind = 'export';
        if (kind.format === 'csv') {
          path = files.csv;
          fileKind = 'csv';
          total =
            (await sealedFileSize(files.csv)) ??
            (await writeSealedFile(files.csv, key, 'csv', csvOf(files.result, key, job)));
        }
        const range = parseRange(request.headers.range, total);
        const start = range?.start ?? 0;
        const end = range?.end ?? total;
        reply.header('content-type', kind.contentType);
        reply.header('content-length', String(end - start));
        reply.header('accept-ranges', 'bytes');
        reply.header(
          'content-disposition',
          `attachment; filename="${job.objectName.replaceAll('/', '-')}-${job.id}.${kind.format}"`,
        );
        reply.header('Elements-Returned-Count', String(job.recordsCount));
        if (range) reply.header('content-range', `bytes ${start}-${end - 1}/${total}`);
        const status = range ? 206 : 200;
        reply.hijack();
        reply.raw.writeHead(status, reply.getHeaders() as OutgoingHttpHeaders);
        if (end - start === 0) {
          reply.raw.end();
          return reply;
        }
        await pipeline(Readable.from(readSealedRange(path, key, fileKind, total, start, end)), reply.raw).catch(
          (e: Error) => {
            request.log.warn({ err: e, jobId: job.id }, 'bulk download interrupted');
            reply.raw.destroy();
          },
        );
        return reply;
      },
    );
  };
}
