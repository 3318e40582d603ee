// PUT /hubs/{hub}/{resource}/{id}: a partial body merges onto the current record (read, merge, write).
// PUT /hubs/crm/incidents/{id}/configurations[/{configId}] attaches a configuration.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { replaceRecord } from '../../../engine/index.ts';
import type { PlatformDeps } from '../../../platform/index.ts';
import { errorResponses } from '../../schemas.ts';
import { hubFailure, hubInstance, sendRawJson } from './instance.ts';
import { HubBody, HubParams, HubReply } from './schemas.ts';
import { writeTarget } from './target.ts';

export function replaceRecordRoute(deps: PlatformDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.put(
      '/hubs/:hub/*',
      {
        config: { auth: 'element' },
        schema: { params: HubParams, body: HubBody, response: { 200: HubReply, ...errorResponses } },
      },
      async (request, reply) => {
        const call = await hubInstance(deps, request, reply);
        const target = writeTarget(deps, call, request, true);
        const replaced = await replaceRecord(call.engine, call.instance, target, request.body);
        if (!replaced.ok) return hubFailure(deps, call, replaced.error);
        return sendRawJson(reply, JSON.stringify(replaced.value));
      },
    );
  };
}
