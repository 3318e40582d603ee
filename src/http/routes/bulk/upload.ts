// POST /hubs/{hub}/bulk/{object}: multipart with part `file` (CSV, a JSON array or JSON Lines) and an optional
// part `metaData` (JSON: identifierFieldName, action, format). The file is sealed to disk as it arrives, then
// read back once to check it (format, column counts) and count its records: a malformed file is a 4xx now,
// never a failed job. → {id, status: "CREATED"}.
import { randomBytes } from 'node:crypto';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import {
  type BulkSpec,
  bulkDb,
  bulkDir,
  bulkRunner,
  bulkTarget,
  checkCallbackUrl,
  checkQuota,
  detectFormat,
  insertJob,
  jobFiles,
  newDataKey,
  readRecords,
  readSealedRange,
  releaseJobLease,
  SealedFileWriter,
  type UploadFormat,
  UploadFormatError,
} from '../../../bulk/index.ts';
import { removeFile } from '../../../bulk/sealedFile.ts';
import { AppFailure, appError, unwrap } from '../../../errors/index.ts';
import type { PlatformDeps } from '../../../platform/index.ts';
import { transformationFor } from '../../../transformations/resolve.ts';
import { hubInstance } from '../hub/instance.ts';
import { callbackUrlOf } from './context.ts';
import { bulkErrors, Created } from './schemas.ts';

interface MetaData {
  identifierFieldName?: string;
  action?: 'create' | 'update' | 'upsert';
  format?: string;
}

const bad = (message: string, field?: string) =>
  new AppFailure(appError('BAD_REQUEST', message, field ? { field } : {}));

/** `metaData` as text, or as the value @fastify/multipart already parsed (a part labelled application/json). */
function parseMetaData(input: unknown): MetaData {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      throw bad('metaData is not valid JSON', 'metaData');
    }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw bad('metaData must be a JSON object', 'metaData');
  const m = value as Record<string, unknown>;
  const out: MetaData = {};
  if (m.identifierFieldName !== undefined) {
    if (typeof m.identifierFieldName !== 'string' || !/^[A-Za-z_$][A-Za-z0-9_$.]*$/.test(m.identifierFieldName))
      throw bad('metaData.identifierFieldName must be a field name such as "id"', 'metaData.identifierFieldName');
    out.identifierFieldName = m.identifierFieldName;
  }
  if (m.action !== undefined) {
    if (m.action !== 'create' && m.action !== 'update' && m.action !== 'upsert')
      throw bad('metaData.action must be "create", "update" or "upsert"', 'metaData.action');
    out.action = m.action;
  }
  if (m.format !== undefined) {
    if (typeof m.format !== 'string' || !detectFormat(undefined, undefined, m.format))
      throw bad('metaData.format must be "csv", "json" or "jsonl"', 'metaData.format');
    out.format = m.format;
  }
  return out;
}

async function sniff(path: string, key: Buffer, total: number): Promise<UploadFormat | undefined> {
  for await (const chunk of readSealedRange(path, key, 'upload', total, 0, Math.min(total, 4096))) {
    const first = chunk
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trimStart()[0];
    if (first === '[') return 'json';
    if (first === '{') return 'jsonl';
    return undefined;
  }
  return undefined;
}

interface Received {
  temp: string;
  bytes: number;
  contentType: string | undefined;
  fileName: string | undefined;
  meta: MetaData;
}

async function receive(request: FastifyRequest, dir: string, key: Buffer, maxBytes: number, maxMb: number) {
  const temp = join(dir, `upload-${randomBytes(8).toString('hex')}.tmp`);
  let got: Omit<Received, 'meta'> | undefined;
  let meta: MetaData = {};
  try {
    for await (const part of request.parts({ limits: { fileSize: maxBytes, files: 2, fieldSize: 64 * 1024 } })) {
      if (part.type === 'field') {
        if (part.fieldname === 'metaData') meta = parseMetaData(part.value);
        continue;
      }
      if (part.fieldname === 'metaData') {
        meta = parseMetaData((await part.toBuffer()).toString('utf8'));
        continue;
      }
      if (part.fieldname !== 'file' || got) {
        part.file.resume();
        continue;
      }
      const writer = await SealedFileWriter.open(temp, key, 'upload', 0);
      try {
        for await (const chunk of part.file) await writer.append(chunk as Buffer);
        got = { temp, bytes: await writer.commit(), contentType: part.mimetype, fileName: part.filename };
      } finally {
        await writer.close();
      }
    }
  } catch (e) {
    await removeFile(temp);
    const err = e as Error & { code?: string };
    if (err.code === 'FST_REQ_FILE_TOO_LARGE')
      throw new AppFailure(
        appError(
          'PAYLOAD_TOO_LARGE',
          `The file is larger than the ${maxMb} MB upload limit (CONDUIT_BULK_MAX_UPLOAD_MB)`,
        ),
      );
    if (e instanceof AppFailure) throw e;
    throw bad(`The multipart body could not be read: ${err.message}`);
  }
  if (!got)
    throw new AppFailure(
      appError('MISSING_PARAMETER', 'The multipart body has no part named "file"', { field: 'file' }),
    );
  return { ...got, meta };
}

export function uploadRoute(deps: PlatformDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const dir = bulkDir(deps.config.CONDUIT_DATA_DIR);
    const maxMb = deps.config.CONDUIT_BULK_MAX_UPLOAD_MB;
    const maxBytes = Math.floor(maxMb * 1024 * 1024);
    app.post(
      '/hubs/:hub/bulk/:object',
      {
        config: { auth: 'element' },
        schema: {
          params: Type.Object({ hub: Type.String(), object: Type.String() }),
          response: { 200: Created, ...bulkErrors },
        },
      },
      async (request, reply) => {
        const call = await hubInstance(deps, request, reply);
        const submitter = { organizationId: call.record.organizationId, instance: call.instance, engine: call.engine };
        const objectName = request.params.object;
        // A common resource (or an object with a transformation of its own name): rows are in common names.
        const mapping = await transformationFor(deps, call.instance.id, objectName);
        unwrap(bulkTarget(submitter, mapping?.vendorName ?? objectName, 'import'));
        if (!request.isMultipart()) {
          throw new AppFailure(
            appError('UNSUPPORTED_MEDIA_TYPE', 'Send the file as multipart/form-data with a part named "file"'),
          );
        }
        const callbackUrl = callbackUrlOf(request);
        unwrap(await checkCallbackUrl(deps, callbackUrl));
        const { key, sealed } = newDataKey(deps.box);
        const got = await receive(request, dir, key, maxBytes, maxMb);
        try {
          unwrap(await checkQuota(deps, call.record.organizationId, got.bytes));
          const format =
            detectFormat(got.contentType, got.fileName, got.meta.format) ??
            (got.contentType === undefined ||
            /^(application\/octet-stream|text\/plain)$/i.test(got.contentType.split(';')[0] ?? '')
              ? await sniff(got.temp, key, got.bytes)
              : undefined);
          if (!format) {
            throw new AppFailure(
              appError(
                'UNSUPPORTED_MEDIA_TYPE',
                `The file (${got.contentType ?? 'no content type'}) is not CSV or JSON: send text/csv, application/json or application/x-ndjson, or set metaData.format`,
                { field: 'file' },
              ),
            );
          }
          let total = 0;
          try {
            for await (const _ of readRecords(readSealedRange(got.temp, key, 'upload', got.bytes), format)) total++;
          } catch (e) {
            if (e instanceof UploadFormatError)
              throw new AppFailure(
                appError('BAD_REQUEST', `The ${format.toUpperCase()} file cannot be read: ${e.message}`, {
                  field: 'file',
                }),
              );
            throw e;
          }
          const meta = got.meta;
          const action = meta.action ?? (meta.identifierFieldName ? 'upsert' : 'create');
          const spec: BulkSpec = { action, uploadFormat: format, totalRecords: total };
          if (meta.identifierFieldName) spec.identifierFieldName = meta.identifierFieldName;
          if (mapping) {
            spec.vendorObject = mapping.vendorName;
            if (meta.identifierFieldName) {
              const vendor = mapping.translateQuery({ fields: meta.identifierFieldName });
              if (!vendor.ok || !vendor.value.fields)
                throw new AppFailure(
                  appError(
                    'INVALID_PARAMETER',
                    `metaData.identifierFieldName ${meta.identifierFieldName}: ${vendor.ok ? 'not mapped' : vendor.error.message}`,
                    { field: 'metaData.identifierFieldName' },
                  ),
                );
              spec.identifierFieldName = vendor.value.fields;
            }
          }
          const job = await insertJob(bulkDb(deps.store.db), {
            organizationId: call.record.organizationId,
            instanceId: call.instance.id,
            direction: 'import',
            objectName,
            spec,
            dataKey: sealed,
            uploadBytes: got.bytes,
            ...(callbackUrl ? { callbackUrl } : {}),
            leaseUntil: new Date(Date.now() + 60_000).toISOString(),
            now: new Date().toISOString(),
          });
          await rename(got.temp, jobFiles(dir, job.id).upload);
          await releaseJobLease(bulkDb(deps.store.db), job.id);
          bulkRunner()?.wake();
          return { id: job.id, status: job.status };
        } finally {
          await removeFile(got.temp);
        }
      },
    );
  };
}
