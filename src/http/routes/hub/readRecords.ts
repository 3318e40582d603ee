// GET /hubs/{hub}/{resource}[/{id}[/{child}[/{childId}]]], …/count and pass-through GETs of unnamed objects.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  type Addressed,
  countRecords,
  explainRequest,
  getOne,
  listPage,
  nextPageToken,
  prepareCount,
  prepareGet,
  prepareList,
} from '../../../engine/index.ts';
import { type AppError, appError, unwrap } from '../../../errors/index.ts';
import type { PlatformDeps } from '../../../platform/index.ts';
import { errorResponses } from '../../schemas.ts';
import { type HubCall, hubFailure, hubInstance, sendRawJson } from './instance.ts';
import { HubParams, HubReadQuery, HubReply } from './schemas.ts';
import { addressedTarget } from './target.ts';

/** ConnectWise's words for a path it has no endpoint at (its record lookups say "… not found" instead). */
const NO_ENDPOINT = /endpoint does not exist/i;

/**
 * A name the element does not declare goes to ConnectWise as a pass-through; when ConnectWise has no such endpoint
 * either, say so (the vendor's 404 would otherwise read like a missing record).
 */
function unknownObject(call: HubCall, target: Addressed, error: AppError): AppError {
  if (target.endpoint.name !== 'pass-through' || error.status !== 404) return error;
  if (!NO_ENDPOINT.test(error.providerMessage ?? error.message)) return error;
  const path = target.endpoint.vendorPath.replace(/^\//, '');
  return appError(
    'NOT_FOUND',
    `${path} is neither a resource of ${call.instance.elementKey} nor a ConnectWise endpoint (see GET /objects for the resources)`,
    { ...(error.providerMessage ? { providerMessage: error.providerMessage } : {}) },
  );
}

export function readRecordsRoute(deps: PlatformDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/hubs/:hub/*',
      {
        config: { auth: 'element' },
        schema: { params: HubParams, querystring: HubReadQuery, response: { 200: HubReply, ...errorResponses } },
      },
      async (request, reply) => {
        const call = await hubInstance(deps, request, reply);
        const q = request.query;
        const target = addressedTarget(deps, call, request.params['*']);
        const failed = (error: AppError) => hubFailure(deps, call, unknownObject(call, target, error));
        const read = { ...(q.where !== undefined ? { where: q.where } : {}) };

        if (target.id !== undefined) {
          if (q.explain) {
            const p = unwrap(prepareGet(call.engine, call.instance, target, q.fields));
            return explainRequest(p.ctx, 'GET', p.pathAndQuery);
          }
          const record = await getOne(call.engine, call.instance, target, q.fields);
          if (!record.ok) return failed(record.error);
          return sendRawJson(reply, JSON.stringify(record.value));
        }

        if (target.count) {
          if (q.explain) {
            const p = unwrap(prepareCount(call.engine, call.instance, target, read));
            return explainRequest(p.ctx, 'GET', p.pathAndQuery);
          }
          const counted = await countRecords(call.engine, call.instance, target, read);
          if (!counted.ok) return failed(counted.error);
          return counted.value;
        }

        const prepared = unwrap(
          prepareList(call.engine, call.instance, target, {
            ...read,
            ...(q.page !== undefined ? { page: q.page } : {}),
            ...(q.pageSize !== undefined ? { pageSize: q.pageSize } : {}),
            ...(q.nextPage ? { nextPage: q.nextPage } : {}),
            ...(q.orderBy !== undefined ? { orderBy: q.orderBy } : {}),
            ...(q.fields !== undefined ? { fields: q.fields } : {}),
          }),
        );
        if (q.explain) return explainRequest(prepared.ctx, 'GET', prepared.pathAndQuery);
        const total = q.includeTotalCount ? countRecords(call.engine, call.instance, target, read) : undefined;
        const page = await listPage(call.engine, call.instance, prepared);
        if (!page.ok) return failed(page.error);
        if (total) {
          const counted = await total;
          if (!counted.ok) return failed(counted.error);
          reply.header('Elements-Total-Count', String(counted.value.count));
        }
        const { count, hasMore, window } = page.value;
        reply.header('Elements-Returned-Count', String(count));
        const next = nextPageToken(hasMore, window);
        if (next !== undefined) reply.header('Elements-Next-Page-Token', next);
        return sendRawJson(reply, page.value.json);
      },
    );
  };
}
