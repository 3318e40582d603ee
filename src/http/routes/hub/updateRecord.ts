// PATCH /hubs/{hub}/{resource}/{id}: the partial object becomes a ConnectWise JSON-Patch array.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { explainRequest, planUpdate, updateRecord } from '../../../engine/index.ts';
import { unwrap } from '../../../errors/index.ts';
import type { PlatformDeps } from '../../../platform/index.ts';
import { hubFailure, hubInstance, sendRawJson } from './instance.ts';
import { hubWriteRoute } from './schemas.ts';
import { writeTarget } from './target.ts';

export function updateRecordRoute(deps: PlatformDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.patch('/hubs/:hub/*', hubWriteRoute, async (request, reply) => {
      const call = await hubInstance(deps, request, reply);
      const target = writeTarget(deps, call, request, true);
      if (request.query.explain) {
        const plan = unwrap(planUpdate(call.engine, call.instance, target, request.body));
        return explainRequest(plan.ctx, plan.method, plan.pathAndQuery, plan.body);
      }
      const updated = await updateRecord(call.engine, call.instance, target, request.body);
      if (!updated.ok) return hubFailure(deps, call, updated.error);
      return sendRawJson(reply, JSON.stringify(updated.value));
    });
  };
}
