// POST /hubs/{hub}/{resource} (and children): 200 with the created record; Idempotency-Key makes retries safe.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createRecord, explainRequest, planCreate } from '../../../engine/index.ts';
import { AppFailure, appError, unwrap } from '../../../errors/index.ts';
import type { PlatformDeps } from '../../../platform/index.ts';
import { hubFailure, hubInstance, sendRawJson } from './instance.ts';
import { hubWriteRoute } from './schemas.ts';
import { writeTarget } from './target.ts';

export function createRecordRoute(deps: PlatformDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/hubs/:hub/*', hubWriteRoute, async (request, reply) => {
      const call = await hubInstance(deps, request, reply);
      const target = writeTarget(deps, call, request, false);
      if (request.query.explain) {
        const plan = unwrap(planCreate(call.engine, call.instance, target, request.body));
        return explainRequest(plan.ctx, plan.method, plan.pathAndQuery, plan.body);
      }
      const key = request.headers['idempotency-key'];
      if (Array.isArray(key) || (key !== undefined && (key.length === 0 || key.length > 255))) {
        throw new AppFailure(
          appError('INVALID_PARAMETER', 'Idempotency-Key must be one value of 1 to 255 characters', {
            field: 'Idempotency-Key',
          }),
        );
      }
      const created = await createRecord(call.engine, call.instance, target, request.body, key);
      if (!created.ok) return hubFailure(deps, call, created.error);
      return sendRawJson(reply, JSON.stringify(created.value));
    });
  };
}
