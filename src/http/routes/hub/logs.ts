// Trace logs of an instance's vendor calls (secrets redacted): GET /instances/{id}/logs; switch tracing with
// PUT / DELETE /instances/{id}/trace-logging (or /instances/trace-logging with the Element token).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { forgetInstance, type PlatformDeps } from '../../../platform/index.ts';
import { listTraceLogs } from '../../../store/hub.ts';
import { findInstance, updateInstance } from '../../../store/index.ts';
import { addressedInstance } from '../../auth.ts';
import { AnyObject, errorResponses, IdParam } from '../../schemas.ts';

export function logsRoutes(deps: PlatformDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const LogsQuery = Type.Object(
      { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
      { additionalProperties: true },
    );
    for (const [path, auth] of [
      ['/instances/:id/logs', 'either'],
      ['/instances/logs', 'element'],
    ] as const) {
      app.get(
        path,
        {
          config: { auth },
          schema: {
            params: path.includes(':id') ? IdParam : Type.Object({}),
            querystring: LogsQuery,
            response: { 200: Type.Array(AnyObject), ...errorResponses },
          },
        },
        async (request) => {
          const record = await addressedInstance(deps, request, (request.params as { id?: number }).id);
          return listTraceLogs(deps.store.db, record.id, request.query.limit ?? 100);
        },
      );
    }
    for (const [path, auth] of [
      ['/instances/:id/trace-logging', 'either'],
      ['/instances/trace-logging', 'element'],
    ] as const) {
      for (const method of ['PUT', 'DELETE'] as const) {
        app.route({
          method,
          url: path,
          config: { auth },
          schema: {
            params: path.includes(':id') ? IdParam : Type.Object({}),
            response: { 200: AnyObject, ...errorResponses },
          },
          handler: async (request) => {
            const record = await addressedInstance(deps, request, (request.params as { id?: number }).id);
            await updateInstance(deps.store.db, record.id, { traceLoggingEnabled: method === 'PUT' });
            forgetInstance(record.tokenHash);
            const updated = await findInstance(deps.store.db, record.id);
            return { id: record.id, traceLoggingEnabled: updated?.traceLoggingEnabled ?? false };
          },
        });
      }
    }
  };
}
