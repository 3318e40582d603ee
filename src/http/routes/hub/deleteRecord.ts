// DELETE /hubs/{hub}/{resource}/{id}: 200 with an empty body (Cloud Elements answered 200, ConnectWise 204).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { deleteRecord } from '../../../engine/index.ts';
import type { PlatformDeps } from '../../../platform/index.ts';
import { errorResponses } from '../../schemas.ts';
import { hubFailure, hubInstance } from './instance.ts';
import { HubParams } from './schemas.ts';
import { writeTarget } from './target.ts';

export function deleteRecordRoute(deps: PlatformDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.delete(
      '/hubs/:hub/*',
      {
        config: { auth: 'element' },
        schema: { params: HubParams, response: { 200: Type.Unknown(), ...errorResponses } },
      },
      async (request, reply) => {
        const call = await hubInstance(deps, request, reply);
        const target = writeTarget(deps, call, request, true);
        const deleted = await deleteRecord(call.engine, call.instance, target);
        if (!deleted.ok) return hubFailure(deps, call, deleted.error);
        return reply.code(200).send('');
      },
    );
  };
}
