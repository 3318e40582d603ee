// GET /hubs/{hub}/bulk/jobs (and /bulk): the organization's jobs, newest first, paged like hub lists;
// GET /hubs/{hub}/bulk/{id}/status; PUT /hubs/{hub}/bulk/{id}/cancel.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  bulkDb,
  bulkRunner,
  FINAL_STATES,
  finishJob,
  listJobs,
  requestCancel,
  statusView,
} from '../../../bulk/index.ts';
import { AppFailure, appError } from '../../../errors/index.ts';
import type { PlatformDeps } from '../../../platform/index.ts';
import { hubInstance } from '../hub/instance.ts';
import { ownJob } from './context.ts';
import { bulkErrors, HubParam, JobParams, StatusObject } from './schemas.ts';

const ListQuery = Type.Object(
  {
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    nextPage: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: true },
);

function decodeToken(token: string): number {
  const n = Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(n) || n < 1)
    throw new AppFailure(
      appError('INVALID_PARAMETER', 'nextPage is not a token this API returned', { field: 'nextPage' }),
    );
  return n;
}

export function jobsRoutes(deps: PlatformDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const db = bulkDb(deps.store.db);
    for (const path of ['/hubs/:hub/bulk/jobs', '/hubs/:hub/bulk']) {
      app.get(
        path,
        {
          config: { auth: 'element' },
          schema: {
            params: HubParam,
            querystring: ListQuery,
            response: { 200: Type.Array(StatusObject), ...bulkErrors },
          },
        },
        async (request, reply) => {
          const call = await hubInstance(deps, request, reply, { allowDisabled: true });
          const limit = request.query.pageSize ?? 50;
          const beforeId = request.query.nextPage ? decodeToken(request.query.nextPage) : undefined;
          const jobs = await listJobs(db, call.record.organizationId, {
            limit: limit + 1,
            ...(beforeId !== undefined ? { beforeId } : {}),
          });
          const page = jobs.slice(0, limit);
          reply.header('Elements-Returned-Count', String(page.length));
          const last = page[page.length - 1];
          if (jobs.length > limit && last)
            reply.header('Elements-Next-Page-Token', Buffer.from(String(last.id)).toString('base64url'));
          return page.map(statusView);
        },
      );
    }

    app.get(
      '/hubs/:hub/bulk/:id/status',
      {
        config: { auth: 'element' },
        schema: { params: JobParams, response: { 200: StatusObject, ...bulkErrors } },
      },
      async (request, reply) => statusView((await ownJob(deps, request, reply, request.params.id)).job),
    );

    app.put(
      '/hubs/:hub/bulk/:id/cancel',
      {
        config: { auth: 'element' },
        schema: { params: JobParams, response: { 200: StatusObject, ...bulkErrors } },
      },
      async (request, reply) => {
        const { job } = await ownJob(deps, request, reply, request.params.id);
        if (FINAL_STATES.has(job.status)) {
          throw new AppFailure(appError('CONFLICT', `Bulk job ${job.id} has already ended (${job.status})`));
        }
        await requestCancel(db, job.id);
        // Not started yet: nothing to stop, it ends now (CREATED → CANCELLED) unless a worker just leased it.
        if (job.status === 'CREATED') {
          const now = new Date();
          await finishJob(db, job.id, {
            status: 'CANCELLED',
            now: now.toISOString(),
            expiresAt: new Date(now.getTime() + deps.config.CONDUIT_BULK_RETENTION_HOURS * 3600_000).toISOString(),
            infoMessage: 'Cancelled before it started',
            from: ['CREATED'],
          });
        }
        bulkRunner()?.cancel(job.id);
        return statusView((await ownJob(deps, request, reply, job.id)).job);
      },
    );
  };
}
