// GET /hubs/{hub}/bulk/{id}/errors: the records an import could not write, in file order, paged with
// Elements-Returned-Count and Elements-Next-Page-Token — absent on the last page, as Cloud Elements did.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { bulkDb, listErrors, openDataKey, openRecord } from '../../../bulk/index.ts';
import { AppFailure, appError } from '../../../errors/index.ts';
import type { PlatformDeps } from '../../../platform/index.ts';
import { ownJob } from './context.ts';
import { bulkErrors, JobParams, RecordError } from './schemas.ts';

function decodeToken(token: string): number {
  const n = Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(n) || n < 0)
    throw new AppFailure(
      appError('INVALID_PARAMETER', 'nextPage is not a token this API returned', { field: 'nextPage' }),
    );
  return n;
}

export function errorsRoute(deps: PlatformDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const db = bulkDb(deps.store.db);
    app.get(
      '/hubs/:hub/bulk/:id/errors',
      {
        config: { auth: 'element' },
        schema: {
          params: JobParams,
          querystring: Type.Object(
            {
              pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
              nextPage: Type.Optional(Type.String({ maxLength: 200 })),
            },
            { additionalProperties: true },
          ),
          response: { 200: Type.Array(RecordError), ...bulkErrors },
        },
      },
      async (request, reply) => {
        const { job } = await ownJob(deps, request, reply, request.params.id);
        const pageSize = request.query.pageSize ?? 100;
        const afterIndex = request.query.nextPage ? decodeToken(request.query.nextPage) : -1;
        const rows = await listErrors(db, job.id, { afterIndex, limit: pageSize + 1 });
        const page = rows.slice(0, pageSize);
        const key = page.length > 0 ? openDataKey(deps.box, job.dataKey) : undefined;
        reply.header('Elements-Returned-Count', String(page.length));
        const last = page[page.length - 1];
        if (rows.length > pageSize && last)
          reply.header('Elements-Next-Page-Token', Buffer.from(String(last.recordIndex)).toString('base64url'));
        return page.map((e) => ({
          recordIndex: e.recordIndex,
          record: key ? openRecord(key, e.record) : undefined,
          status: e.status,
          message: e.message,
          providerMessage: e.providerMessage,
        }));
      },
    );
  };
}
