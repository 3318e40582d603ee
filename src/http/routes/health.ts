import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import type { PlatformDeps } from '../../platform/index.ts';

const Health = Type.Object({ status: Type.String() }, { additionalProperties: true });

export function healthRoutes(deps: PlatformDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/healthz', { schema: { response: { 200: Health } } }, async () => ({ status: 'ok' }));
    app.get('/readyz', { schema: { response: { 200: Health, 503: Health } } }, async (_request, reply) => {
      try {
        await sql`select 1`.execute(deps.store.db);
        return { status: 'ready', store: deps.store.dialect };
      } catch {
        return reply.code(503).send({ status: 'unavailable' });
      }
    });
  };
}
