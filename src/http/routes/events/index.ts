// Event log, deliveries, redelivery, pause/resume, and the inbound ConnectWise callback endpoint.
//
//   GET  /instances/events                          event log of every instance of the organization
//   GET  /instances/{id}/events                     event log of one instance
//   GET  /instances/events/{eventId}                one event (notification) with its body
//   GET  /instances/{id}/events/{eventId}           the same, scoped to the instance
//   GET  /instances/{id}/events/deliveries          deliveries of one instance (?status=pending|delivered|dead)
//   GET  /instances/events/{eventId}/deliveries     attempts of one notification (and /instances/{id}/events/…)
//   POST /instances/events/{eventId}/redeliver      send a notification again (same eventId and body)
//   GET  /instances/{id}/events/status              pause flag, cursors, callbacks, delivery counts
//   POST /instances/{id}/events/pause | /resume     hold / release polling and delivery for an instance
//   POST /events/connectwisecrmrest/{instanceId}    ConnectWise callbacks (no Authorization; signature-verified)
//   POST /events/connectwisecrmrestPolling/{base64(instanceId)}  injected poll results (pollingHook.ts)
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { unwrap } from '../../../errors/index.ts';
import {
  deliveryView,
  eventLog,
  eventLogEntry,
  eventStatus,
  findEvent,
  outboxChanged,
  receiveCallback,
  redeliver,
  setEventsPaused,
} from '../../../events/index.ts';
import type { PlatformDeps } from '../../../platform/index.ts';
import { addressedInstance, principalOf } from '../../auth.ts';
import { AnyObject, errorResponses, IdParam } from '../../schemas.ts';
import { pollingHookRoutes } from './pollingHook.ts';

const LogQuery = Type.Object(
  {
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    nextPage: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
    status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('dead')])),
  },
  { additionalProperties: true },
);

const EventIdParam = Type.Object({ eventId: Type.String({ minLength: 1, maxLength: 100 }) });
const IdEventParam = Type.Object({
  id: Type.Integer({ minimum: 1 }),
  eventId: Type.String({ minLength: 1, maxLength: 100 }),
});

export function eventRoutes(deps: PlatformDeps) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const listSchema = { querystring: LogQuery, response: { 200: Type.Array(AnyObject), ...errorResponses } };

    app.get('/instances/events', { schema: listSchema }, async (request, reply) => {
      const q = request.query;
      const { entries, next } = await eventLog(deps, {
        organizationId: principalOf(request).organizationId,
        status: q.status,
        before: q.nextPage ? Number(q.nextPage) : undefined,
        pageSize: q.pageSize ?? 50,
      });
      if (next !== undefined) reply.header('Elements-Next-Page-Token', String(next));
      reply.header('Elements-Returned-Count', String(entries.length));
      return entries;
    });

    app.get('/instances/:id/events', { schema: { ...listSchema, params: IdParam } }, async (request, reply) => {
      const record = await addressedInstance(deps, request, request.params.id);
      const q = request.query;
      const { entries, next } = await eventLog(deps, {
        organizationId: record.organizationId,
        instanceId: record.id,
        status: q.status,
        before: q.nextPage ? Number(q.nextPage) : undefined,
        pageSize: q.pageSize ?? 50,
      });
      if (next !== undefined) reply.header('Elements-Next-Page-Token', String(next));
      reply.header('Elements-Returned-Count', String(entries.length));
      return entries;
    });

    app.get(
      '/instances/:id/events/deliveries',
      { schema: { ...listSchema, params: IdParam } },
      async (request, reply) => {
        const record = await addressedInstance(deps, request, request.params.id);
        const q = request.query;
        const { entries, next } = await eventLog(deps, {
          organizationId: record.organizationId,
          instanceId: record.id,
          status: q.status,
          before: q.nextPage ? Number(q.nextPage) : undefined,
          pageSize: q.pageSize ?? 50,
        });
        if (next !== undefined) reply.header('Elements-Next-Page-Token', String(next));
        return entries.map((e) => ({
          eventId: e.eventId,
          objectType: e.objectType,
          status: e.deliveryStatus,
          attempts: e.attempts,
          nextAttemptAt: e.nextAttemptAt,
          lastStatus: e.lastStatus,
          lastError: e.lastError,
          createdDate: e.eventDate,
          deliveredDate: e.notifiedDate,
        }));
      },
    );

    const one = { response: { 200: AnyObject, ...errorResponses } };
    app.get('/instances/:id/events/status', { schema: { ...one, params: IdParam } }, async (request) =>
      eventStatus(deps, await addressedInstance(deps, request, request.params.id)),
    );
    for (const action of ['pause', 'resume'] as const) {
      app.post(`/instances/:id/events/${action}`, { schema: { ...one, params: IdParam } }, async (request) =>
        setEventsPaused(deps, await addressedInstance(deps, request, request.params.id), action === 'pause'),
      );
    }

    app.get('/instances/events/:eventId', { schema: { ...one, params: EventIdParam } }, async (request) =>
      eventLogEntry(unwrap(await findEvent(deps, principalOf(request).organizationId, request.params.eventId))),
    );
    app.get('/instances/:id/events/:eventId', { schema: { ...one, params: IdEventParam } }, async (request) => {
      const record = await addressedInstance(deps, request, request.params.id);
      return eventLogEntry(unwrap(await findEvent(deps, record.organizationId, request.params.eventId, record.id)));
    });
    app.get('/instances/events/:eventId/deliveries', { schema: { ...one, params: EventIdParam } }, async (request) =>
      deliveryView(deps, unwrap(await findEvent(deps, principalOf(request).organizationId, request.params.eventId))),
    );
    app.get(
      '/instances/:id/events/:eventId/deliveries',
      { schema: { ...one, params: IdEventParam } },
      async (request) => {
        const record = await addressedInstance(deps, request, request.params.id);
        return deliveryView(
          deps,
          unwrap(await findEvent(deps, record.organizationId, request.params.eventId, record.id)),
        );
      },
    );
    app.post('/instances/events/:eventId/redeliver', { schema: { ...one, params: EventIdParam } }, async (request) =>
      redeliver(deps, unwrap(await findEvent(deps, principalOf(request).organizationId, request.params.eventId))),
    );
    app.post(
      '/instances/:id/events/:eventId/redeliver',
      { schema: { ...one, params: IdEventParam } },
      async (request) => {
        const record = await addressedInstance(deps, request, request.params.id);
        return redeliver(deps, unwrap(await findEvent(deps, record.organizationId, request.params.eventId, record.id)));
      },
    );

    await app.register(pollingHookRoutes(deps));

    // Inbound vendor callbacks: the signature is computed over the exact bytes, so this scope keeps the body raw.
    await app.register(async (scope) => {
      const inbound = scope.withTypeProvider<TypeBoxTypeProvider>();
      inbound.removeAllContentTypeParsers();
      inbound.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
      inbound.post(
        '/events/:elementKey/:instanceId',
        {
          config: { auth: 'none' },
          schema: {
            params: Type.Object({ elementKey: Type.String(), instanceId: Type.Integer({ minimum: 1 }) }),
            querystring: Type.Object({ token: Type.Optional(Type.String()) }, { additionalProperties: true }),
            response: { 200: AnyObject, ...errorResponses },
          },
        },
        async (request) => {
          const raw = typeof request.body === 'string' ? request.body : '';
          const signature = request.headers['x-content-signature'];
          const result = await receiveCallback(
            deps,
            request.params.instanceId,
            request.query.token,
            raw,
            Array.isArray(signature) ? signature[0] : signature,
          );
          if (!result.ok) {
            request.log.warn(
              { instanceId: request.params.instanceId, code: result.error.code, reason: result.error.message },
              'inbound callback rejected',
            );
          } else if (result.value.stored > 0) outboxChanged();
          return { ...unwrap(result) };
        },
      );
    });
  };
}
