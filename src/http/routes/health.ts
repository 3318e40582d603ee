import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import type { PlatformDeps } from '../../platform/index.ts';
import { keyReadiness } from '../../security/index.ts';

const Health = Type.Object(
  { status: Type.String(), reason: Type.Optional(Type.String()) },
  { additionalProperties: true },
);

export function healthRoutes(deps: PlatformDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/healthz', { schema: { response: { 200: Health } } }, async () => ({ status: 'ok' }));
    // Ready only when the store answers and this server holds every master key the store's secrets are sealed
    // with (another node's rotation, or a wrong key file on a shared store, makes it unready, not 500s).
    app.get('/readyz', { schema: { response: { 200: Health, 503: Health } } }, async (_request, reply) => {
      try {
        await sql`select 1`.execute(deps.store.db);
      } catch {
        return reply.code(503).send({ status: 'unavailable', reason: 'the store does not answer' });
      }
      let keyProblem: string | undefined;
      try {
        keyProblem = await keyReadiness(deps.store, deps.box);
      } catch {
        keyProblem = 'the master key check could not be read';
      }
      if (keyProblem) return reply.code(503).send({ status: 'unavailable', reason: keyProblem });
      return { status: 'ready', store: deps.store.dialect };
    });
  };
}
